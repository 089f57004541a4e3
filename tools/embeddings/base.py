"""The embedder interface every backend implements."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np


class Embedder(Protocol):
    """Turns texts into unit-length vectors (a dot product is a cosine similarity)."""

    @property
    def dimension(self) -> int: ...

    @property
    def model_id(self) -> str:
        """Stable name of the model and its settings; stored with every vector collection."""
        ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a batch of documents (passages); returns float32 of shape (len(texts), dimension)."""
        ...


@runtime_checkable
class QueryEmbedder(Protocol):
    """An embedder whose model was trained with distinct query and passage inputs (e5's prefixes).

    Symmetric models (USE, MiniLM) do not implement it; :func:`embed_queries` then falls back to
    :meth:`Embedder.embed`, so callers never need to know which kind they hold.
    """

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries or texts to classify; same shape as :meth:`Embedder.embed`."""
        ...


def embed_queries(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """Embed ``texts`` as queries: a ticket to match against articles, or a text to classify.

    Why one helper: e5 must see ``query: `` on the ticket and ``passage: `` on the article, and a
    ticket is embedded once and reused for classification and retrieval.
    """
    if isinstance(embedder, QueryEmbedder):
        return embedder.embed_queries(texts)
    return embedder.embed(texts)


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """L2-normalise each row (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.clip(norms, 1e-12, None)
