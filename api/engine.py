"""The API's edge to Temporal: the client's transport errors become ``EngineUnavailableError``.

When the Temporal frontend is gone the SDK retries a call for a few seconds (its ``RetryConfig``)
and then raises ``temporalio.service.RPCError`` with status ``UNAVAILABLE`` ("tcp connect error"),
for a new call (start, count, execute) and for a caller already waiting on ``handle.result()``
alike (measured against a killed dev server: 6-10 s). Runs already started survive in Temporal's
database, so the caller is told to ask again (503 ``engine_unavailable`` with ``Retry-After``).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from temporalio.service import RPCError, RPCStatusCode

from core.errors import EngineUnavailableError

__all__ = ["ENGINE_DOWN_STATUSES", "engine_unavailable", "temporal_calls"]

#: RPC statuses that mean "the engine cannot serve now" rather than "this request is wrong".
ENGINE_DOWN_STATUSES: frozenset[RPCStatusCode] = frozenset(
    {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED}
)


def engine_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the Temporal server is unreachable or overloaded."""
    return isinstance(exc, RPCError) and exc.status in ENGINE_DOWN_STATUSES


@contextmanager
def temporal_calls(doing: str) -> Iterator[None]:
    """Run Temporal client calls; an unreachable server raises ``EngineUnavailableError``.

    Args:
        doing: what the calls do, for the message ("starting the triage of TKT-1").
    """
    try:
        yield
    except RPCError as exc:
        if not engine_unavailable(exc):
            raise
        raise EngineUnavailableError(
            f"the workflow engine (Temporal) is unavailable while {doing}; runs already started are kept "
            "and continue when it is back: repeat the request in a few seconds"
        ) from exc
