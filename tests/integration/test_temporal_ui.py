"""The operator's view, in a real browser: the Temporal UI shows a triage run decrypted, with node summaries.

A dev server with its UI is started as ``make run`` starts it (``--ui-codec-endpoint`` pointing at the
API's codec), the API listens on a real port, and headless Chromium opens the run's page. The page
must show the decrypted input and result (the codec endpoint answered the UI with no token typed)
and the activity summaries (what each node had decided).
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
import uvicorn
from temporalio.client import Client

from api.main import create_app
from core.settings import Settings
from tests.integration.browser import chromium_path, open_page
from tests.integration.chroma_server import free_port
from tests.integration.conftest import queries_of
from worker import make_worker
from workflows.client import data_converter
from workflows.devserver import temporal_cli_path
from workflows.ids import triage_workflow_id

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (make test installs it as root)")


async def _wait_port(port: int, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise TimeoutError(f"nothing listens on {port}")


async def test_ui_shows_a_decrypted_run_and_node_summaries(
    integration_settings: Settings, toolkit, key_headers, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    temporal_port, ui_port, api_port = free_port(), free_port(), free_port()
    ui_origins = [f"http://127.0.0.1:{ui_port}", f"http://localhost:{ui_port}"]
    settings = integration_settings.model_copy(
        update={
            "temporal_address": f"127.0.0.1:{temporal_port}",
            "task_queue": f"ui-{uuid.uuid4().hex[:6]}",
            "codec_ui_origins": ui_origins,
            "cors_origins": ui_origins,
            "codec_token": None,
        }
    )
    server = subprocess.Popen(
        [temporal_cli_path(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(temporal_port), "--ui-port", str(ui_port),
         "--ui-codec-endpoint", f"http://127.0.0.1:{api_port}/codec", "--log-level", "error"],
        stdout=(tmp_path / "temporal.log").open("ab"), stderr=subprocess.STDOUT,
    )
    api_server: uvicorn.Server | None = None
    serving: asyncio.Task[None] | None = None
    try:
        await _wait_port(temporal_port)
        await _wait_port(ui_port)
        client = await Client.connect(settings.temporal_address, data_converter=data_converter(settings))
        app = create_app(settings, temporal_client=client, queries=queries_of(toolkit))
        api_server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=api_port, log_level="warning", lifespan="on"))
        serving = asyncio.create_task(api_server.serve())
        await _wait_port(api_port)
        async with make_worker(client, settings):
            ticket_id = f"UI-{uuid.uuid4().hex[:6]}"
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", trust_env=False, timeout=60) as http:
                response = await http.post(
                    "/api/v1/tickets/process",
                    headers=key_headers(settings.default_tenant),
                    json={"ticket_id": ticket_id, "raw_message": "I was charged twice for my subscription this month. Please help!",
                          "customer_name": "Uma Interface", "customer_email": "uma@example.com"},
                )
            assert response.status_code == 200, response.text
            workflow_id = triage_workflow_id(settings.default_tenant, ticket_id)
            async with open_page(f"http://127.0.0.1:{ui_port}/namespaces/default/workflows/{workflow_id}") as page:
                try:
                    text = await page.wait_for_text('"subcategory": "Duplicate Charge"', '"customer_name": "Uma Interface"', "triage.record_ticket")
                except AssertionError:
                    await page.screenshot(str(tmp_path / "ui.png"))
                    raise
            assert f"{ticket_id} · Billing/Duplicate Charge" in text, "the draft and record activities summarise the decisions"
            assert "auto_resolve" in text or "agent_assist" in text or "escalate" in text
    finally:
        if api_server is not None:
            api_server.should_exit = True
        if serving is not None:
            await asyncio.wait_for(serving, 15)
        server.terminate()
        server.wait(timeout=15)
