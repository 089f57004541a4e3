"""Your own Hugging Face model from a local directory through sentence-transformers (optional extra).

Needs ``pip install .[torch]`` (torch is big, so it is not in the default install). The model is
read from ``TRIAGE_EMBEDDING_MODEL_PATH`` only: the hub stays off (``HF_HUB_OFFLINE``), nothing is
downloaded at run time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tools.embeddings.base import normalise_rows
from core.errors import ConfigurationError
from tools.offline import enforce_offline


class SentenceTransformerEmbedder:
    """A local sentence-transformers model behind the :class:`~tools.embeddings.base.Embedder` interface."""

    def __init__(self, model_path: Path | None, batch_size: int = 32) -> None:
        if model_path is None or not Path(model_path).is_dir():
            raise ConfigurationError(
                "TRIAGE_EMBEDDING_PROVIDER=sentence-transformers needs TRIAGE_EMBEDDING_MODEL_PATH, a local model "
                f"directory (got {model_path!s})",
                code="embedder_unavailable",
            )
        enforce_offline()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigurationError(
                "sentence-transformers is not installed: `pip install '.[torch]'` (pulls torch), "
                "or pick TRIAGE_EMBEDDING_PROVIDER=use-multilingual / e5-small",
                code="embedder_unavailable",
            ) from exc
        self._path = Path(model_path)
        self._model: Any = SentenceTransformer(str(self._path), device="cpu")
        self._batch_size = batch_size
        dimension = self._model.get_sentence_embedding_dimension()
        self._dimension = int(dimension) if dimension else int(self.embed(["warm-up"]).shape[1])

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def model_id(self) -> str:
        return f"sentence-transformers:{self._path.name}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=self._batch_size, normalize_embeddings=True, show_progress_bar=False)
        return normalise_rows(np.asarray(vectors, dtype=np.float32))
