"""Hybrid search: dense vectors (Chroma) and BM25 (SQLite FTS5) fused by reciprocal rank fusion.

RRF needs no score calibration between the two lists, which is why it is used: cosine
similarities and BM25 scores live on unrelated scales. The fused score is normalised so that 1.0
means "ranked first by both", 0.5 "first in one list only". Every hit also carries its cosine
``similarity`` (computed for lexical-only hits too), which callers use as an absolute relevance,
e.g. for routing confidence, because a fused rank says nothing about how relevant the best hit is.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Mapping

from tools.retrieval.documents import SourceDocument
from tools.retrieval.lexical import LexicalIndex, matches_filters
from tools.retrieval.store import ChromaKnowledgeStore, IngestSummary, SearchHit, storage_id

SearchMode = Literal["hybrid", "dense", "lexical"]
RRF_K = 60
log = logging.getLogger(__name__)


def reciprocal_rank_fusion(rankings: Iterable[list[str]], k: int = RRF_K) -> dict[str, float]:
    """id -> sum of 1/(k + rank) over the rankings it appears in (rank from 1)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


class HybridCollection:
    """One collection (knowledge_base, runbooks, tickets): Chroma for vectors and storage, BM25 (FTS5) beside it.

    Every write goes to both, in the same call, so lexical search sees a chunk as soon as dense
    search does, whichever process wrote it.
    """

    def __init__(self, store: ChromaKnowledgeStore, lexical_db: Path | None) -> None:
        self.store = store
        self._lexical = LexicalIndex(lexical_db, store.name)

    @property
    def name(self) -> str:
        return self.store.name

    def count(self) -> int:
        return self.store.count()

    def heartbeat(self) -> None:
        self.store.heartbeat()

    def sync_lexical(self) -> int:
        """Rebuild the lexical index from Chroma when their sizes differ (a store restored or written
        by an older version); returns the chunks indexed, 0 when nothing had to be done."""
        if self._lexical.size == self.store.count():
            return 0
        ids, texts, metadatas = self.store.all_chunks()
        self._lexical.delete([key for key in self._lexical_keys() if key not in set(ids)])
        self._lexical.upsert(ids, texts, metadatas)
        log.info("lexical index of %s rebuilt over %d chunks", self.name, len(ids))
        return len(ids)

    def _lexical_keys(self) -> list[str]:
        return self._lexical.keys()

    def ingest(
        self,
        documents: Iterable[SourceDocument],
        tenant_id: str,
        progress: Callable[[int], None] | None = None,
        document_vectors: Mapping[str, Any] | None = None,
    ) -> IngestSummary:
        return self.store.ingest(
            documents,
            tenant_id,
            progress,
            document_vectors=document_vectors,
            on_delete=self._lexical.delete,
            on_write=self._lexical.upsert,
        )

    def search(
        self,
        query: str,
        limit: int = 10,
        filters: dict[str, Any] | None = None,
        threshold: float = 0.0,
        mode: SearchMode = "hybrid",
        candidates: int | None = None,
        vector: Any = None,
    ) -> list[SearchHit]:
        """Best ``limit`` chunks whose mode score reaches ``threshold``; scores are 0..1.

        Pass ``vector`` (from :meth:`embed_query`) to search several collections with one embedding.
        """
        depth = candidates or max(limit * 3, 30)
        if vector is None and mode != "lexical":
            vector = self.store.embed_query(query)
        dense = self.store.search(query, depth, filters, vector=vector) if mode != "lexical" else []
        lexical: list[tuple[str, float]] = []
        if mode != "dense":
            lexical = self._lexical.search(query, depth, filters)
        dense_by_id = {storage_id(str(h.metadata.get("tenant_id", "")), h.chunk_id): h for h in dense}
        lexical_scores = dict(lexical)
        if mode == "dense":
            ranked = [(key, hit.similarity) for key, hit in dense_by_id.items()]
        elif mode == "lexical":
            top = lexical[0][1] if lexical else 1.0
            ranked = [(key, score / top) for key, score in lexical]
        else:
            fused = reciprocal_rank_fusion([list(dense_by_id), [key for key, _ in lexical]])
            best_possible = 2.0 / (RRF_K + 1)
            ranked = sorted(((key, value / best_possible) for key, value in fused.items()), key=lambda pair: -pair[1])
        ranked = [(key, round(min(1.0, score), 4)) for key, score in ranked if score >= threshold][:limit]
        missing = [key for key, _ in ranked if key not in dense_by_id]
        fetched = {storage_id(str(h.metadata.get("tenant_id", "")), h.chunk_id): h for h in self.store.get_chunks(missing, vector)}
        hits = []
        for key, score in ranked:
            hit = dense_by_id.get(key) or fetched.get(key)
            if hit is not None and matches_filters(hit.metadata, filters):
                hits.append(replace(hit, score=score, lexical=round(lexical_scores.get(key, 0.0), 4)))
        return hits

    def embed_query(self, query: str) -> Any:
        return self.store.embed_query(query)

    def document_sections(self, doc_id: str, tenant_id: str | None = None) -> dict[str, str]:
        return self.store.document_sections(doc_id, tenant_id)

    def document_chunks(self, doc_id: str, tenant_id: str | None = None) -> list[SearchHit]:
        return self.store.document_chunks(doc_id, tenant_id)

    def known_doc_ids(self) -> set[str]:
        return self.store.known_doc_ids()
