"""Chroma-backed knowledge store: idempotent ingestion and dense search with citations.

Embeddings are computed by our :class:`~tools.embeddings.Embedder` and passed to Chroma
explicitly, so Chroma never loads (or downloads) a default embedding model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from tools.embeddings import Embedder, embed_queries
from core.errors import ConfigurationError, StoreUnavailableError
from tools.offline import enforce_offline
from tools.retrieval.documents import Chunk, SourceDocument, chunk_document


def open_chroma_client(mode: str, path: Path | None = None, host: str = "localhost", port: int = 8001) -> Any:
    """A Chroma client: embedded ``PersistentClient`` or ``HttpClient`` to a server; telemetry off."""
    enforce_offline()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if mode == "http":
        try:
            return chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
        except Exception as exc:  # chromadb raises ValueError when the server does not answer
            raise StoreUnavailableError(f"Chroma server at {host}:{port} is not reachable: {exc}") from exc
    if path is None:
        return chromadb.EphemeralClient(settings=chroma_settings)
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


#: Collection metadata keys that record which model made the vectors.
MODEL_KEY = "embedding_model"
DIMENSION_KEY = "embedding_dimension"


def open_collection(client: Any, name: str, embedder: Embedder) -> Any:
    """Open (or create) a Chroma collection whose vectors are ``embedder``'s, never another model's.

    A new collection records ``embedder.model_id`` in its metadata; an existing one must carry the
    same id. An older empty collection without one is stamped; a non-empty one without one, or one
    built by another model, raises ConfigurationError: vectors of two models are not comparable,
    and a silent mix would rank by noise.
    """
    model_id = embedder.model_id
    stamp = {MODEL_KEY: model_id, DIMENSION_KEY: int(embedder.dimension)}
    collection = client.get_or_create_collection(
        name=name, metadata={"hnsw:space": "cosine", **stamp}, embedding_function=None
    )
    metadata = dict(collection.metadata or {})
    stored = metadata.get(MODEL_KEY)
    if stored == model_id:
        return collection
    if stored is None and collection.count() == 0:
        # Chroma refuses a metadata change that names the distance function; the space stays cosine.
        collection.modify(metadata={**{k: v for k, v in metadata.items() if not k.startswith("hnsw:")}, **stamp})
        return collection
    built_by = f"model {stored!r}" if stored else "a model that was not recorded (before model ids were stored)"
    raise ConfigurationError(
        f"Chroma collection {name!r} holds vectors made by {built_by}, but the configured embedder is "
        f"{model_id!r}; vectors of different models cannot be compared. Re-embed it with "
        f"`triage-desk reembed --collection <knowledge_base|runbooks|tickets>` (Chroma name {name!r}), "
        "or set TRIAGE_EMBEDDING_PROVIDER back to the model that built it.",
        code="embedding_model_mismatch",
    )


@dataclass(frozen=True)
class SearchHit:
    """One chunk found. ``score`` is the ranking score of the search mode (0..1); ``similarity``
    is always the cosine similarity to the query and ``lexical`` the raw BM25 score (0 if none)."""

    chunk_id: str
    doc_id: str
    title: str
    url: str
    score: float
    text: str
    metadata: dict[str, Any]
    similarity: float = 0.0
    lexical: float = 0.0

    def relevant(self, min_similarity: float, min_similarity_with_words: float) -> bool:
        """Whether the hit may be cited: close in meaning, or somewhat close and sharing words.

        The multilingual model's cosine runs lower across languages (a Polish ticket against an
        article: median 0.28 for the right article, off-topic tickets at most 0.22), so a hit that
        also matches on words (BM25 > 0) needs less (bench/data/retrieval_queries.jsonl: recall of
        the right article 0.75 -> 1.00 on Polish queries, 0.87 -> 1.00 on paraphrases, no citation
        for off-topic tickets; docs/retrieval.md).
        """
        return self.similarity >= min_similarity or (self.lexical > 0 and self.similarity >= min_similarity_with_words)


EMBED_BATCH = 64


def storage_id(tenant_id: str, chunk_id: str) -> str:
    """Chroma ids are global to a collection; tenants may reuse document ids, so the id carries the tenant."""
    return f"{tenant_id}/{chunk_id}"


def chroma_where(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Our flat equality filters (a list means any-of) in Chroma's ``where`` syntax."""
    if not filters:
        return None
    clauses = [{key: {"$in": list(value)}} if isinstance(value, (list, tuple, set)) else {key: value} for key, value in filters.items()]
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass(frozen=True)
class IngestSummary:
    documents: int
    added: int
    replaced: int
    unchanged: int
    chunks_written: int


