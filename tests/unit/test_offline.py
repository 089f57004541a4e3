"""Nothing reaches the network at run time: model loading, Presidio's tldextract, Chroma."""

from __future__ import annotations

import socket
import uuid

import pytest

from tests.unit.conftest import HashingEmbedder
from tools.pii import EntityExtractor
from tools.retrieval import ChromaKnowledgeStore, open_chroma_client


@pytest.fixture()
def no_outbound(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(host, str) and not (host.startswith("127.") or host in ("::1", "localhost")) and self.family != socket.AF_UNIX:
            attempts.append(address)
            raise OSError(f"outbound connection attempted to {address}")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: (_ for _ in ()).throw(OSError(f"DNS lookup attempted: {a[0]}")))
    return attempts


def test_entities_and_store_work_without_network(no_outbound: list[object]) -> None:
    extractor = EntityExtractor()
    found = extractor.extract("Write to jan.kowalski@firma.com.pl or visit https://status.example.org/x")
    assert {e.type for e in found} == {"email", "url"}
    store = ChromaKnowledgeStore(open_chroma_client("embedded", None), HashingEmbedder(), f"kb_{uuid.uuid4().hex[:8]}")
    assert store.search("anything") == []
    assert no_outbound == []
