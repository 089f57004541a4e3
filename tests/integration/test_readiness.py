"""/health/ready follows live workers within seconds and names the missing part.

A private dev server and a worker *process* (tests/integration/idle_worker.py) with a 2 s SDK
heartbeat: ready while it runs, 503 ``missing: ["worker"]`` within seconds of its SIGKILL (the
server itself keeps listing a killed worker's poller for 5 minutes), 503 ``temporal`` when the
server is gone. A worker without heartbeats is judged by its pollers' last access instead.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from tests.integration.conftest import queries_of
from tests.integration.temporal_dev_server import TemporalDevServer
from workflows.client import data_converter

IDLE_WORKER = Path(__file__).with_name("idle_worker.py")
DETECT_WITHIN_S = 15.0


def _start_worker(address: str, task_queue: str, heartbeat: str) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, str(IDLE_WORKER), address, task_queue, heartbeat], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


async def _ready_until(http: httpx.AsyncClient, want_status: int, timeout_s: float, detail: str = "") -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        response = await http.get("/health/ready")
        matches = response.status_code == want_status and detail in response.json()["checks"]["worker"]["detail"]
        if matches or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.5)


async def _scenario(server: TemporalDevServer, settings: Settings, toolkit) -> None:  # type: ignore[no-untyped-def]
    await server.wait_serving()
    client = await Client.connect(server.address, data_converter=data_converter(settings))
    app = create_app(settings, temporal_client=client, queries=queries_of(toolkit))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        none = await http.get("/health/ready")
        assert none.status_code == 503 and none.json()["missing"] == ["worker"], none.text

        worker = _start_worker(server.address, settings.task_queue, "2")
        try:
            ready = await _ready_until(http, 200, 20, detail="live worker")  # by pollers until the first heartbeat
            assert ready.status_code == 200, ready.text
            assert "live worker" in ready.json()["checks"]["worker"]["detail"]
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            killed_at = time.monotonic()
            gone = await _ready_until(http, 503, DETECT_WITHIN_S + 5)
            detected_after = time.monotonic() - killed_at
            assert gone.status_code == 503 and gone.json()["missing"] == ["worker"], gone.text
            print(f"worker SIGKILL -> /health/ready 503 after {detected_after:.1f} s")
            assert detected_after <= DETECT_WITHIN_S, detected_after
        finally:
            worker.kill()
            worker.wait(10)

        # No heartbeats (older servers, heartbeats off): a recent poll counts.
        quiet_queue = f"{settings.task_queue}-quiet"
        quiet = _start_worker(server.address, quiet_queue, "off")
        try:
            quiet_app = create_app(settings.model_copy(update={"task_queue": quiet_queue}), temporal_client=client, queries=queries_of(toolkit))
            async with quiet_app.router.lifespan_context(quiet_app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=quiet_app), base_url="http://testserver"
            ) as quiet_http:
                by_polls = await _ready_until(quiet_http, 200, 15)
                assert by_polls.status_code == 200 and "poller" in by_polls.json()["checks"]["worker"]["detail"], by_polls.text
        finally:
            quiet.kill()
            quiet.wait(10)

        server.kill()
        down = await http.get("/health/ready")
        assert down.status_code == 503 and "temporal" in down.json()["missing"], down.text
        assert down.json()["checks"]["temporal"]["ok"] is False


async def test_readiness_follows_live_workers_and_names_missing_parts(tmp_path: Path, integration_settings: Settings, toolkit) -> None:  # type: ignore[no-untyped-def]
    server = TemporalDevServer(tmp_path / "temporal")
    server.start()
    settings = integration_settings.model_copy(update={"task_queue": f"ready-{uuid.uuid4().hex[:8]}"})
    try:
        await asyncio.wait_for(_scenario(server, settings, toolkit), 120)
    finally:
        server.kill()
