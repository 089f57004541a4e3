"""Temporal down: every route that needs it answers 503 ``engine_unavailable`` with Retry-After, a
batch reports it per item, a caller already waiting gets it too, and the same call succeeds once
Temporal is back on the same database (the run survived).

A private dev server (not the session's) is SIGKILLed and restarted on the same port and file.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from tests.integration.conftest import KeyHeaders, queries_of
from tests.integration.temporal_dev_server import TemporalDevServer
from worker import make_worker
from workflows.client import data_converter

SCENARIO_TIMEOUT_S = 150


def _ticket(ticket_id: str) -> dict[str, str]:
    return {
        "ticket_id": ticket_id,
        "raw_message": "I was charged twice for my subscription this month. Please help!",
        "customer_name": "John Doe",
        "customer_email": "john.doe@example.com",
    }


def _assert_engine_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.request.method, response.request.url.path, response.text)
    assert response.json()["detail"]["code"] == "engine_unavailable", response.text
    assert int(response.headers["retry-after"]) > 0


async def _scenario(server: TemporalDevServer, settings: Settings, toolkit, headers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    await server.wait_serving()
    client = await Client.connect(server.address, data_converter=data_converter(settings))
    app = create_app(settings, temporal_client=client, queries=queries_of(toolkit))
    suffix = uuid.uuid4().hex[:8]
    known, waiting_id, new_id = f"DOWN-A-{suffix}", f"DOWN-B-{suffix}", f"DOWN-C-{suffix}"
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers, timeout=120
    ) as http:
        worker = make_worker(client, settings)
        running = asyncio.create_task(worker.run())
        first = await http.post("/api/v1/tickets/process", json=_ticket(known))
        assert first.status_code == 200, first.text
        await worker.shutdown()
        await running

        # No worker: B's run starts and its caller waits on the result when Temporal dies.
        waiting = asyncio.create_task(http.post("/api/v1/tickets/process", json=_ticket(waiting_id)))
        await asyncio.sleep(2.0)
        assert not waiting.done()
        server.kill()

        new_call, adhoc, batch, metrics, patch = await asyncio.gather(
            http.post("/api/v1/tickets/process", json=_ticket(new_id)),
            http.post("/v1/ai/triage", json={"title": "VPN down", "description": "The VPN client fails with error 809 since this morning."}),
            http.post("/v1/ai/triage/batch", json={"ticketIds": [known]}),
            http.get("/api/v1/tickets/metrics"),
            http.patch(f"/api/v1/tickets/{known}", json={"status": "in_progress"}),
        )
        for response in (await waiting, new_call, adhoc, metrics, patch):
            _assert_engine_unavailable(response)
        assert batch.status_code == 200, batch.text
        item = batch.json()["results"][0]
        assert item["ticketId"] == known and item["error"]["code"] == "engine_unavailable", item
        assert batch.json()["failed"] == 1

        ready = await http.get("/health/ready")
        assert ready.status_code == 503 and "temporal" in ready.json()["missing"], ready.text

        server.start()
        await server.wait_serving()
        worker = make_worker(client, settings)
        running = asyncio.create_task(worker.run())
        try:
            again = await http.post("/api/v1/tickets/process", json=_ticket(waiting_id))
            assert again.status_code == 200, again.text
            assert again.json()["ticket_id"] == waiting_id
            batch_again = await http.post("/v1/ai/triage/batch", json={"ticketIds": [known]})
            assert batch_again.status_code == 200 and batch_again.json()["failed"] == 0, batch_again.text
        finally:
            await worker.shutdown()
            await running


async def test_temporal_down_is_503_engine_unavailable_and_recovers(
    tmp_path: Path, integration_settings: Settings, toolkit, key_headers: KeyHeaders  # type: ignore[no-untyped-def]
) -> None:
    server = TemporalDevServer(tmp_path / "temporal")
    server.start()
    try:
        await asyncio.wait_for(
            _scenario(server, integration_settings, toolkit, key_headers(integration_settings.default_tenant)), SCENARIO_TIMEOUT_S
        )
    finally:
        server.kill()
