"""A SQL ledger of finished triage runs: what dashboards aggregate (decisions, intents, cost).

Temporal keeps every run, but aggregating thousands of workflow results would mean reading each
history; one narrow row per ticket's workflow, written by the run's last activity (so a run whose caller
gave up waiting is still counted), answers metrics in one query. Rows hold labels and numbers only, never ticket text or entities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

_metadata = sa.MetaData()
triage_runs = sa.Table(
    "triage_runs",
    _metadata,
    sa.Column("workflow_id", sa.String(300), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    sa.Column("ticket_id", sa.String(200), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decision", sa.String(32), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("intent", sa.String(64), nullable=False),
    sa.Column("priority", sa.String(4), nullable=False),
    sa.Column("team", sa.String(128), nullable=False),
    sa.Column("processing_ms", sa.Integer, nullable=True),
    sa.Column("tokens_input", sa.Integer, nullable=False, default=0),
    sa.Column("tokens_output", sa.Integer, nullable=False, default=0),
    sa.Column("cost", sa.Float, nullable=False, default=0.0),
    sa.Index("ix_triage_runs_tenant_finished", "tenant_id", "finished_at"),
)

PERIODS: dict[str, timedelta] = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


@dataclass(frozen=True)
class TriageRun:
    workflow_id: str
    tenant_id: str
    ticket_id: str
    finished_at: datetime
    decision: str
    confidence: float
    intent: str
    priority: str
    team: str
    processing_ms: int | None
    tokens_input: int
    tokens_output: int
    cost: float


class TriageLedger:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        _metadata.create_all(engine)

    def has(self, workflow_id: str) -> bool:
        with self._engine.connect() as connection:
            return connection.execute(sa.select(triage_runs.c.workflow_id).where(triage_runs.c.workflow_id == workflow_id)).first() is not None

    def record(self, run: TriageRun) -> None:
        """One row per ticket workflow, holding its latest run: a retried activity writes the same row
        again, and a run an operator reset in the Temporal UI replaces the first run's figures."""
        values = dict(run.__dict__)
        with self._engine.begin() as connection:
            updated = connection.execute(
                triage_runs.update().where(triage_runs.c.workflow_id == run.workflow_id).values(**values)
            ).rowcount
            if not updated:
                try:
                    with connection.begin_nested():
                        connection.execute(triage_runs.insert().values(**values))
                except sa.exc.IntegrityError:  # another attempt inserted it just now: take ours as the latest
                    connection.execute(triage_runs.update().where(triage_runs.c.workflow_id == run.workflow_id).values(**values))

    def count(self, tenant_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(triage_runs)
        if tenant_id is not None:
            query = query.where(triage_runs.c.tenant_id == tenant_id)
        with self._engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def metrics(self, tenant_id: str, period: str, team: str | None = None, now: datetime | None = None) -> dict[str, Any]:
        since = (now or datetime.now(timezone.utc)) - PERIODS[period]
        query = sa.select(triage_runs).where(triage_runs.c.tenant_id == tenant_id, triage_runs.c.finished_at >= since)
        if team:
            query = query.where(triage_runs.c.team == team)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        decisions = {"auto_resolve": 0, "agent_assist": 0, "escalate": 0}
        intents: dict[str, int] = {}
        priorities = {level: 0 for level in ("P1", "P2", "P3", "P4", "P5")}
        for row in rows:
            decisions[row.decision] = decisions.get(row.decision, 0) + 1
            intents[row.intent] = intents.get(row.intent, 0) + 1
            priorities[row.priority] = priorities.get(row.priority, 0) + 1
        timed = [row.processing_ms for row in rows if row.processing_ms is not None]
        tokens_in = sum(row.tokens_input for row in rows)
        tokens_out = sum(row.tokens_output for row in rows)
        return {
            "period": period,
            "total_triaged": len(rows),
            "decisions": decisions,
            "avg_confidence": round(sum(row.confidence for row in rows) / len(rows), 4) if rows else None,
            "intent_distribution": dict(sorted(intents.items(), key=lambda item: -item[1])),
            "priority_distribution": priorities,
            "avg_processing_time_ms": round(sum(timed) / len(timed)) if timed else None,
            "token_usage": {
                "total_input": tokens_in,
                "total_output": tokens_out,
                "total_tokens": tokens_in + tokens_out,
                "total_cost": round(sum(row.cost for row in rows), 6),
            },
        }
