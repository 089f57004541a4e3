"""The API's edge to Temporal: the client's transport errors become ``EngineUnavailableError``.

When the Temporal frontend is gone the SDK retries a call for a few seconds (its ``RetryConfig``)
and then raises ``temporalio.service.RPCError`` with status ``UNAVAILABLE`` ("tcp connect error"),
for a new call (start, count, execute) and for a caller already waiting on ``handle.result()``
alike (measured against a killed dev server: 6-10 s). Runs already started survive in Temporal's
database, so the caller is told to ask again (503 ``engine_unavailable`` with ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from core.errors import EngineUnavailableError, WorkflowFailedError, WorkflowTimeoutError

__all__ = ["ENGINE_DOWN_STATUSES", "engine_unavailable", "run_short_workflow", "temporal_calls"]

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


async def run_short_workflow(client: Client, run: Any, argument: Any, *, kind: str, tenant: str, task_queue: str, timeout_s: float) -> Any:
    """Run one of the API's short write workflows (a store write done by the worker) and wait for it.

    The id is ``{kind}-{tenant}-{random}``: each call is its own run, visible in the Temporal UI.
    """
    from workflows.ids import tenant_workflow_prefix

    workflow_id = f"{tenant_workflow_prefix(kind, tenant)}{uuid.uuid4().hex[:16]}"
    with temporal_calls(f"running {kind}"):
        try:
            return await asyncio.wait_for(client.execute_workflow(run, argument, id=workflow_id, task_queue=task_queue), timeout=timeout_s)
        except asyncio.TimeoutError as exc:
            raise WorkflowTimeoutError(f"{kind} did not finish in {timeout_s:.0f} s (workflow {workflow_id}): is a worker running?") from exc
        except WorkflowFailureError as exc:
            raise WorkflowFailedError(f"{kind} workflow {workflow_id} failed: {exc.cause}") from exc
