"""Benchmark: the triage pipeline in its production shape, beside the same graph in-process.

Starts a Temporal dev server, a Chroma server, one worker process (``worker.py``) and one API
process (``uvicorn --factory api.main:create_app``), as ``make run`` does, and prints:

- start time and memory (RSS) of the API and the worker processes, side by side;
- p50/p95 latency of the compiled triage graph invoked in-process, of ``TriageWorkflow`` on
  Temporal, and of a workflow with one no-op activity (the floor of any Temporal round trip);
- throughput with N concurrent tickets posted to the API (``POST /api/v1/tickets/process``);
- where each ticket's CPU time goes: per process during the concurrent run, and per node in-process.

    .venv/bin/python bench/pipeline.py [--runs 20] [--concurrency 20] [--rounds 3]
    .venv/bin/python bench/pipeline.py --fake-llm-latency-ms 300 --runs 10 --rounds 0

``--fake-llm-latency-ms N`` points both paths (the in-process graph and the worker process) at the
scriptable fake OpenAI-compatible server (tests/fake_openai.py) answering every call after N ms:
the real provider code and ChatOpenAI client run, only the model is fake. Each ticket then makes three
calls (classify, draft, policy_review); the bench prints both p50s and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from temporalio import activity, workflow  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.worker import UnsandboxedWorkflowRunner, Worker  # noqa: E402

from agents import registry  # noqa: E402
from agents.triage import make_triage_graph, nodes  # noqa: E402
from core.api_keys import ApiKeyStore  # noqa: E402
from core.contracts import TriageRequest  # noqa: E402
from core.settings import PROJECT_ROOT, Settings  # noqa: E402
from tests.fake_openai import FakeOpenAI  # noqa: E402
from tests.integration.chroma_server import free_port, heartbeat_ok, start_chroma_server  # noqa: E402
from tests.integration.processes import WorkerProcess, settings_environment  # noqa: E402
from worker import prepare_toolkit  # noqa: E402
from workflows import TriageWorkflow, triage_workflow_id  # noqa: E402
from workflows.client import data_converter  # noqa: E402
from workflows.devserver import temporal_cli_path  # noqa: E402

TICKETS = [
    "I was charged twice for my subscription this month. Please help!",
    "VPN keeps disconnecting every few minutes since this morning, error 809.",
    "ORA-12541 TNS no listener when connecting to srv-prod-db-03, production reports are failing.",
    "My parcel has not arrived and tracking has not changed for a week.",
    "Nie mogę zalogować się do Outlooka, hasło wygasło i konto jest zablokowane.",
]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@activity.defn
async def noop(value: str) -> str:
    return value


@workflow.defn
class OneActivityWorkflow:
    @workflow.run
    async def run(self, value: str) -> str:
        return await workflow.execute_activity(noop, value, start_to_close_timeout=timedelta(seconds=10))


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def ticket(i: int, tenant: str = "bench") -> TriageRequest:
    return TriageRequest(
        tenant_id=tenant, ticket_id=f"B-{uuid.uuid4().hex[:10]}", raw_message=TICKETS[i % len(TICKETS)],
        customer_name="Bench User", customer_email="bench@example.com",
    )


async def in_process(settings: Settings, runs: int) -> tuple[list[float], dict[str, float]]:
    """The compiled graph with ainvoke in this process, and the mean wall time of each node."""
    prepare_toolkit(settings)
    spent: dict[str, list[float]] = {}
    originals = {name: getattr(nodes, name) for name in nodes.__all__}

    def timed(name: str):  # type: ignore[no-untyped-def]
        async def wrapper(state):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return await originals[name](state)
            finally:
                spent.setdefault(name, []).append((time.perf_counter() - start) * 1000)

        wrapper.__name__ = name
        return wrapper

    plain = make_triage_graph().compile()
    await plain.ainvoke({"request": ticket(0).model_dump()})  # warm-up
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        await plain.ainvoke({"request": ticket(i).model_dump()})
        samples.append((time.perf_counter() - start) * 1000)
    for name in originals:
        setattr(nodes, name, timed(name))
    try:
        instrumented = make_triage_graph().compile()
        for i in range(runs):
            await instrumented.ainvoke({"request": ticket(i).model_dump()})
    finally:
        for name, original in originals.items():
            setattr(nodes, name, original)
    registry.install_toolkit(None)
    return samples, {name: statistics.mean(values) for name, values in spent.items()}


def start_temporal(state_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [temporal_cli_path(), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port), "--log-level", "error"],
        stdout=(state_dir / "temporal.log").open("ab"), stderr=subprocess.STDOUT,
    )
    return process, f"127.0.0.1:{port}"


def start_api(settings: Settings, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = os.environ | settings_environment(settings) | {"PYTHONUNBUFFERED": "1", "NO_PROXY": "127.0.0.1,localhost"}
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=PROJECT_ROOT, env=env, stdout=log_path.open("ab"), stderr=subprocess.STDOUT,
    )


async def wait_http(url: str, timeout: float = 180.0) -> float:
    started = time.monotonic()
    async with httpx.AsyncClient(trust_env=False) as http:
        while time.monotonic() - started < timeout:
            try:
                if (await http.get(url, timeout=2)).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(url)


async def background_done(client: Client, timeout_s: float = 60.0) -> None:
    """Wait until no workflow is running (the triage runs' background graph indexing included)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (await client.count_workflows("ExecutionStatus='Running'")).count == 0:
            return
        await asyncio.sleep(0.2)
    print("warning: background workflows still running after the rounds; CPU figures miss their tail", file=sys.stderr)


def use_fake_model(latency_ms: float) -> FakeOpenAI:
    """Start the fake model and point this process's settings and the children's (worker, API) at it."""
    fake = FakeOpenAI().__enter__()
    fake.latency_s = latency_ms / 1000
    os.environ.update(
        TRIAGE_LLM_PROVIDER="openai", TRIAGE_OPENAI_BASE_URL=fake.base_url, TRIAGE_LLM_MODEL="gpt-4o-mini",
        NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
    )
    return fake


async def print_timeline(client: Client, workflow_id: str) -> None:
    """Where one run's time went, from its history: each event, ms since the run started."""
    from temporalio.api.enums.v1 import EventType

    handle = client.get_workflow_handle(workflow_id)
    events = [event async for event in handle.fetch_history_events()]
    start = events[0].event_time.ToDatetime()
    scheduled: dict[int, str] = {}
    print(f"\nTimeline of {workflow_id} (ms since start; a gap before *Started is dispatch, before *Completed is work)")
    for event in events:
        name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
        detail = ""
        if event.HasField("activity_task_scheduled_event_attributes"):
            detail = scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
        for field in ("activity_task_started_event_attributes", "activity_task_completed_event_attributes"):
            if event.HasField(field):
                detail = scheduled.get(getattr(event, field).scheduled_event_id, "")
        at = (event.event_time.ToDatetime() - start).total_seconds() * 1000
        print(f"  {at:8.1f}  {name} {detail}")


async def phase_breakdown(client: Client, workflow_ids: list[str], latencies: list[float], per_node: dict[str, float]) -> None:
    """Median split of the Temporal runs: node work on the critical path (activity started -> completed),
    Temporal's wiring between them (dispatch + workflow tasks), and the client's start/result RPCs."""
    work: dict[str, list[float]] = {}
    wiring, rpc = [], []
    for workflow_id, latency in zip(workflow_ids, latencies):
        events = [event async for event in client.get_workflow_handle(workflow_id).fetch_history_events()]
        names = {e.event_id: e.activity_task_scheduled_event_attributes.activity_type.name
                 for e in events if e.HasField("activity_task_scheduled_event_attributes")}
        started: dict[int, float] = {}
        span = (events[-1].event_time.ToDatetime() - events[0].event_time.ToDatetime()).total_seconds() * 1000
        critical = 0.0
        for event in events:
            at = event.event_time.ToDatetime().timestamp() * 1000
            if event.HasField("activity_task_started_event_attributes"):
                started[event.activity_task_started_event_attributes.scheduled_event_id] = at
            if event.HasField("activity_task_completed_event_attributes"):
                scheduled = event.activity_task_completed_event_attributes.scheduled_event_id
                node = names[scheduled].split(".", 1)[-1]
                took = at - started[scheduled]
                work.setdefault(node, []).append(took)
                if node in ("classify", "draft", "record_ticket"):
                    critical += took
        wiring.append(span - critical)
        rpc.append(latency - span)
    print("\nWhere a Temporal run's time goes (medians over the sequential runs, ms):")
    print(f"{'node (activity work)':<24}{'on Temporal':>12}{'in-process':>12}")
    for node, samples in sorted(work.items()):
        print(f"{node:<24}{statistics.median(samples):>12.1f}{per_node.get(node, float('nan')):>12.1f}")
    print(f"{'wiring (dispatch + workflow tasks on the critical path)':<56}{statistics.median(wiring):>8.1f}")
    print(f"{'client start + result RPCs':<56}{statistics.median(rpc):>8.1f}")


async def main(
    runs: int, concurrency: int, rounds: int, profile: Path | None = None, fake_llm_latency_ms: float | None = None, timeline: bool = False,
    embedded_chroma: bool = False,
) -> None:
    root = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    fake = use_fake_model(fake_llm_latency_ms) if fake_llm_latency_ms else None
    print("in-process graph...", file=sys.stderr)
    # The same stores as the production shape (a Chroma server over HTTP, SQLite files), so the two
    # paths differ only by Temporal: an embedded Chroma writes ~30-60 ms faster than the server.
    if embedded_chroma:  # the comparison before: an embedded Chroma in this process (faster writes)
        local, per_node = await in_process(Settings(state_dir=root / "inprocess", task_queue="bench-inprocess"), runs)
    else:
        with start_chroma_server(root / "chroma-inprocess") as (chroma_host, chroma_port, _):
            local, per_node = await in_process(
                Settings(state_dir=root / "inprocess", task_queue="bench-inprocess", chroma_mode="http", chroma_host=chroma_host, chroma_port=chroma_port),
                runs,
            )

    temporal, address = start_temporal(root)
    with start_chroma_server(root / "chroma") as (chroma_host, chroma_port, chroma):
        settings = Settings(
            state_dir=root / "stack", temporal_address=address, task_queue=f"bench-{uuid.uuid4().hex[:6]}",
            chroma_mode="http", chroma_host=chroma_host, chroma_port=chroma_port, workflow_result_timeout_s=300,
        )
        settings.state_dir.mkdir(parents=True)
        key = ApiKeyStore(sa.create_engine(settings.sql_url)).create(settings.default_tenant, "agent", user_id="bench")[1]
        api_port = free_port()
        print("starting worker and API processes...", file=sys.stderr)
        worker = WorkerProcess(settings, root / "worker.log")
        worker_start = worker.wait_ready()
        api_started = time.monotonic()
        api = start_api(settings, api_port, root / "api.log")
        try:
            await wait_http(f"http://127.0.0.1:{api_port}/health/live")
            api_start = time.monotonic() - api_started
            client = await Client.connect(address, data_converter=data_converter(settings))
            async with Worker(
                client, task_queue=settings.task_queue + "-floor", workflows=[OneActivityWorkflow], activities=[noop],
                workflow_runner=UnsandboxedWorkflowRunner(),  # defined in __main__, which the sandbox cannot re-import
            ):

                triaged: list[str] = []

                async def triage(i: int) -> float:
                    request = ticket(i, settings.default_tenant)
                    triaged.append(triage_workflow_id(request.tenant_id, request.ticket_id))
                    start = time.perf_counter()
                    await client.execute_workflow(TriageWorkflow.run, request, id=triaged[-1], task_queue=settings.task_queue)
                    return (time.perf_counter() - start) * 1000

                async def floor(_: int) -> float:
                    start = time.perf_counter()
                    await client.execute_workflow(OneActivityWorkflow.run, "x", id=f"floor-{uuid.uuid4().hex}", task_queue=settings.task_queue + "-floor")
                    return (time.perf_counter() - start) * 1000

                await triage(0)
                await floor(0)
                # Interleaved, so both see the same server state: after a few workflows in a row the dev
                # server dispatches each non-eager task ~40 ms after it is scheduled (history timestamps;
                # after a few idle seconds the next few are fast again), so a floor measured apart from
                # the triage runs could land in the other regime and flatter or punish the ratio.
                on_temporal, one_activity = [], []
                for i in range(runs):
                    on_temporal.append(await triage(i))
                    one_activity.append(await floor(i))
                if timeline:
                    await print_timeline(client, triaged[-1])
                    await phase_breakdown(client, triaged[-runs:], on_temporal, per_node)

            pids = {"worker": worker.process.pid, "api": api.pid, "temporal": temporal.pid, "chroma": chroma.pid, "bench client": os.getpid()}
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{api_port}", headers={"Authorization": f"Bearer {key}"}, timeout=300, trust_env=False,
                limits=httpx.Limits(max_connections=concurrency * 2),
            ) as http:

                async def post(i: int) -> None:
                    request = ticket(i, settings.default_tenant)
                    response = await http.post(
                        "/api/v1/tickets/process",
                        json={"ticket_id": request.ticket_id, "raw_message": request.raw_message, "customer_name": "Bench User", "customer_email": "bench@example.com"},
                    )
                    response.raise_for_status()

                if rounds:
                    await asyncio.gather(*(post(i) for i in range(concurrency)))  # warm-up round
                spy = None
                if profile is not None:  # collapsed stacks of the worker during the measured rounds
                    spy = subprocess.Popen(
                        [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(worker.process.pid), "--format", "raw",
                         "--output", str(profile), "--threads", "--nonblocking", "--rate", "200"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    )
                    await asyncio.sleep(1.0)
                before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                rates = []
                for _ in range(rounds):
                    start = time.perf_counter()
                    await asyncio.gather(*(post(i) for i in range(concurrency)))
                    rates.append(concurrency / (time.perf_counter() - start))
                await background_done(client)  # the rounds' graph-indexing workflows (started 1 s late) count too
                after = {name: cpu_seconds(pid) for name, pid in pids.items()}
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=30)
            memory = {name: rss_mb(pid) for name, pid in (("api", api.pid), ("worker", worker.process.pid))}
        finally:
            api.terminate()
            worker.stop()
            temporal.terminate()
            if fake is not None:
                fake.__exit__(None, None, None)

    print("\nProcesses (production shape: worker and API separate, Chroma server, Temporal dev server)")
    print(f"{'process':<10}{'start to ready s':>18}{'RSS MB':>10}")
    print(f"{'api':<10}{api_start:>18.1f}{memory['api']:>10.0f}")
    print(f"{'worker':<10}{worker_start:>18.1f}{memory['worker']:>10.0f}   (includes seeding the demo content)")

    base = percentiles(local)[0]
    floor_p50 = percentiles(one_activity)[0]
    print(f"\nTriage latency, {runs} sequential runs each (ms)")
    print(f"{'path':<32}{'p50':>9}{'p95':>9}{'/ floor':>9}")
    for name, samples in (("graph in-process (ainvoke)", local), ("TriageWorkflow on Temporal", on_temporal), ("one-activity workflow (floor)", one_activity)):
        p50, p95 = percentiles(samples)
        print(f"{name:<32}{p50:>9.1f}{p95:>9.1f}{p50 / floor_p50:>8.2f}x")
    print(f"Temporal overhead over in-process: {percentiles(on_temporal)[0] - base:.1f} ms at p50 (3 activity hops on the critical path)")
    if fake is not None:
        calls = len(fake.received)
        print(f"Fake model: {fake_llm_latency_ms:.0f} ms per call, {calls} calls in all (classify, draft, policy_review per ticket)")
        print(f"Temporal p50 / in-process p50 with the fake model: {percentiles(on_temporal)[0]:.1f} / {base:.1f} ms = "
              f"{percentiles(on_temporal)[0] / base:.3f} (goal <= 1.1)")
    if not rounds:
        return

    tickets = concurrency * rounds
    print(f"\nThroughput through the API, {concurrency} concurrent tickets x {rounds} rounds: "
          f"{statistics.median(rates):.1f} tickets/s (median round; rounds {', '.join(f'{r:.1f}' for r in rates)})")
    print("CPU per ticket during those rounds, by process (ms):")
    total = 0.0
    for name in pids:
        used = (after[name] - before[name]) * 1000 / tickets
        total += used
        print(f"  {name:<13}{used:>8.1f}")
    print(f"  {'total':<13}{total:>8.1f}   (2 cores = {2000 / total:.1f} tickets/s if CPU were the only limit)")
    print("In-process time per node (mean ms, one ticket at a time):")
    for name, value in sorted(per_node.items(), key=lambda item: -item[1]):
        print(f"  {name:<17}{value:>8.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="sequential runs per path (default 20)")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent tickets per throughput round (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds after a warm-up round (default 3)")
    parser.add_argument("--profile", type=Path, help="write the worker's collapsed stacks during the rounds here (needs py-spy)")
    parser.add_argument("--fake-llm-latency-ms", type=float, help="both paths call a fake OpenAI-compatible model answering after this many ms")
    parser.add_argument("--timeline", action="store_true", help="print the last sequential triage run's history: where its time went")
    parser.add_argument("--in-process-embedded-chroma", action="store_true",
                        help="run the in-process graph on an embedded Chroma instead of a Chroma server like the worker's")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.concurrency, args.rounds, args.profile, args.fake_llm_latency_ms, args.timeline, args.in_process_embedded_chroma))
