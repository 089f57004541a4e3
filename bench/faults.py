"""Benchmark: what a crash costs. Real processes are killed; nothing is simulated.

Runs the production shape (Temporal dev server on a SQLite file, a Chroma server, worker
processes, the API process) and prints, for a batch of N tickets posted to the API:

- kill -9 of one of two workers mid-batch, with activity heartbeats (the default, 5 s timeout)
  and without (``TRIAGE_ACTIVITY_HEARTBEAT_TIMEOUT_S=0``): completed / duplicates / seconds from the
  kill until every ticket is done;
- kill -9 of the Temporal server mid-batch, restarted on the same database file: the same figures;
- one 1 MB text through ``POST /v1/ai/entities``: seconds.

    .venv/bin/python bench/faults.py [--tickets 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from temporalio.client import Client  # noqa: E402

from bench.pipeline import start_api, wait_http  # noqa: E402
from core.api_keys import ApiKeyStore  # noqa: E402
from core.settings import Settings  # noqa: E402
from tests.integration.chroma_server import free_port, start_chroma_server  # noqa: E402
from tests.integration.processes import WorkerProcess  # noqa: E402
from tools.queries import build_query_services  # noqa: E402
from tools.retrieval.tickets import TicketRecord, index_ticket  # noqa: E402
from tools.triage_ledger import TriageLedger  # noqa: E402
from workflows.client import data_converter  # noqa: E402
from workflows.devserver import temporal_cli_path  # noqa: E402
from workflows.ids import triage_workflow_id  # noqa: E402

TEXTS = [
    "VPN GlobalProtect drops every few minutes since this morning, error 809 (case {n})",
    "Faktura FV/2026/03/{n} ma błędny NIP, proszę o korektę",
    "Printer on floor {n} is offline again and the queue is stuck",
    "Nie mogę zalogować się do Outlooka, konto zablokowane po zmianie hasła (zgłoszenie {n})",
    "ORA-12541 TNS no listener on srv-prod-db-{n}, reports failing",
]


class Temporal:
    """``temporal server start-dev`` on a database file, so it can be killed and restarted with its state."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._db = root / "temporal.db"
        self._log = root / "temporal.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [temporal_cli_path(), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(self.port),
             "--db-filename", str(self._db), "--log-level", "error"],
            stdout=self._log.open("ab"), stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


