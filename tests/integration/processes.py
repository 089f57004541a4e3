"""Worker processes for tests that kill them: ``python worker.py`` with the test's settings in its environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from core.settings import PROJECT_ROOT, Settings

READY_LINE = b"worker polling task queue"
STARTUP_TIMEOUT_S = 120.0


def settings_environment(settings: Settings) -> dict[str, str]:
    """``TRIAGE_*`` variables that give a child process exactly these settings (the ones tests change)."""
    return {
        "TRIAGE_STATE_DIR": str(settings.state_dir),
        "TRIAGE_TEMPORAL_ADDRESS": settings.temporal_address,
        "TRIAGE_TASK_QUEUE": settings.task_queue,
        "TRIAGE_CHROMA_MODE": settings.chroma_mode,
        "TRIAGE_CHROMA_HOST": settings.chroma_host,
        "TRIAGE_CHROMA_PORT": str(settings.chroma_port),
        "TRIAGE_KB_COLLECTION": settings.kb_collection,
        "TRIAGE_RUNBOOK_COLLECTION": settings.runbook_collection,
        "TRIAGE_TICKET_COLLECTION": settings.ticket_collection,
        "TRIAGE_DEFAULT_TENANT": settings.default_tenant,
    }


def separate_worker_settings(state_dir: Path, chroma: tuple[str, int], temporal_address: str, prefix: str, **overrides: object) -> Settings:
    """Settings for a test whose worker runs as its own process: Chroma server mode and collections,
    task queue of its own, so it shares nothing with the session's in-process worker."""
    host, port = chroma
    suffix = uuid.uuid4().hex[:8]
    values: dict[str, object] = {
        "state_dir": state_dir,
        "temporal_address": temporal_address,
        "task_queue": f"{prefix}-{suffix}",
        "chroma_mode": "http",
        "chroma_host": host,
        "chroma_port": port,
        "kb_collection": f"kb_{suffix}",
        "runbook_collection": f"rb_{suffix}",
        "ticket_collection": f"tickets_{suffix}",
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


class WorkerProcess:
    """One ``worker.py`` process; its output goes to ``log_path``."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self._log_path = log_path
        env = os.environ | settings_environment(settings) | {"PYTHONUNBUFFERED": "1", "NO_PROXY": "127.0.0.1,localhost"}
        self._offset = log_path.stat().st_size if log_path.exists() else 0
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "worker.py"], cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT_S) -> float:
        """Seconds until the worker polls its task queue (it loads models and seeds content first)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.log_tail()}")
            with self._log_path.open("rb") as log:
                log.seek(self._offset)
                if READY_LINE in log.read():
                    return time.monotonic() - started
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready within {timeout:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """kill -9: no shutdown, in-flight activities are simply gone."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, limit: int = 4000) -> str:
        return self._log_path.read_text(encoding="utf-8", errors="replace")[-limit:]
