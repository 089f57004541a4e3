"""The production shape under a crash: API in this process, the worker a separate process on a Chroma server.

A batch of 20 goes through the API; the worker is killed with SIGKILL mid-batch and a new one is
started. Every ticket must complete exactly once (one ledger row, one tickets-collection entry
each), and the API must keep answering while no worker runs.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from core.api_keys import ApiKeyStore
from core.settings import Settings
from tests.integration.processes import WorkerProcess, separate_worker_settings
from tools.queries import build_query_services
from tools.retrieval.tickets import TicketRecord, index_ticket
from tools.triage_ledger import TriageLedger, triage_runs
from workflows.client import data_converter
from workflows.ids import triage_workflow_id

BATCH = 20
TICKETS = [
    "VPN GlobalProtect drops every few minutes since this morning, error 809",
    "Faktura FV/2026/03/{n} ma błędny NIP, proszę o korektę",
    "Printer on floor {n} is offline again and the queue is stuck",
    "Nie mogę zalogować się do Outlooka, konto zablokowane po zmianie hasła",
    "ORA-12541 TNS no listener on srv-prod-db-{n}, reports failing",
]


@pytest.fixture()
def crash_settings(tmp_path: Path, chroma_server: tuple[str, int], temporal_env: WorkflowEnvironment) -> Settings:
    return separate_worker_settings(
        tmp_path / "state", chroma_server, temporal_env.client.service_client.config.target_host, "crash", workflow_result_timeout_s=150
    )


async def _wait_for(check, timeout: float, interval: float = 0.3) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(interval)
    return False


async def test_batch_survives_a_killed_worker_exactly_once(crash_settings: Settings, tmp_path: Path) -> None:
    settings = crash_settings
    log_path = tmp_path / "worker.log"
    first = WorkerProcess(settings, log_path)
    try:
        first.wait_ready()
        # Until its first SDK heartbeat (one interval after start) a worker is judged by its pollers, which
        # Temporal keeps listing for a minute after a crash: let it heartbeat once before killing it.
        await asyncio.sleep(settings.worker_heartbeat_interval_s + 1)
        client = await Client.connect(settings.temporal_address, data_converter=data_converter(settings))
        queries = build_query_services(settings)
        ids = [f"CRASH-{n:02d}-{uuid.uuid4().hex[:4]}" for n in range(BATCH)]
        tickets = queries.retrieval.collection("tickets")
        for n, ticket_id in enumerate(ids):  # known, open tickets for the batch to triage
            text = TICKETS[n % len(TICKETS)].format(n=n)
            index_ticket(tickets, None, TicketRecord(ticket_id, settings.default_tenant, text, text, "open"))
        engine = sa.create_engine(settings.sql_url)
        key = ApiKeyStore(engine).create(settings.default_tenant, "agent", user_id="crash-test")[1]
        ledger = TriageLedger(engine)

        app = create_app(settings, temporal_client=client, queries=queries)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", timeout=300, headers={"Authorization": f"Bearer {key}"}
            ) as api:
                batch = asyncio.create_task(api.post("/v1/ai/triage/batch", json={"ticketIds": ids}))

                async def some_done() -> bool:
                    return 0 < ledger.count(settings.default_tenant) < BATCH or batch.done()

                assert await _wait_for(some_done, 60), f"no ticket finished before the kill:\n{first.log_tail()}"
                first.kill()
                killed_at = time.monotonic()
                assert (await api.get("/health/live")).status_code == 200


                async def worker_reported_missing() -> bool:
                    ready = await api.get("/health/ready")
                    return ready.status_code == 503 and "worker" in ready.json().get("missing", [])

                assert await _wait_for(worker_reported_missing, 60, interval=1.0), (await api.get("/health/ready")).text

                second = WorkerProcess(settings, log_path)
                try:
                    second.wait_ready()
                    response = await batch
                    recovered_s = time.monotonic() - killed_at
                    assert response.status_code == 200, response.text
                    body = response.json()
                    assert body["completed"] == BATCH and body["failed"] == 0, body
                    assert [item["ticketId"] for item in body["results"]] == ids


                    async def ready_again() -> bool:
                        return (await api.get("/health/ready")).status_code == 200

                    assert await _wait_for(ready_again, 30, interval=1.0), (await api.get("/health/ready")).text
                finally:
                    second.stop()

        with engine.connect() as connection:
            rows = connection.execute(sa.select(triage_runs.c.workflow_id, triage_runs.c.ticket_id)).all()
        assert sorted(row.ticket_id for row in rows) == sorted(ids), "each ticket has exactly one ledger row"
        assert {row.workflow_id for row in rows} == {triage_workflow_id(settings.default_tenant, i) for i in ids}
        for ticket_id in ids:
            assert len(tickets.document_chunks(ticket_id, settings.default_tenant)) == 1, ticket_id
        print(f"kill -9 mid-batch of {BATCH}: all done {recovered_s:.1f} s after the kill")
    finally:
        first.kill()
