"""An embedder that computes each distinct text once while it is recent.

Three triage nodes need the ticket's vector (classify, retrieve, record) and the first two run at
the same time on the same worker; without this each would embed the same text. Concurrent callers
of one text wait for the first one's result instead of computing it again (single flight).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Callable, Sequence

import numpy as np

from tools.embeddings.base import Embedder


class CachingEmbedder:
    """Wraps an :class:`Embedder` with a bounded LRU of text -> vector (keys are hashes, not texts)."""

    def __init__(self, inner: Embedder, capacity: int = 2048) -> None:
        self._inner = inner
        self._capacity = capacity
        self._lock = threading.Lock()
        self._entries: OrderedDict[bytes, Future[np.ndarray]] = OrderedDict()
        self.computed = 0
        """Texts actually embedded by the inner model (for tests and benchmarks)."""

    @property
    def inner(self) -> Embedder:
        return self._inner

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def asymmetric(self) -> bool:
        """True when queries are embedded differently from stored passages (e5's ``query:`` prefix)."""
        return hasattr(self._inner, "embed_queries")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Passage-side vectors (what is stored)."""
        return self._cached(texts, self._inner.embed, b"p")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query-side vectors (what is searched or classified with); the passage side for symmetric models."""
        if not self.asymmetric:
            return self.embed(texts)
        return self._cached(texts, self._inner.embed_queries, b"q")  # type: ignore[attr-defined]

    def _cached(self, texts: Sequence[str], compute: Callable[[list[str]], np.ndarray], side: bytes) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        keys = [side + hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest() for text in texts]
        futures: list[Future[np.ndarray]] = []
        mine: dict[bytes, tuple[str, Future[np.ndarray]]] = {}
        with self._lock:
            for key, text in zip(keys, texts):
                future = self._entries.get(key)
                if future is None:
                    future = mine[key][1] if key in mine else Future()
                    mine.setdefault(key, (text, future))
                    self._entries[key] = future
                else:
                    self._entries.move_to_end(key)
                futures.append(future)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        if mine:
            pending = list(mine.items())
            try:
                vectors = compute([text for _, (text, _) in pending])
            except BaseException as exc:
                with self._lock:
                    for key, (_, future) in pending:
                        self._entries.pop(key, None)
                        future.set_exception(exc)
                raise
            self.computed += len(pending)
            for (_, (_, future)), vector in zip(pending, vectors):
                future.set_result(vector)
        return np.stack([future.result() for future in futures]).astype(np.float32, copy=False)
