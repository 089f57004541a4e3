"""A real ``chroma run`` server for the server-mode tests, started from the installed chromadb package.

No Docker and no internet: the ``chroma`` console script sits next to the test interpreter
(``.venv/bin/chroma``) and runs Chroma's Rust server in-process. The server binds 127.0.0.1 on a free
port, keeps its data and log in the directory it is given, and is stopped (SIGTERM, then SIGKILL)
when the context exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

HOST = "127.0.0.1"
HEARTBEAT_PATH = "/api/v2/heartbeat"
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0

# Environment of the server process: nothing may call home (the Python wrapper's telemetry switch, and
# OpenTelemetry export off in case the CI environment configures an OTLP endpoint), and plain log lines.
_QUIET_ENV = {
    "ANONYMIZED_TELEMETRY": "False",
    "CHROMA_ANONYMIZED_TELEMETRY": "False",
    "OTEL_SDK_DISABLED": "true",
    "OTEL_TRACES_EXPORTER": "none",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "HF_HUB_OFFLINE": "1",
    "NO_COLOR": "1",
}


class ChromaServerError(RuntimeError):
    """The server could not be started (missing executable, died, or never answered its heartbeat)."""


def chroma_executable() -> Path:
    """The ``chroma`` console script of the interpreter running the tests."""
    candidate = Path(sys.executable).parent / ("chroma.exe" if os.name == "nt" else "chroma")
    if not candidate.is_file():
        raise ChromaServerError(
            f"no chroma executable at {candidate}: install chromadb into the test environment (make install)"
        )
    return candidate


def free_port(host: str = HOST) -> int:
    """A port the OS reports free right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def heartbeat_ok(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when ``GET /api/v2/heartbeat`` answers 200 (no proxies: the server is on loopback)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://{host}:{port}{HEARTBEAT_PATH}", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def _log_tail(log_path: Path, limit: int = 4000) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "<no log>"
    return text[-limit:] if text else "<empty log>"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the server gets SIGTERM if the test process dies without running its teardown."""
    with contextlib.suppress(Exception):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def stop_process(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM, then SIGKILL if it has not exited after ``timeout`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def _launch(path: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    data_dir = path / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [str(chroma_executable()), "run", "--path", str(data_dir), "--host", HOST, "--port", str(port)]
    env = {**os.environ, **_QUIET_ENV}
    for key in [k for k in env if k.startswith("OTEL_EXPORTER_")]:
        del env[key]
    with log_path.open("ab") as log:
        log.write(f"$ {' '.join(command)}\n".encode())
        log.flush()
        return subprocess.Popen(
            command,
            cwd=path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )


@contextlib.contextmanager
def start_chroma_server(
    path: Path, timeout: float = STARTUP_TIMEOUT_S, attempts: int = 3
) -> Iterator[tuple[str, int, subprocess.Popen[bytes]]]:
    """Run ``chroma run --path <path>/data --host 127.0.0.1 --port <free>``; yield ``(host, port, process)``.

    Waits until the heartbeat answers (up to ``timeout`` seconds); if the server exits first it is
    retried on a new port (the free port may have been taken in between), and after ``attempts``
    failures ``ChromaServerError`` carries the server's log. The log is ``<path>/chroma-server.log``.
    """
    path.mkdir(parents=True, exist_ok=True)
    log_path = path / "chroma-server.log"
    process: subprocess.Popen[bytes] | None = None
    port = 0
    failure = ""
    for _ in range(attempts):
        port = free_port()
        process = _launch(path, port, log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                failure = f"chroma run exited with code {process.returncode} before answering its heartbeat"
                break
            if heartbeat_ok(HOST, port):
                failure = ""
                break
            time.sleep(0.1)
        else:
            failure = f"chroma run did not answer {HEARTBEAT_PATH} on port {port} within {timeout:.0f} s"
            stop_process(process)
            break  # a hung server will not do better on another port
        if not failure:
            break
        process = None
    if process is None or failure:
        raise ChromaServerError(f"{failure}\n--- {log_path} ---\n{_log_tail(log_path)}")
    try:
        yield HOST, port, process
    finally:
        stop_process(process)
