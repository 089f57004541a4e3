"""The embedder interface every backend implements."""

from __future__ import annotations

from typing import Protocol, Sequence

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
        """Embed a batch; returns a float32 array of shape (len(texts), dimension)."""
        ...


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """L2-normalise each row (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.clip(norms, 1e-12, None)
