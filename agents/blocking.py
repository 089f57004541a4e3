"""Blocking work (models, Presidio, store clients) from async activities, with heartbeats.

Every node that may run longer than a second heartbeats so a crashed worker's work is retried
within the heartbeat timeout on another worker instead of after its whole start-to-close timeout.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

from temporalio import activity

T = TypeVar("T")
HEARTBEAT_EVERY_S = 1.0


async def run_blocking(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``function`` in a thread; inside an activity, heartbeat every second until it is done."""
    task = asyncio.ensure_future(asyncio.to_thread(function, *args, **kwargs))
    if not activity.in_activity():
        return await task
    while True:
        done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_EVERY_S)
        if done:
            return task.result()
        activity.heartbeat()