def _hit(storage_key: str, metadata: dict[str, Any], text: str | None, similarity: float) -> SearchHit:
    """A hit from a stored chunk; similarity is clipped to 0..1 and is also its score."""
    clipped = round(max(0.0, min(1.0, similarity)), 4)
    return SearchHit(
        chunk_id=str(metadata.get("chunk_id", storage_key)),
        doc_id=str(metadata["doc_id"]),
        title=str(metadata.get("title", "")),
        url=str(metadata.get("url", "")),
        score=clipped,
        text=text or "",
        metadata=dict(metadata),
        similarity=clipped,
    )


class ChromaKnowledgeStore:
    """One Chroma collection of document chunks, searched by cosine similarity."""

    def __init__(self, client: Any, embedder: Embedder, collection: str = "knowledge_base") -> None:
        self._client = client
        self._embedder = embedder
        self._collection = open_collection(client, collection, embedder)

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

    def ingest(
        self,
        documents: Iterable[SourceDocument],
        tenant_id: str,
        progress: Callable[[int], None] | None = None,
        *,
        document_vectors: Mapping[str, Any] | None = None,
        on_delete: Callable[[list[str]], None] | None = None,
        on_write: Callable[[list[str], list[str], list[dict[str, Any]]], None] | None = None,
    ) -> IngestSummary:
        """Upsert documents; unchanged ones (same content hash) are skipped, changed ones replaced.

        A document is identified by (tenant, doc id): two tenants may both have a KB-1001. The
        stored content hashes of the given documents are read in one query per 500, and new chunks are embedded in batches of
        ``EMBED_BATCH`` (one model call per batch instead of one per document).

        ``document_vectors`` gives the embedding of a one-chunk document the caller already has;
        ``on_delete`` / ``on_write`` receive the storage ids removed and the chunks written, so an
        index beside Chroma (the lexical one) follows the same changes.
        """
        documents = list(documents)
        stored: dict[str, tuple[list[str], set[str]]] = {}
        doc_ids = sorted({document.doc_id for document in documents})
        for start in range(0, len(doc_ids), 500):  # only these documents' chunks, not the whole tenant
            where = chroma_where({"tenant_id": tenant_id, "doc_id": doc_ids[start : start + 500]})
            existing = self._collection.get(where=where, include=["metadatas"])
            for chunk_id, metadata in zip(existing["ids"], existing["metadatas"] or []):
                ids, hashes = stored.setdefault(str(metadata.get("doc_id")), ([], set()))
                ids.append(chunk_id)
                hashes.add(str(metadata.get("content_hash")))
        added = replaced = unchanged = written = 0
        pending: list[Chunk] = []

        def flush() -> None:
            nonlocal pending, written
            written += self._write(pending, document_vectors or {}, on_write)
            if progress is not None:
                progress(len({chunk.doc_id for chunk in pending}))
            pending = []

        for document in documents:
            ids, hashes = stored.get(document.doc_id, ([], set()))
            if ids and hashes == {document.content_hash}:
                unchanged += 1
                if progress is not None:
                    progress(1)
                continue
            if ids:
                self._collection.delete(ids=ids)
                if on_delete is not None:
                    on_delete(list(ids))
                replaced += 1
            else:
                added += 1
            pending.extend(chunk_document(document, tenant_id))
            if len(pending) >= EMBED_BATCH:
                flush()
        if pending:
            flush()
        return IngestSummary(len(documents), added, replaced, unchanged, written)

    def _write(
        self,
        chunks: list[Chunk],
        document_vectors: Mapping[str, Any],
        on_write: Callable[[list[str], list[str], list[dict[str, Any]]], None] | None,
    ) -> int:
        if not chunks:
            return 0
        per_document: dict[str, int] = {}
        for chunk in chunks:
            per_document[chunk.doc_id] = per_document.get(chunk.doc_id, 0) + 1
        given = [document_vectors.get(c.doc_id) if per_document[c.doc_id] == 1 else None for c in chunks]
        missing = [i for i, vector in enumerate(given) if vector is None]
        computed = iter(self._embedder.embed([chunks[i].text for i in missing]) if missing else [])
        vectors = [np.asarray(vector if vector is not None else next(computed), dtype=np.float32).tolist() for vector in given]
        ids = [storage_id(str(c.metadata["tenant_id"]), c.chunk_id) for c in chunks]
        self._collection.upsert(ids=ids, embeddings=vectors, documents=[c.text for c in chunks], metadatas=[c.metadata for c in chunks])
        if on_write is not None:
            on_write(ids, [c.text for c in chunks], [dict(c.metadata) for c in chunks])
        return len(chunks)

    def embed_query(self, query: str) -> Any:
        # Query side of the model (e5's "query: " prefix); the same as embed() for symmetric models.
        return embed_queries(self._embedder, [query])[0]

    def search(self, query: str, limit: int = 5, filters: dict[str, Any] | None = None, vector: Any = None) -> list[SearchHit]:
        """Dense search; score is cosine similarity clipped to 0..1.

        No count() first: Chroma answers a larger ``n_results`` with what it has, and each call is
        a round trip to the server on every triage.
        """
        vector = self.embed_query(query) if vector is None else vector
        try:
            response = self._collection.query(
                query_embeddings=[vector.tolist()],
                n_results=max(1, limit),
                where=chroma_where(filters),
                include=["metadatas", "documents", "distances"],
            )
        except Exception as exc:
            raise StoreUnavailableError(f"Chroma query failed: {exc}") from exc
        hits = []
        for chunk_id, metadata, text, distance in zip(
            response["ids"][0], response["metadatas"][0], response["documents"][0], response["distances"][0]
        ):
            hits.append(_hit(chunk_id, metadata, text, 1.0 - float(distance)))
        return hits

    def get_chunks(self, chunk_ids: list[str], vector: Any = None) -> list[SearchHit]:
        """Chunks by id, with their cosine similarity to ``vector`` when given."""
        if not chunk_ids:
            return []
        found = self._collection.get(ids=chunk_ids, include=["metadatas", "documents", "embeddings"])
        hits = []
        for chunk_id, metadata, text, embedding in zip(found["ids"], found["metadatas"], found["documents"], found["embeddings"]):
            similarity = 0.0
            if vector is not None:
                stored = np.asarray(embedding, dtype=np.float32)
                similarity = float(stored @ vector) / (float(np.linalg.norm(stored) * np.linalg.norm(vector)) or 1.0)
            hits.append(_hit(chunk_id, metadata, text, similarity))
        return hits

    def all_chunks(self, with_texts: bool = True) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Every chunk's id, text (empty unless ``with_texts``) and metadata, fetched in pages."""
        ids: list[str] = []
        texts: list[str] = []
        metadatas: list[dict[str, Any]] = []
        page = 5000
        include = ["metadatas", "documents"] if with_texts else ["metadatas"]
        for offset in range(0, self.count(), page):
            found = self._collection.get(include=include, limit=page, offset=offset)
            ids.extend(found["ids"])
            if with_texts:
                texts.extend(text or "" for text in found["documents"])
            else:
                texts.extend("" for _ in found["ids"])
            metadatas.extend(dict(m) for m in found["metadatas"])
        return ids, texts, metadatas

    def document_chunks(self, doc_id: str, tenant_id: str | None = None) -> list[SearchHit]:
        """All chunks of one document in order (empty when it is not stored)."""
        filters = {"doc_id": doc_id} if tenant_id is None else {"doc_id": doc_id, "tenant_id": tenant_id}
        found = self._collection.get(where=chroma_where(filters), include=["metadatas", "documents"])
        hits = [
            SearchHit(chunk_id=str(m.get("chunk_id", i)), doc_id=doc_id, title=str(m.get("title", "")), url=str(m.get("url", "")), score=1.0, text=t or "", metadata=dict(m))
            for i, m, t in zip(found["ids"], found["metadatas"], found["documents"])
        ]
        return sorted(hits, key=lambda hit: int(hit.metadata.get("chunk_index", 0)))
    def document_sections(self, doc_id: str, tenant_id: str | None = None) -> dict[str, str]:
        """Section heading -> section text of one document (for drafting from an article's steps)."""
        filters = {"doc_id": doc_id} if tenant_id is None else {"doc_id": doc_id, "tenant_id": tenant_id}
        found = self._collection.get(where=chroma_where(filters), include=["metadatas", "documents"])
        sections: dict[str, str] = {}
        for metadata, text in zip(found["metadatas"] or [], found["documents"] or []):
            body = (text or "").split("\n", 2)
            sections[str(metadata.get("section", ""))] = body[2] if len(body) == 3 else (text or "")
        return sections

    def known_doc_ids(self) -> set[str]:
        found = self._collection.get(include=["metadatas"])
        return {str(m["doc_id"]) for m in found["metadatas"] or []}
