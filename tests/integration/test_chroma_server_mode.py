"""Server mode: the knowledge store and the toolkit against a real ``chroma run`` server (HttpClient).

Embedded mode (PersistentClient / in-memory) is what the unit tests and the other integration tests
use; this module covers the production configuration, ``TRIAGE_CHROMA_MODE=http``.
"""

from __future__ import annotations

import socket
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from agents.registry import build_toolkit
from core.settings import Settings
from tests.integration.chroma_server import free_port
from core.errors import StoreUnavailableError
from tools.retrieval import ChromaKnowledgeStore, load_markdown_directory, open_chroma_client
from tools.retrieval.documents import SourceDocument
from worker import seed_knowledge_base

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kb_documents(settings: Settings) -> list[SourceDocument]:
    documents = load_markdown_directory(settings.kb_dir)
    assert documents, f"no articles in {settings.kb_dir}"
    return documents


@pytest.fixture(scope="module")
def http_store(chroma_server: tuple[str, int], embedder: Any, kb_documents: list[SourceDocument]) -> ChromaKnowledgeStore:
    host, port = chroma_server
    store = ChromaKnowledgeStore(open_chroma_client("http", None, host, port), embedder, f"kb_http_{uuid.uuid4().hex[:8]}")
    summary = store.ingest(kb_documents, tenant_id="demo")
    assert summary.added == len(kb_documents) and summary.chunks_written > 0
    return store


def test_heartbeat_answers(chroma_server: tuple[str, int], http_store: ChromaKnowledgeStore) -> None:
    host, port = chroma_server
    http_store.heartbeat()  # raises StoreUnavailableError if not
    assert open_chroma_client("http", None, host, port).heartbeat() > 0  # nanoseconds since the epoch


def test_search_finds_the_listener_article_first(http_store: ChromaKnowledgeStore) -> None:
    hits = http_store.search("ORA-12541 TNS no listener", limit=3)
    assert hits, "no hits from the server"
    assert hits[0].doc_id == "KB-1008", [(h.doc_id, h.score) for h in hits]
    assert hits[0].score > 0 and hits[0].url


def test_reingesting_unchanged_documents_writes_nothing(
    http_store: ChromaKnowledgeStore, kb_documents: list[SourceDocument]
) -> None:
    before = http_store.count()
    summary = http_store.ingest(kb_documents, tenant_id="demo")
    assert summary.unchanged == summary.documents == len(kb_documents)
    assert (summary.added, summary.replaced, summary.chunks_written) == (0, 0, 0)
    assert http_store.count() == before


def test_data_lives_on_the_server(chroma_server: tuple[str, int], http_store: ChromaKnowledgeStore, embedder: Any) -> None:
    """A second, independent client sees the same collection: nothing is held client-side."""
    host, port = chroma_server
    other = ChromaKnowledgeStore(open_chroma_client("http", None, host, port), embedder, http_store.name)
    assert other.count() == http_store.count() > 0
    assert other.known_doc_ids() == http_store.known_doc_ids()


class _Relay:
    """A loopback TCP relay to the server, so a client can be built and then see its server vanish."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
                server = socket.create_connection(self._upstream)
            except OSError:
                return
            with self._lock:
                self._sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()


def test_heartbeat_raises_store_unavailable_when_the_port_stops_answering(
    chroma_server: tuple[str, int], embedder: Any
) -> None:
    relay = _Relay(chroma_server)
    try:
        store = ChromaKnowledgeStore(open_chroma_client("http", None, "127.0.0.1", relay.port), embedder, "kb_relay")
        store.heartbeat()
    finally:
        relay.close()
    with pytest.raises(StoreUnavailableError) as raised:
        store.heartbeat()
    assert raised.value.code == "store_unavailable"


def test_opening_a_client_on_a_wrong_port_raises_store_unavailable() -> None:
    with pytest.raises(StoreUnavailableError):
        open_chroma_client("http", None, "127.0.0.1", free_port())


def test_toolkit_in_http_mode_uses_the_server(
    chroma_server: tuple[str, int], embedder: Any, http_store: ChromaKnowledgeStore, tmp_path: Path
) -> None:
    """build_toolkit with TRIAGE_CHROMA_MODE=http reads and seeds collections on the server.

    Its knowledge_base is the collection ``http_store`` already filled through another client (so the
    articles are not embedded a second time and seeding finds them unchanged); every other collection
    it has gets a fresh run-unique name and is seeded from empty.
    """
    host, port = chroma_server
    prefix = f"toolkit_{uuid.uuid4().hex[:8]}"
    names = {field: f"{prefix}_{info.default}" for field, info in Settings.model_fields.items() if field.endswith("_collection")}
    names["kb_collection"] = http_store.name
    settings = Settings(state_dir=tmp_path / "state", chroma_mode="http", chroma_host=host, chroma_port=port, **names)
    kb_chunks = http_store.count()

    toolkit = build_toolkit(settings, embedder=embedder)
    toolkit.kb_store.heartbeat()
    assert toolkit.kb_store.count() == kb_chunks > 0, "the toolkit does not see the server's knowledge base"

    seed_knowledge_base(toolkit)

    assert toolkit.kb_store.count() == kb_chunks, "unchanged articles were written again"
    assert toolkit.kb_store.search("ORA-12541 TNS no listener", limit=1)[0].doc_id == "KB-1008"
    assert not settings.chroma_path.exists(), "http mode must not create an embedded Chroma store"
    server = open_chroma_client("http", None, host, port)
    seeded = {c.name: c.count() for c in server.list_collections() if c.name.startswith(prefix)}
    assert all(count > 0 for count in seeded.values()), seeded