async def run_batch(api_port: int, key: str, ids: list[str], deadline_s: float = 600) -> dict:  # type: ignore[type-arg]
    """POST the batch; a caller that gets 5xx or a failed item asks again, as a client would."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", headers={"Authorization": f"Bearer {key}"}, timeout=300, trust_env=False) as http:
        started = time.monotonic()
        while time.monotonic() - started < deadline_s:
            try:
                response = await http.post("/v1/ai/triage/batch", json={"ticketIds": ids})
                if response.status_code == 200 and response.json()["failed"] == 0:
                    return response.json()
            except httpx.HTTPError:
                pass
            await asyncio.sleep(1.0)
    raise TimeoutError("the batch did not complete")


async def scenario(name: str, root: Path, tickets: int, fault: str, heartbeat_s: float) -> str:
    work = root / name
    work.mkdir(parents=True)
    temporal = Temporal(work)
    temporal.start()
    with start_chroma_server(work / "chroma") as (chroma_host, chroma_port, _):
        settings = Settings(
            state_dir=work / "state", temporal_address=temporal.address, task_queue=f"faults-{uuid.uuid4().hex[:6]}",
            chroma_mode="http", chroma_host=chroma_host, chroma_port=chroma_port,
            workflow_result_timeout_s=300, activity_heartbeat_timeout_s=heartbeat_s,
        )
        settings.state_dir.mkdir(parents=True)
        os.environ["TRIAGE_ACTIVITY_HEARTBEAT_TIMEOUT_S"] = str(heartbeat_s)
        engine = sa.create_engine(settings.sql_url)
        key = ApiKeyStore(engine).create(settings.default_tenant, "agent", user_id="faults")[1]
        workers = [WorkerProcess(settings, work / "worker-a.log"), WorkerProcess(settings, work / "worker-b.log")]
        for worker in workers:
            worker.wait_ready()
        queries = build_query_services(settings)
        ids = [f"F-{n:03d}-{uuid.uuid4().hex[:4]}" for n in range(tickets)]
        collection = queries.retrieval.collection("tickets")
        for n, ticket_id in enumerate(ids):
            text = TEXTS[n % len(TEXTS)].format(n=n)
            index_ticket(collection, None, TicketRecord(ticket_id, settings.default_tenant, text, text, "open"))
        api_port = free_port()
        api = start_api(settings, api_port, work / "api.log")
        ledger = TriageLedger(engine)
        try:
            await wait_http(f"http://127.0.0.1:{api_port}/health/live")
            batch = asyncio.create_task(run_batch(api_port, key, ids))
            while ledger.count(settings.default_tenant) < max(1, tickets // 8):
                await asyncio.sleep(0.05)
            done_at_kill = ledger.count(settings.default_tenant)
            killed = time.monotonic()
            if fault == "worker":
                workers[0].kill()
            else:
                temporal.kill()
                await asyncio.sleep(2.0)
                temporal.start()
            await batch
            while ledger.count(settings.default_tenant) < tickets:
                await asyncio.sleep(0.05)
            recovered = time.monotonic() - killed
            client = await Client.connect(temporal.address, data_converter=data_converter(settings))
            runs = 0
            for ticket_id in ids:
                runs += (await client.count_workflows(f"WorkflowId = '{triage_workflow_id(settings.default_tenant, ticket_id)}'")).count
            completed = ledger.count(settings.default_tenant)
            entries = sum(len(collection.document_chunks(i, settings.default_tenant)) for i in ids)
            return (f"{name:<38}{completed:>5}/{tickets:<4}{runs - tickets:>11}{entries - tickets:>14}{recovered:>12.1f}"
                    f"   ({done_at_kill} done at the kill)")
        finally:
            api.terminate()
            for worker in workers:
                worker.kill()
            temporal.kill()


async def large_entity_request(root: Path) -> str:
    settings = Settings(state_dir=root / "entities")
    settings.state_dir.mkdir(parents=True)
    key = ApiKeyStore(sa.create_engine(settings.sql_url)).create(settings.default_tenant, "agent", user_id="faults")[1]
    from fastapi.testclient import TestClient

    from api.main import create_app

    text = ("Klient Jan Kowalski, PESEL 44051401359, konto PL61109010140000071219812874, mail jan.k@example.com, "
            "serwer srv-prod-db-03 zwraca ORA-12541. ") * (1_048_576 // 150)
    app = create_app(settings, temporal_client=object())  # type: ignore[arg-type]  # entities need no workflow
    lines = []
    with TestClient(app) as http:
        for size in (100_000, 300_000, len(text)):
            started = time.perf_counter()
            response = http.post("/v1/ai/entities", json={"text": text[:size]}, headers={"Authorization": f"Bearer {key}"})
            lines.append(f"  {size / 1000:>6.0f} KB -> {response.status_code} in {time.perf_counter() - started:5.1f} s")
    return "POST /v1/ai/entities\n" + "\n".join(lines)


async def main(tickets: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="triage-faults-"))
    print(f"{'scenario':<38}{'completed':>10}{'duplicates':>11}{'extra entries':>14}{'s to done':>12}")
    for name, fault, heartbeat in (
        ("kill -9 one of 2 workers, heartbeats", "worker", 5.0),
        ("kill -9 one of 2 workers, no heartbeat", "worker", 0.0),
        ("kill -9 Temporal, restart same db", "temporal", 5.0),
    ):
        folder = name.replace(" ", "-").replace(",", "")
        print((await scenario(folder, root, tickets, fault, heartbeat)).replace(folder, name, 1), flush=True)
    print(await large_entity_request(root))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=40, help="tickets per batch (default 40, at most 50)")
    args = parser.parse_args()
    asyncio.run(main(min(args.tickets, 50)))
