"""One way to open the SQL database, so every process sets SQLite up for sharing the same file.

The embedded default is a SQLite file written by the worker (ledger), the API's key table and the
CLI at the same time: WAL lets readers and one writer work together, ``busy_timeout`` makes a
second writer wait instead of failing, and ``synchronous=NORMAL`` (safe in WAL mode: a crash can
lose the last commits, never corrupt the file) keeps each commit from waiting on an fsync.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

BUSY_TIMEOUT_MS = 30_000


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime: SQLite hands back naive datetimes even for timezone-aware
    columns (they were written in UTC), and a caller may pass a naive one meaning UTC."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def create_engine(url: str) -> sa.Engine:
    """A SQLAlchemy engine; SQLite files get WAL, a busy timeout and NORMAL sync on every connection."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite" and ":memory:" not in url and url.rstrip("/") != "sqlite:":

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine
