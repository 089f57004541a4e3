"""Any OpenAI-compatible ``/embeddings`` endpoint through langchain-openai."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from tools.embeddings.base import normalise_rows


class OpenAICompatibleEmbedder:
    """OpenAI, Azure OpenAI, vLLM, Ollama... anything that serves ``/embeddings``."""

    def __init__(self, model: str, base_url: str | None, api_key: str | None, dimension: int) -> None:
        from langchain_openai import OpenAIEmbeddings

        # check_embedding_ctx_length would make tiktoken download its encodings at run time; send text as is.
        self._client = OpenAIEmbeddings(
            model=model, base_url=base_url, api_key=api_key or "unused", max_retries=0, check_embedding_ctx_length=False
        )
        self._model = model
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def model_id(self) -> str:
        return f"openai:{self._model}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return normalise_rows(np.asarray(self._client.embed_documents(list(texts)), dtype=np.float32))
