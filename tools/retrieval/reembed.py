"""Re-embed a Chroma collection with the configured model (``triage-desk reembed --collection NAME``).

Why a command rather than doing it at start-up: re-embedding a large collection takes minutes and
should be a decision, not a side effect of changing ``TRIAGE_EMBEDDING_PROVIDER``. The texts and
metadata Chroma holds are re-embedded into a fresh collection, which then takes the old one's
name, so a failure half-way leaves the old collection as it was. BM25 indexes do not depend on the
model and are left alone.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from tools.embeddings import Embedder
from tools.retrieval.store import DIMENSION_KEY, MODEL_KEY

PAGE = 1000
BATCH = 64


def reembed_collection(client: Any, name: str, embedder: Embedder, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild ``name`` with ``embedder``'s vectors; returns the number of chunks re-embedded."""
    old = client.get_collection(name=name, embedding_function=None)
    fresh_name = f"{name[:40]}-reembed-{uuid.uuid4().hex[:8]}"
    fresh = client.create_collection(
        name=fresh_name,
        metadata={"hnsw:space": "cosine", MODEL_KEY: embedder.model_id, DIMENSION_KEY: int(embedder.dimension)},
        embedding_function=None,
    )
    total = 0
    try:
        for offset in range(0, old.count(), PAGE):
            page = old.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
            for start in range(0, len(page["ids"]), BATCH):
                ids = page["ids"][start : start + BATCH]
                texts = [text or "" for text in page["documents"][start : start + BATCH]]
                metadatas = page["metadatas"][start : start + BATCH]
                fresh.upsert(ids=ids, embeddings=embedder.embed(texts).tolist(), documents=texts, metadatas=metadatas)
                total += len(ids)
                if progress is not None:
                    progress(len(ids))
    except BaseException:
        client.delete_collection(fresh_name)
        raise
    client.delete_collection(name)
    fresh.modify(name=name)
    return total
