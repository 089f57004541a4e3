"""Read side of the ``llm_usage`` ledger for ``ai.getTokenUsage`` and the AI usage limits.

The API may read this table (it never writes it: rows come from the worker's nodes and
activities). Totals are summed in SQL over the whole range; the listed records stop at ``limit``
(seed 004: up to 1000), newest first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

import sqlalchemy as sa

from core.sql import as_utc
from tools.llm.usage import _metadata, llm_usage

GROUPS = ("day", "week", "month", "operation", "model")


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _group_key(row: Any, by: str) -> str:
    at = as_utc(row.recorded_at)
    if by == "day":
        return at.date().isoformat()
    if by == "week":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{at.year}-{at.month:02d}"
    return str(getattr(row, by))


class UsageReport:
    """Token usage of one tenant over a time range."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        _metadata.create_all(engine)  # a fresh database: the table the worker will fill

    def _where(self, tenant_id: str, start: datetime | None, end: datetime | None) -> list[Any]:
        conditions: list[Any] = [llm_usage.c.tenant_id == tenant_id]
        if start is not None:
            conditions.append(llm_usage.c.recorded_at >= as_utc(start))
        if end is not None:
            conditions.append(llm_usage.c.recorded_at < as_utc(end))
        return conditions

    def report(self, tenant_id: str, start: datetime | None, end: datetime | None, *, limit: int = 1000, group_by: str | None = None) -> dict[str, Any]:
        """Seed 004's ``{usage, totals}`` (and ``groups`` when ``group_by`` is given) for ``start <= recorded_at < end``."""
        where = self._where(tenant_id, start, end)
        c = llm_usage.c
        with self._engine.connect() as connection:
            rows = connection.execute(sa.select(llm_usage).where(*where).order_by(c.recorded_at.desc(), c.call_id).limit(limit)).all()
            prompt, completion = connection.execute(
                sa.select(sa.func.coalesce(sa.func.sum(c.input_tokens), 0), sa.func.coalesce(sa.func.sum(c.output_tokens), 0)).where(*where)
            ).one()
            grouped = (
                connection.execute(sa.select(c.recorded_at, c.operation, c.model, c.input_tokens, c.output_tokens).where(*where)).all()
                if group_by
                else []
            )
        answer: dict[str, Any] = {
            "usage": [
                {
                    "id": row.call_id,
                    "operation": row.operation,
                    "model": row.model,
                    "prompt_tokens": row.input_tokens,
                    "completion_tokens": row.output_tokens,
                    "total_tokens": row.input_tokens + row.output_tokens,
                    "created_at": _iso(row.recorded_at),
                }
                for row in rows
            ],
            "totals": {"totalTokens": int(prompt) + int(completion), "totalPromptTokens": int(prompt), "totalCompletionTokens": int(completion)},
        }
        if group_by:
            answer["groups"] = _groups(grouped, group_by)
        return answer

    def operations_since(self, tenant_id: str, since: datetime, operations: Iterable[str]) -> int:
        """Procedure calls (distinct runs) of these operations since ``since``: the AI usage counter."""
        c = llm_usage.c
        query = sa.select(sa.func.count(sa.distinct(c.workflow_id))).where(
            c.tenant_id == tenant_id, c.recorded_at >= as_utc(since), c.operation.in_(sorted(operations))
        )
        with self._engine.connect() as connection:
            return int(connection.execute(query).scalar_one())


def _groups(rows: list[Any], by: str) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = _group_key(row, by)
        group = groups.setdefault(key, {"key": key, "calls": 0, "totalTokens": 0, "totalPromptTokens": 0, "totalCompletionTokens": 0})
        group["calls"] += 1
        group["totalPromptTokens"] += row.input_tokens
        group["totalCompletionTokens"] += row.output_tokens
        group["totalTokens"] += row.input_tokens + row.output_tokens
    return [groups[key] for key in sorted(groups)]


def month_start(now: datetime) -> datetime:
    return as_utc(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(now: datetime) -> datetime:
    start = month_start(now)
    return (start + timedelta(days=32)).replace(day=1)
