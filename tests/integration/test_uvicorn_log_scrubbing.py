"""``uvicorn --factory api.main:create_app`` (the production form) scrubs its own access log: no
launcher has to install the filter. A real uvicorn process, its output captured to a file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from temporalio.testing import WorkflowEnvironment

from core.api_keys import ApiKeyStore

PESEL = "44051401359"
IBAN = "PL61109010140000071219812874"
STARTUP_TIMEOUT_S = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_uvicorn_access_log_has_no_personal_data(tmp_path: Path, temporal_env: WorkflowEnvironment) -> None:
    state = tmp_path / "state"
    state.mkdir()
    key = ApiKeyStore(sa.create_engine(f"sqlite:///{state / 'triage.db'}"), cache_seconds=0).create("demo", "agent", user_id="log-test")[1]
    port = _free_port()
    env = {
        **os.environ,
        "TRIAGE_STATE_DIR": str(state),
        "TRIAGE_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "TRIAGE_TASK_QUEUE": "log-scrub-no-worker",
        "TRIAGE_WORKFLOW_RESULT_TIMEOUT_S": "1",
        "HF_HUB_OFFLINE": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    log_path = tmp_path / "uvicorn.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.main:create_app", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=Path(__file__).resolve().parents[2],
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30, trust_env=False) as http:
            while True:
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.5)
            patched = http.patch(f"/api/v1/tickets/{PESEL}", json={"status": "open"})
            assert patched.status_code in (404, 504), patched.text
            metrics = http.get("/v1/ai/triage/metrics", params={"team": IBAN})
            assert metrics.status_code == 200, metrics.text
    finally:
        server.terminate()
        server.wait(20)
    captured = log_path.read_text()
    assert "PATCH /api/v1/tickets/" in captured and "GET /v1/ai/triage/metrics?team=" in captured, captured[-3000:]
    assert PESEL not in captured and IBAN not in captured, captured[-3000:]
