"""BM25 over one collection's chunks, in SQLite FTS5: safe with several writer and reader processes.

Embeddings blur exact identifiers: "ORA-12541" and "ORA-12514" sit close together in vector space
while meaning different faults. The lexical index keeps compound tokens whole *and* split
(``srv-prod-db-03``, ``srv``, ``prod``, ``db``, ``03``) so an exact code or hostname scores high.
Long words also index a 5-letter prefix, a crude language-free stemmer that lets "konta" match
"konto" and "connecting" match "connection"; Polish diacritics are folded for matching only
("zalaczniki" finds "załączniki"), the stored documents keep theirs.

Why FTS5 rather than an in-memory BM25 saved to files: the worker writes tickets while the API
and the ingest CLI read and write the same collections from other processes. SQLite in WAL mode
gives every process transactional writes and consistent reads with no rebuild and no lag, and
``bm25()`` ranks inside the database. Rows are keyed by Chroma's storage id; metadata is kept as
JSON beside them so filters are checked in the same query.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import unicodedata
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from core.errors import InvalidInputError

_TOKEN = re.compile(r"\w(?:[\w.\-]*\w)?", re.UNICODE)
_PART = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORDS = frozenset(
    "a an and are as at be but by for from has have i in is it its my me of on or our so that the this to was "
    "we were will with you your i'm can cannot not no do does did since after before when how what why "
    "i w z na do nie sie jest to ze od po za ze dla o mi mnie moj moja moje czy jak ale juz".split()
)
PREFIX_LENGTH = 5
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "đ": "d", "ß": "ss"})
_FILTER_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
BUSY_TIMEOUT_S = 30.0


def fold(text: str) -> str:
    """Lower case without diacritics (``Załącznik`` -> ``zalacznik``), for matching only."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD).lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    """Folded tokens: compounds whole and in parts, plus prefixes of long words."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(fold(text)):
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


def _match_expression(tokens: Sequence[str]) -> str:
    """An FTS5 query matching any of the tokens (each quoted, so no token is read as syntax)."""
    return " OR ".join('"' + token.replace('"', '""') + '"' for token in dict.fromkeys(tokens))


class LexicalIndex:
    """One collection's BM25 index: a chunk table and its FTS5 index in a SQLite file (or in memory)."""

    def __init__(self, database: Path | None, collection: str) -> None:
        safe = re.sub(r"[^A-Za-z0-9_]", "_", collection)
        self._chunks = f"lex_{safe}_chunks"
        self._fts = f"lex_{safe}_fts"
        self._local = threading.local()
        if database is None:  # tests and benchmarks: a private in-memory database kept open by one connection
            self._uri = f"file:lexical-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._keeper: sqlite3.Connection | None = self._open()
        else:
            database.parent.mkdir(parents=True, exist_ok=True)
            self._uri = f"file:{database}"
            self._keeper = None
        with self._connection() as connection:
            if database is not None:
                connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(
                f"""
                CREATE TABLE IF NOT EXISTS {self._chunks} (
                    rowid INTEGER PRIMARY KEY,
                    storage_key TEXT NOT NULL UNIQUE,
                    tenant_id TEXT NOT NULL,
                    doc_id TEXT NOT NULL,
                    metadata TEXT NOT NULL
                );
                CREATE INDEX IF NOT EXISTS {self._chunks}_doc ON {self._chunks}(tenant_id, doc_id);
                CREATE VIRTUAL TABLE IF NOT EXISTS {self._fts} USING fts5(
                    tokens, tokenize="unicode61 remove_diacritics 2 tokenchars '-._~'"
                );
                """
            )

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        connection.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash may lose the last commits, never corrupt the index
        return connection

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (opened once: closing one checkpoints the WAL, ~10 ms per write)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._open()
        yield connection

    @property
    def size(self) -> int:
        with self._connection() as connection:
            return int(connection.execute(f"SELECT count(*) FROM {self._chunks}").fetchone()[0])

    def keys(self) -> list[str]:
        with self._connection() as connection:
            return [str(row[0]) for row in connection.execute(f"SELECT storage_key FROM {self._chunks}")]

    def upsert(self, keys: Sequence[str], texts: Sequence[str], metadatas: Sequence[Mapping[str, Any]]) -> None:
        """Insert or replace chunks, in one transaction (readers see all of them or none)."""
        if not keys:
            return
        with self._connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for key, text, metadata in zip(keys, texts, metadatas):
                    self._delete_key(connection, key)
                    cursor = connection.execute(
                        f"INSERT INTO {self._chunks}(storage_key, tenant_id, doc_id, metadata) VALUES (?, ?, ?, ?)",
                        (key, str(metadata.get("tenant_id", "")), str(metadata.get("doc_id", "")), json.dumps(dict(metadata))),
                    )
                    connection.execute(
                        f"INSERT INTO {self._fts}(rowid, tokens) VALUES (?, ?)", (cursor.lastrowid, " ".join(tokenize(text)) or "∅")
                    )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        with self._connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for key in keys:
                    self._delete_key(connection, key)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    def _delete_key(self, connection: sqlite3.Connection, key: str) -> None:
        row = connection.execute(f"SELECT rowid FROM {self._chunks} WHERE storage_key = ?", (key,)).fetchone()
        if row is not None:
            connection.execute(f"DELETE FROM {self._fts} WHERE rowid = ?", (row[0],))
            connection.execute(f"DELETE FROM {self._chunks} WHERE rowid = ?", (row[0],))

    def search(self, query: str, limit: int, filters: Mapping[str, Any] | None = None) -> list[tuple[str, float]]:
        """(storage key, BM25 score > 0) best first; only chunks sharing at least one token with the query."""
        tokens = tokenize(query)
        if not tokens or limit <= 0:
            return []
        clauses, parameters = self._filter_sql(filters)
        sql = (
            f"SELECT c.storage_key, -bm25({self._fts}) AS score FROM {self._fts} "
            f"JOIN {self._chunks} c ON c.rowid = {self._fts}.rowid "
            f"WHERE {self._fts} MATCH ?{clauses} ORDER BY bm25({self._fts}) LIMIT ?"
        )
        with self._connection() as connection:
            rows = connection.execute(sql, [_match_expression(tokens), *parameters, limit]).fetchall()
        return [(str(key), float(score)) for key, score in rows if score > 0]

    @staticmethod
    def _filter_sql(filters: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
        """Equality / any-of filters on the chunk metadata, as SQL over its JSON."""
        clauses: list[str] = []
        parameters: list[Any] = []
        for key, wanted in (filters or {}).items():
            if not _FILTER_KEY.match(key):
                raise InvalidInputError(f"filter field {key!r} is not a metadata field name", code="invalid_filter")
            column = "c.tenant_id" if key == "tenant_id" else "c.doc_id" if key == "doc_id" else f"json_extract(c.metadata, '$.{key}')"
            values = list(wanted) if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]
            if not values:
                clauses.append(" AND 0")
                continue
            clauses.append(f" AND {column} IN ({', '.join('?' for _ in values)})")
            parameters.extend(values)
        return "".join(clauses), parameters
