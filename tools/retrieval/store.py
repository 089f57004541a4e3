"""Chroma-backed knowledge store: idempotent ingestion and dense search with citations.

Embeddings are computed by our :class:`~tools.embeddings.Embedder` and passed to Chroma
explicitly, so Chroma never loads (or downloads) a default embedding model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from tools.embeddings import Embedder
from tools.errors import StoreUnavailableError
from tools.offline import enforce_offline
from tools.retrieval.documents import Chunk, SourceDocument, chunk_document


def open_chroma_client(mode: str, path: Path | None = None, host: str = "localhost", port: int = 8001) -> Any:
    """A Chroma client: embedded ``PersistentClient`` or ``HttpClient`` to a server; telemetry off."""
    enforce_offline()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if mode == "http":
        return chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
    if path is None:
        return chromadb.EphemeralClient(settings=chroma_settings)
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


@dataclass(frozen=True)
class SearchHit:
    chunk_id: str
    doc_id: str
    title: str
    url: str
    score: float
    text: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class IngestSummary:
    documents: int
    added: int
    replaced: int
    unchanged: int
    chunks_written: int


class ChromaKnowledgeStore:
    """One Chroma collection of document chunks, searched by cosine similarity."""

    def __init__(self, client: Any, embedder: Embedder, collection: str = "knowledge_base") -> None:
        self._client = client
        self._embedder = embedder
        self._collection = client.get_or_create_collection(
            name=collection, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    @property
    def name(self) -> str:
        return str(self._collection.name)

    def count(self) -> int:
        return int(self._collection.count())

    def heartbeat(self) -> None:
        """Raise ``StoreUnavailableError`` when Chroma does not answer."""
        try:
            self._client.heartbeat()
        except Exception as exc:  # chromadb raises assorted transport errors
            raise StoreUnavailableError(f"Chroma is not reachable: {exc}") from exc

    def ingest(self, documents: Iterable[SourceDocument], tenant_id: str) -> IngestSummary:
        """Upsert documents; unchanged ones (same content hash) are skipped, changed ones replaced."""
        added = replaced = unchanged = written = 0
        documents = list(documents)
        for document in documents:
            existing = self._collection.get(where={"doc_id": document.doc_id}, include=["metadatas"])
            hashes = {m.get("content_hash") for m in (existing["metadatas"] or [])}
            if existing["ids"] and hashes == {document.content_hash}:
                unchanged += 1
                continue
            if existing["ids"]:
                self._collection.delete(ids=existing["ids"])
                replaced += 1
            else:
                added += 1
            written += self._write(chunk_document(document, tenant_id))
        return IngestSummary(len(documents), added, replaced, unchanged, written)

    def _write(self, chunks: list[Chunk]) -> int:
        if not chunks:
            return 0
        vectors = self._embedder.embed([c.text for c in chunks])
        self._collection.upsert(
            ids=[c.chunk_id for c in chunks],
            embeddings=vectors.tolist(),
            documents=[c.text for c in chunks],
            metadatas=[c.metadata for c in chunks],
        )
        return len(chunks)

    def search(self, query: str, limit: int = 5, where: dict[str, Any] | None = None) -> list[SearchHit]:
        """Dense search; score is cosine similarity clipped to 0..1."""
        if self.count() == 0:
            return []
        vector = self._embedder.embed([query])[0]
        try:
            response = self._collection.query(
                query_embeddings=[vector.tolist()],
                n_results=min(limit, self.count()),
                where=where,
                include=["metadatas", "documents", "distances"],
            )
        except Exception as exc:
            raise StoreUnavailableError(f"Chroma query failed: {exc}") from exc
        hits = []
        for chunk_id, metadata, text, distance in zip(
            response["ids"][0], response["metadatas"][0], response["documents"][0], response["distances"][0]
        ):
            hits.append(
                SearchHit(
                    chunk_id=chunk_id,
                    doc_id=str(metadata["doc_id"]),
                    title=str(metadata.get("title", "")),
                    url=str(metadata.get("url", "")),
                    score=round(max(0.0, min(1.0, 1.0 - float(distance))), 4),
                    text=text or "",
                    metadata=dict(metadata),
                )
            )
        return hits

    def document_sections(self, doc_id: str) -> dict[str, str]:
        """Section heading -> section text of one document (for drafting from an article's steps)."""
        found = self._collection.get(where={"doc_id": doc_id}, include=["metadatas", "documents"])
        sections: dict[str, str] = {}
        for metadata, text in zip(found["metadatas"] or [], found["documents"] or []):
            body = (text or "").split("\n", 2)
            sections[str(metadata.get("section", ""))] = body[2] if len(body) == 3 else (text or "")
        return sections

    def known_doc_ids(self) -> set[str]:
        found = self._collection.get(include=["metadatas"])
        return {str(m["doc_id"]) for m in found["metadatas"] or []}
