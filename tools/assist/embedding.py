"""Token count of a text for the ticket's embedding model (``ai.generateTicketEmbedding``).

The seed reports ``tokenCount``: for the default local model (universal-sentence-encoder) it is the
number of SentencePiece tokens the model reads; an embedder that exposes ``count_tokens`` is
asked directly; otherwise (a remote endpoint whose tokenizer we do not have offline) it is an
estimate: words and punctuation marks. docs/helpdesk_ai.md says which applies.
"""

from __future__ import annotations

import re
from typing import Any

_PIECES = re.compile(r"\w+|[^\w\s]")


def _innermost(embedder: Any) -> Any:
    seen = 0
    while hasattr(embedder, "_inner") and seen < 5:  # caching and redacting wrappers
        embedder, seen = embedder._inner, seen + 1
    return embedder


def count_tokens(embedder: Any, text: str) -> tuple[int, bool]:
    """(tokens, exact): the model tokenizer's count when available, else an estimate (exact False)."""
    inner = _innermost(embedder)
    counter = getattr(inner, "count_tokens", None)
    if callable(counter):
        return int(counter(text)), True
    tokenizer = getattr(getattr(inner, "_model", None), "_sp", None)
    if tokenizer is not None and hasattr(tokenizer, "encode"):
        try:
            return len(tokenizer.encode(text)), True
        except Exception:  # noqa: BLE001 - a tokenizer we cannot call: estimate instead
            pass
    return len(_PIECES.findall(text)), False
