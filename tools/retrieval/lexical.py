"""BM25 over one collection's chunks (``bm25s``), persisted beside Chroma.

Embeddings blur exact identifiers: "ORA-12541" and "ORA-12514" sit close together in vector space
while meaning different faults. The lexical index keeps compound tokens whole *and* split
(``srv-prod-db-03``, ``srv``, ``prod``, ``db``, ``03``) so an exact code or hostname scores high.
Long Polish and English words also index a 5-letter prefix, a crude stemmer that lets "konta"
match "konto" and "connecting" match "connection" without a language model.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

_TOKEN = re.compile(r"\w(?:[\w.\-]*\w)?", re.UNICODE)
_PART = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORDS = frozenset(
    "a an and are as at be but by for from has have i in is it its my me of on or our so that the this to was "
    "we were will with you your i'm can cannot not no do does did since after before when how what why "
    "i w z na do nie się jest to że od po za ze dla o mi mnie mój moja moje czy jak ale już".split()
)
PREFIX_LENGTH = 5


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens: compounds whole and in parts, plus prefixes of long words."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        token = match.group(0)
        parts = _PART.findall(token)
        if len(parts) > 1:
            tokens.append(token)
        for part in parts:
            if part in _STOPWORDS:
                continue
            tokens.append(part)
            if part.isalpha() and len(part) > PREFIX_LENGTH + 1:
                tokens.append(part[:PREFIX_LENGTH] + "~")
    return tokens


def matches_filters(metadata: Mapping[str, Any], filters: Mapping[str, Any] | None) -> bool:
    """Equality filters; a list value means "any of"."""
    for key, wanted in (filters or {}).items():
        value = metadata.get(key)
        if isinstance(wanted, (list, tuple, set, frozenset)):
            if value not in wanted:
                return False
        elif value != wanted:
            return False
    return True


class LexicalIndex:
    """An in-memory BM25 index of chunk texts with their metadata, saved to ``directory``."""

    def __init__(self, directory: Path | None) -> None:
        self._directory = directory
        self._lock = threading.Lock()
        self._ids: list[str] = []
        self._metadatas: list[dict[str, Any]] = []
        self._retriever: Any = None
        self._fingerprint = ""

    @property
    def size(self) -> int:
        return len(self._ids)

    @staticmethod
    def fingerprint(ids: Sequence[str], metadatas: Sequence[Mapping[str, Any]]) -> str:
        """Identity of a corpus: chunk ids and their content hashes."""
        digest = hashlib.sha256()
        for chunk_id, metadata in sorted(zip(ids, metadatas), key=lambda pair: pair[0]):
            digest.update(f"{chunk_id}:{metadata.get('content_hash', '')}\n".encode())
        return digest.hexdigest()[:24]

    def is_current(self, fingerprint: str) -> bool:
        return self._retriever is not None and fingerprint == self._fingerprint

    def rebuild(self, ids: Sequence[str], texts: Sequence[str], metadatas: Sequence[Mapping[str, Any]]) -> None:
        """Index the whole corpus (BM25's IDF is corpus-wide, so there is no cheap partial update)."""
        import bm25s

        fingerprint = self.fingerprint(ids, metadatas)
        retriever = None
        if ids:
            retriever = bm25s.BM25()
            retriever.index([tokenize(text) or ["∅"] for text in texts], show_progress=False)
        with self._lock:
            self._ids, self._metadatas = list(ids), [dict(m) for m in metadatas]
            self._retriever, self._fingerprint = retriever, fingerprint
        self._save()

    def load(self, fingerprint: str) -> bool:
        """Load the saved index when it matches the corpus ``fingerprint``; False means rebuild."""
        if self._directory is None or not (self._directory / "chunks.json").is_file():
            return False
        import bm25s

        saved = json.loads((self._directory / "chunks.json").read_text(encoding="utf-8"))
        if saved.get("fingerprint") != fingerprint:
            return False
        retriever = bm25s.BM25.load(str(self._directory / "bm25"), show_progress=False) if saved["ids"] else None
        with self._lock:
            self._ids, self._metadatas = saved["ids"], saved["metadatas"]
            self._retriever, self._fingerprint = retriever, fingerprint
        return True

    def _save(self) -> None:
        if self._directory is None:
            return
        staging = self._directory.with_name(self._directory.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        if self._retriever is not None:
            self._retriever.save(str(staging / "bm25"), show_progress=False)
        (staging / "chunks.json").write_text(
            json.dumps({"fingerprint": self._fingerprint, "ids": self._ids, "metadatas": self._metadatas}), encoding="utf-8"
        )
        shutil.rmtree(self._directory, ignore_errors=True)
        staging.rename(self._directory)

    def search(self, query: str, limit: int, filters: Mapping[str, Any] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; only chunks sharing at least one token with the query."""
        tokens = tokenize(query)
        with self._lock:
            retriever, ids, metadatas = self._retriever, self._ids, self._metadatas
        if retriever is None or not tokens:
            return []
        scores = np.asarray(retriever.get_scores(tokens), dtype=np.float64)
        if filters:
            mask = np.fromiter((matches_filters(m, filters) for m in metadatas), dtype=bool, count=len(metadatas))
            scores = np.where(mask, scores, 0.0)
        positive = int(np.count_nonzero(scores > 0))
        if positive == 0:
            return []
        count = min(limit, positive)
        top = np.argpartition(-scores, count - 1)[:count]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(ids[i], float(scores[i])) for i in top]
