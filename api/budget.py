"""Per-request time budget and client-disconnect cancellation for CPU work run in a thread.

A thread cannot be killed, so the work itself asks ``should_stop()`` at safe points (the entity
extractor does between 20k-character windows) and raises when told to. The event loop side
answers ``should_stop`` from the deadline and from whether the client is still connected, so a
caller that gives up frees the core within one window instead of minutes later.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Callable, TypeVar

from fastapi import Request

from core.errors import TimeBudgetExceededError, TriageError

__all__ = ["ClientGoneError", "run_with_budget"]

T = TypeVar("T")
_DISCONNECT_POLL_S = 0.25


class ClientGoneError(TriageError):
    """The client closed the connection; the work was stopped and nobody reads the answer."""

    code = "client_closed_request"


async def run_with_budget(
    request: Request,
    budget_s: float,
    work: Callable[[Callable[[], bool]], T],
    stopped: type[BaseException],
    what: str,
) -> T:
    """Run ``work(should_stop)`` in a thread within ``budget_s`` seconds, stopping it early when the
    client disconnects.

    Args:
        request: the request whose client is watched.
        budget_s: the time budget (``TRIAGE_REQUEST_TIME_BUDGET_S``).
        work: the blocking function; it must call ``should_stop()`` regularly and raise ``stopped``
            when it answers True.
        stopped: the exception ``work`` raises when it stops early.
        what: what the work is, for the error message.

    Raises:
        TimeBudgetExceededError: the budget ran out (413 ``time_budget_exceeded``).
        ClientGoneError: the client went away first.
    """
    stop = threading.Event()
    deadline = time.monotonic() + budget_s
    client_gone = False

    def should_stop() -> bool:
        return stop.is_set() or time.monotonic() > deadline

    task = asyncio.ensure_future(asyncio.to_thread(work, should_stop))
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=_DISCONNECT_POLL_S)
            if done:
                break
            if await request.is_disconnected():
                client_gone = True
                stop.set()
        return task.result()
    except stopped as exc:
        if client_gone:
            raise ClientGoneError(f"the client closed the connection; {what} was stopped") from exc
        raise TimeBudgetExceededError(
            f"{what} needed more than the per-request time budget of {budget_s:g} s (TRIAGE_REQUEST_TIME_BUDGET_S); "
            "send the text in smaller parts"
        ) from exc
    finally:
        stop.set()  # also when this coroutine is cancelled: the thread stops at its next check
