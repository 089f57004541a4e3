"""Readiness probes for the parts a triage needs: Temporal, a polling worker, the vector store."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from core.settings import Settings


@dataclass(frozen=True)
class ProbeResult:
    name: str
    ok: bool
    detail: str


async def probe_temporal(client: Client) -> ProbeResult:
    try:
        ok = await client.service_client.check_health()
        return ProbeResult("temporal", bool(ok), "serving" if ok else "not serving")
    except Exception as exc:  # any transport error means not ready
        return ProbeResult("temporal", False, f"unreachable: {exc}")


async def probe_worker(client: Client, settings: Settings) -> ProbeResult:
    """A worker must be polling the task queue, or every triage would wait forever."""
    try:
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=settings.temporal_namespace,
                task_queue=TaskQueue(name=settings.task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        pollers = len(response.pollers)
        return ProbeResult("worker", pollers > 0, f"{pollers} poller(s) on {settings.task_queue!r}")
    except Exception as exc:
        return ProbeResult("worker", False, f"cannot describe task queue: {exc}")


def probe_vector_store(settings: Settings) -> ProbeResult:
    if settings.chroma_mode == "http":
        try:
            from tools.retrieval import open_chroma_client

            open_chroma_client("http", host=settings.chroma_host, port=settings.chroma_port).heartbeat()
            return ProbeResult("vector_store", True, f"chroma server {settings.chroma_host}:{settings.chroma_port}")
        except Exception as exc:
            return ProbeResult("vector_store", False, f"chroma server unreachable: {exc}")
    # Embedded mode: the store belongs to the worker process; check its files are there.
    sqlite = settings.chroma_path / "chroma.sqlite3"
    if sqlite.is_file():
        return ProbeResult("vector_store", True, f"embedded chroma at {settings.chroma_path}")
    return ProbeResult("vector_store", False, f"embedded chroma not initialised at {settings.chroma_path} (worker not started?)")
