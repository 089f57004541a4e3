"""Text that leaves for an OpenAI-compatible provider is redacted: a local HTTP endpoint stands in
for the provider (the LLM boundary) and records exactly what the real langchain-openai client sent."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Iterator

import pytest

from tools.queries import build_embedder
from core.settings import Settings
from tools.pii import Redactor


class _Provider(BaseHTTPRequestHandler):
    received: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        _Provider.received.extend(str(text) for text in inputs)
        data = [{"object": "embedding", "index": i, "embedding": [1.0, float(i), 0.5]} for i in range(len(inputs))]
        payload = json.dumps({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}})
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def provider_url() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Provider.received = []
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


TEXT = "Refund to PL61109010140000071219812874 for anna.nowak@acme.pl, PESEL 44051401359, ORA-12541 on srv-prod-db-03"


@pytest.mark.parametrize("redact", [True, False])
def test_openai_embedder_redacts_unless_disabled(provider_url: str, entity_extractor, redact: bool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    settings = Settings(embedding_provider="openai", openai_base_url=provider_url, embedding_model="test-embed", redact_before_llm=redact)
    vectors = build_embedder(settings, Redactor(entity_extractor)).embed([TEXT])
    assert vectors.shape == (1, 3)
    [sent] = _Provider.received
    leaked = [secret for secret in ("PL61109010140000071219812874", "anna.nowak@acme.pl", "44051401359") if secret in sent]
    if redact:
        assert not leaked and "<PESEL_1>" in sent and "srv-prod-db-03" in sent
    else:
        assert len(leaked) == 3
