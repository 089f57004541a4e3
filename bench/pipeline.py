"""Benchmark: one triage through Temporal vs the same graph in-process, plus the one-activity floor.

Prints p50/p95 latency (ms) of: the compiled triage graph invoked directly in-process; the
``TriageWorkflow`` on the Temporal dev server (every node an activity); a workflow with a single
no-op activity (the floor of any Temporal round trip); then throughput with N concurrent tickets.

    .venv/bin/python bench/pipeline.py [--runs 20] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio import activity, workflow  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import UnsandboxedWorkflowRunner, Worker  # noqa: E402

from agents.triage import make_triage_graph  # noqa: E402
from core.contracts import TriageRequest  # noqa: E402
from core.settings import Settings  # noqa: E402
from worker import make_worker, prepare_toolkit  # noqa: E402
from workflows import TriageWorkflow, triage_workflow_id  # noqa: E402
from workflows.devserver import temporal_cli_path  # noqa: E402

TICKETS = [
    "I was charged twice for my subscription this month. Please help!",
    "VPN keeps disconnecting every few minutes since this morning, error 809.",
    "ORA-12541 TNS no listener when connecting to srv-prod-db-03, production reports are failing.",
    "My parcel has not arrived and tracking has not changed for a week.",
    "Nie mogę zalogować się do Outlooka, hasło wygasło i konto jest zablokowane.",
]


@activity.defn
async def noop(value: str) -> str:
    return value


@workflow.defn
class OneActivityWorkflow:
    @workflow.run
    async def run(self, value: str) -> str:
        return await workflow.execute_activity(noop, value, start_to_close_timeout=timedelta(seconds=10))


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def _request(i: int) -> TriageRequest:
    return TriageRequest(
        tenant_id="bench", ticket_id=f"B-{uuid.uuid4().hex[:10]}", raw_message=TICKETS[i % len(TICKETS)],
        customer_name="Bench User", customer_email="bench@example.com",
    )


async def main(runs: int, concurrency: int) -> None:
    settings = Settings(state_dir=Path(tempfile.mkdtemp(prefix="triage-bench-")), task_queue=f"bench-{uuid.uuid4().hex[:6]}")
    print("loading models and seeding the knowledge base...", file=sys.stderr)
    prepare_toolkit(settings)

    direct = make_triage_graph().compile()
    await direct.ainvoke({"request": _request(0).model_dump()})  # warm-up
    in_process: list[float] = []
    for i in range(runs):
        start = time.perf_counter()
        await direct.ainvoke({"request": _request(i).model_dump()})
        in_process.append((time.perf_counter() - start) * 1000)

    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli_path(), data_converter=pydantic_data_converter, ui=False)
    try:
        client = env.client
        async with make_worker(client, settings), Worker(
            client, task_queue=settings.task_queue + "-floor", workflows=[OneActivityWorkflow], activities=[noop],
            workflow_runner=UnsandboxedWorkflowRunner(),  # defined in __main__, which the sandbox cannot re-import
        ):
            async def triage(i: int) -> float:
                request = _request(i)
                start = time.perf_counter()
                await client.execute_workflow(
                    TriageWorkflow.run, request, id=triage_workflow_id(request.tenant_id, request.ticket_id), task_queue=settings.task_queue
                )
                return (time.perf_counter() - start) * 1000

            async def floor(i: int) -> float:
                start = time.perf_counter()
                await client.execute_workflow(
                    OneActivityWorkflow.run, "x", id=f"floor-{uuid.uuid4().hex}", task_queue=settings.task_queue + "-floor"
                )
                return (time.perf_counter() - start) * 1000

            await triage(0)
            await floor(0)
            on_temporal = [await triage(i) for i in range(runs)]
            one_activity = [await floor(i) for i in range(runs)]

            start = time.perf_counter()
            await asyncio.gather(*(triage(i) for i in range(concurrency)))
            elapsed = time.perf_counter() - start
    finally:
        await env.shutdown()

    rows = [
        ("graph in-process (ainvoke)", in_process),
        ("TriageWorkflow on Temporal", on_temporal),
        ("one-activity workflow (floor)", one_activity),
    ]
    base_p50 = _percentiles(in_process)[0]
    print(f"\nTriage pipeline latency, {runs} sequential runs each (ms)")
    print(f"{'path':<32}{'p50':>9}{'p95':>9}{'p50 / in-process':>19}")
    for name, samples in rows:
        p50, p95 = _percentiles(samples)
        print(f"{name:<32}{p50:>9.1f}{p95:>9.1f}{p50 / base_p50:>18.2f}x")
    t50 = _percentiles(on_temporal)[0]
    print(f"\nTemporal overhead over in-process: {t50 - base_p50:.1f} ms at p50 ({(t50 - base_p50) / 6:.1f} ms per hop on the 6-hop critical path)")
    print(f"Throughput: {concurrency} concurrent tickets in {elapsed:.2f} s = {concurrency / elapsed:.2f} tickets/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="sequential runs per path (default 20)")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent tickets for the throughput run (default 20)")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.concurrency))
