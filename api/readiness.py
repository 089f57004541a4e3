"""Readiness probes for the parts a triage needs: Temporal, a live worker, the vector store.

A worker is *live* when it reported recently, not merely when Temporal remembers it. Measured on
the dev server (Temporal 1.32): an idle worker's long poll lasts ~46 s, so a live worker's poller
``last_access_time`` ages to ~46 s before it is refreshed, and a killed worker stays in the poller
list for 5 minutes. Poller age alone therefore cannot tell "idle" from "dead" in seconds. Workers
also send SDK worker heartbeats (``ListWorkers``; every ``worker_heartbeat_interval`` of the
worker's ``Runtime``, 60 s by default): a worker is live when its last heartbeat is younger than
twice its own interval plus a margin (the interval is the heartbeat's
``elapsed_since_last_heartbeat``, or for the first one the time since the worker started). Where the server keeps no heartbeats (older servers, or
heartbeats disabled) the probe falls back to pollers seen within ``POLLER_LIVE_S``. Where it keeps
heartbeats but lists none for the queue (a new worker before its first one, or a dead worker whose
entry the server already dropped), only pollers younger than a first heartbeat's due time count.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from temporalio.api.enums.v1 import TaskQueueType, WorkerStatus
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, ListWorkersRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from core.settings import Settings
from tools.queries import QueryServices

__all__ = ["ProbeResult", "probe_temporal", "probe_worker", "probe_vector_store", "POLLER_LIVE_S", "HEARTBEAT_MARGIN_S"]

#: A poller counts as live when it polled within this many seconds (long polls last ~46-60 s).
POLLER_LIVE_S = 75.0
#: Slack on top of two heartbeat intervals before a worker counts as gone.
HEARTBEAT_MARGIN_S = 5.0
#: Interval assumed for a worker's first heartbeat (it carries no elapsed time yet): the SDK default.
DEFAULT_HEARTBEAT_INTERVAL_S = 60.0
_PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ProbeResult:
    name: str
    ok: bool
    detail: str


async def probe_temporal(client: Client) -> ProbeResult:
    try:
        ok = await asyncio.wait_for(client.service_client.check_health(), _PROBE_TIMEOUT_S)
        return ProbeResult("temporal", bool(ok), "serving" if ok else "not serving")
    except Exception as exc:  # any transport error means not ready
        return ProbeResult("temporal", False, f"unreachable: {type(exc).__name__}: {exc}"[:300])


def _age_s(moment: datetime, now: datetime) -> float:
    return (now - moment).total_seconds()


async def _heartbeat_verdict(client: Client, settings: Settings, now: datetime) -> ProbeResult | None:
    """Live workers by their SDK heartbeats, or None when the server keeps none for this queue."""
    try:
        response = await asyncio.wait_for(
            client.workflow_service.list_workers(
                ListWorkersRequest(namespace=settings.temporal_namespace, page_size=100, query=f"TaskQueue = '{settings.task_queue}'")
            ),
            _PROBE_TIMEOUT_S,
        )
    except RPCError as exc:
        if exc.status in (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.INVALID_ARGUMENT, RPCStatusCode.PERMISSION_DENIED):
            return None  # an older server, or heartbeats off: use pollers
        raise
    beats = [info.worker_heartbeat for info in response.workers_info if info.worker_heartbeat.task_queue == settings.task_queue]
    if not beats:
        # The server keeps heartbeats but has none for this queue: either no worker has sent its first
        # one yet (it comes one interval after start), or the server already dropped a dead worker's
        # entry. Only pollers younger than the first heartbeat's due time can be the former.
        if settings.worker_heartbeat_interval_s > 0:
            return await _poller_verdict(client, settings, now, live_s=2 * settings.worker_heartbeat_interval_s + HEARTBEAT_MARGIN_S)
        return None
    live, stale = [], []
    for beat in beats:
        beat_at = beat.heartbeat_time.ToDatetime(tzinfo=timezone.utc)
        interval = beat.elapsed_since_last_heartbeat.ToTimedelta() if beat.HasField("elapsed_since_last_heartbeat") else timedelta(0)
        if not interval and beat.HasField("start_time"):  # the first heartbeat comes one interval after start
            interval = beat_at - beat.start_time.ToDatetime(tzinfo=timezone.utc)
        interval_s = max(interval.total_seconds(), 1.0) if interval else DEFAULT_HEARTBEAT_INTERVAL_S
        age = _age_s(beat_at, now)
        running = beat.status == WorkerStatus.WORKER_STATUS_RUNNING
        (live if running and age <= 2 * interval_s + HEARTBEAT_MARGIN_S else stale).append((beat.worker_identity, age, interval_s, running))
    if live:
        return ProbeResult("worker", True, f"{len(live)} live worker(s) on {settings.task_queue!r} (heartbeat {min(a for _, a, _, _ in live):.0f} s ago)")
    newest = min(stale, key=lambda item: item[1])
    state = "heartbeat" if newest[3] else "shut down, last heartbeat"
    return ProbeResult(
        "worker", False, f"no live worker on {settings.task_queue!r}: newest {state} {newest[1]:.0f} s ago (every {newest[2]:.0f} s expected)"
    )


async def _poller_verdict(client: Client, settings: Settings, now: datetime, live_s: float = POLLER_LIVE_S) -> ProbeResult:
    ages: list[float] = []
    for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
        response = await asyncio.wait_for(
            client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(namespace=settings.temporal_namespace, task_queue=TaskQueue(name=settings.task_queue), task_queue_type=kind)
            ),
            _PROBE_TIMEOUT_S,
        )
        ages += [_age_s(p.last_access_time.ToDatetime(tzinfo=timezone.utc), now) for p in response.pollers]
    live = [age for age in ages if age <= live_s]
    if live:
        return ProbeResult("worker", True, f"{len(live)} poller(s) on {settings.task_queue!r} seen within {live_s:.0f} s")
    if ages:
        return ProbeResult("worker", False, f"no live poller on {settings.task_queue!r}: last poll {min(ages):.0f} s ago")
    return ProbeResult("worker", False, f"no worker polls {settings.task_queue!r}")


async def probe_worker(client: Client, settings: Settings) -> ProbeResult:
    """A live worker must serve the task queue, or every triage would wait until its timeout."""
    now = datetime.now(timezone.utc)
    try:
        verdict = await _heartbeat_verdict(client, settings, now)
        return verdict if verdict is not None else await _poller_verdict(client, settings, now)
    except Exception as exc:
        return ProbeResult("worker", False, f"cannot ask Temporal about workers: {type(exc).__name__}: {exc}"[:300])


async def probe_vector_store(settings: Settings, queries: QueryServices) -> ProbeResult:
    """The Chroma server answers its heartbeat, through the API's own client (one per process, not a
    new client per probe) and off the event loop (the client is synchronous)."""
    if settings.chroma_mode == "http":
        try:
            await asyncio.wait_for(asyncio.to_thread(queries.kb_store.heartbeat), _PROBE_TIMEOUT_S)
            return ProbeResult("vector_store", True, f"chroma server {settings.chroma_host}:{settings.chroma_port}")
        except Exception:
            return ProbeResult("vector_store", False, f"chroma server {settings.chroma_host}:{settings.chroma_port} unreachable")
    # Embedded mode: the store belongs to the worker process; check its files are there.
    sqlite = settings.chroma_path / "chroma.sqlite3"
    if sqlite.is_file():
        return ProbeResult("vector_store", True, f"embedded chroma at {settings.chroma_path}")
    return ProbeResult("vector_store", False, f"embedded chroma not initialised at {settings.chroma_path} (worker not started?)")
