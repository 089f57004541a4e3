"""/v1/ai/entities and /v1/ai/redact on large texts: linear cost, a per-request time budget, and work
stopped when the client goes away (the extractor checks between 20k-character windows)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
from fastapi import FastAPI
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from tests.integration.conftest import queries_of
from tools.pii.entities import EntityExtractor

DENSE = (
    "Pilne: serwer srv-prod-db-03 nie odpowiada, ORA-12541. Kontakt: jan.kowalski@acme.pl, tel. +48 601 234 567. "
    "Zwrot na konto PL61109010140000071219812874, PESEL 44051401359, NIP 526-000-12-46. "
)


def _text(size: int) -> str:
    return (DENSE * (size // len(DENSE) + 1))[:size]


def _seconds(extractor: EntityExtractor, text: str) -> float:
    started = time.perf_counter()
    extractor.extract(text, "pl")
    return time.perf_counter() - started


def test_entity_extraction_cost_is_linear(toolkit) -> None:  # type: ignore[no-untyped-def]
    """300 KB of entity-dense text costs about 3x 100 KB (it was 4.5x: quadratic overlap resolution)."""
    extractor = toolkit.entity_extractor
    small, large = _seconds(extractor, _text(100_000)), _seconds(extractor, _text(300_000))
    assert large / small < 4.2, (small, large)


async def _budget_app(integration_settings: Settings, temporal_client: Client, toolkit, budget_s: float) -> tuple[FastAPI, Any]:  # type: ignore[no-untyped-def]
    app = create_app(
        integration_settings.model_copy(update={"request_time_budget_s": budget_s}), temporal_client=temporal_client, queries=queries_of(toolkit)
    )
    return app, app.router.lifespan_context(app)


async def test_a_request_over_its_time_budget_is_stopped_with_413(
    integration_settings: Settings, temporal_client: Client, toolkit, key_headers  # type: ignore[no-untyped-def]
) -> None:
    app, lifespan = await _budget_app(integration_settings, temporal_client, toolkit, 0.5)
    async with lifespan, httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=key_headers(integration_settings.default_tenant), timeout=60
    ) as http:
        for path in ("/v1/ai/entities", "/v1/ai/redact"):
            started = time.perf_counter()
            response = await http.post(path, json={"text": _text(600_000)})
            assert response.status_code == 413, response.text[:300]
            assert response.json()["detail"]["code"] == "time_budget_exceeded"
            assert time.perf_counter() - started < 4.0  # the budget plus at most one window


async def test_a_client_that_disconnects_stops_the_work(
    integration_settings: Settings, temporal_client: Client, toolkit, key_headers  # type: ignore[no-untyped-def]
) -> None:
    """Raw ASGI: the client sends 1 MB and is gone 0.5 s later; the extraction (seconds of work)
    stops within a window and the thread is free again."""
    app, lifespan = await _budget_app(integration_settings, temporal_client, toolkit, 120)
    body = json.dumps({"text": _text(1_000_000)}).encode()
    headers = [(b"content-type", b"application/json"), *[(k.lower().encode(), v.encode()) for k, v in key_headers(integration_settings.default_tenant).items()]]
    sent: list[dict[str, Any]] = []
    body_sent = asyncio.Event()

    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        # As uvicorn's: the body, then nothing until the client is gone, then http.disconnect at once.
        if not body_sent.is_set():
            body_sent.set()
            asyncio.get_running_loop().call_later(0.5, gone.set)
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http", "path": "/v1/ai/entities",
        "raw_path": b"/v1/ai/entities", "query_string": b"", "root_path": "", "headers": headers, "client": ("127.0.0.1", 1), "server": ("testserver", 80),
    }
    async with lifespan:
        started = time.perf_counter()
        await asyncio.wait_for(app(scope, receive, send), 30)
        elapsed = time.perf_counter() - started
    statuses = [message["status"] for message in sent if message["type"] == "http.response.start"]
    assert statuses == [499], statuses
    assert elapsed < 3.0, elapsed  # a full run of this text takes ~10 s
