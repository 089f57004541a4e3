"""Token usage and cost of model calls, and the SQL usage ledger.

Every call the worker makes (or would have made: a fallback is recorded too, with its reason) is one
row: tenant, ticket, operation (node), provider, model, prompt id + hash, tokens, cost, latency.
Rows are keyed by run and operation, so a retried activity replaces its row instead of counting
twice. The API never writes here: only the worker's nodes do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

import sqlalchemy as sa


def call_cost(model: str, input_tokens: int, output_tokens: int, prices: Mapping[str, tuple[float, float]]) -> float:
    """USD for one call at ``prices`` (per 1M tokens, input and output); an unknown model costs 0."""
    price = prices.get(model)
    if price is None:
        return 0.0
    return round(input_tokens * price[0] / 1e6 + output_tokens * price[1] / 1e6, 8)


@dataclass(frozen=True)
class LLMCallRecord:
    """One model call (or one fallback) of one node in one run; plain data, it travels in the state."""

    operation: str
    provider: str
    model: str
    prompt_id: str
    prompt_hash: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    latency_ms: int = 0
    outcome: str = "ok"
    """``ok``, or the error code that made the node fall back (``llm_timeout``, ``llm_bad_output``...)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_metadata = sa.MetaData()
llm_usage = sa.Table(
    "llm_usage",
    _metadata,
    sa.Column("call_id", sa.String(400), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    sa.Column("ticket_id", sa.String(200), nullable=False),
    sa.Column("workflow_id", sa.String(300), nullable=False),
    sa.Column("operation", sa.String(64), nullable=False),
    sa.Column("provider", sa.String(32), nullable=False),
    sa.Column("model", sa.String(128), nullable=False),
    sa.Column("prompt_id", sa.String(128), nullable=False),
    sa.Column("prompt_hash", sa.String(64), nullable=False),
    sa.Column("input_tokens", sa.Integer, nullable=False, default=0),
    sa.Column("output_tokens", sa.Integer, nullable=False, default=0),
    sa.Column("cost", sa.Float, nullable=False, default=0.0),
    sa.Column("latency_ms", sa.Integer, nullable=False, default=0),
    sa.Column("outcome", sa.String(64), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_llm_usage_tenant_recorded", "tenant_id", "recorded_at"),
)


class UsageLedger:
    """The ``llm_usage`` table; written by the worker's nodes, read by reports."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        _metadata.create_all(engine)

    def record(self, *, tenant_id: str, ticket_id: str, workflow_id: str, call: LLMCallRecord, at: datetime | None = None) -> None:
        """Upsert the row of ``call`` in this run (a retried activity replaces its earlier row)."""
        call_id = f"{workflow_id}:{call.operation}"
        values = {
            "call_id": call_id,
            "tenant_id": tenant_id,
            "ticket_id": ticket_id,
            "workflow_id": workflow_id,
            "recorded_at": at or datetime.now(timezone.utc),
            **call.as_dict(),
        }
        with self._engine.begin() as connection:
            if not connection.execute(llm_usage.update().where(llm_usage.c.call_id == call_id).values(**values)).rowcount:
                try:
                    with connection.begin_nested():
                        connection.execute(llm_usage.insert().values(**values))
                except sa.exc.IntegrityError:
                    connection.execute(llm_usage.update().where(llm_usage.c.call_id == call_id).values(**values))

    def rows(self, tenant_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(llm_usage).order_by(llm_usage.c.recorded_at)
        if tenant_id is not None:
            query = query.where(llm_usage.c.tenant_id == tenant_id)
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def monthly_cost(self, tenant_id: str, now: datetime | None = None) -> float:
        """USD this tenant's calls cost since the start of the current month (UTC)."""
        now = now or datetime.now(timezone.utc)
        since = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        query = sa.select(sa.func.coalesce(sa.func.sum(llm_usage.c.cost), 0.0)).where(
            llm_usage.c.tenant_id == tenant_id, llm_usage.c.recorded_at >= since
        )
        with self._engine.connect() as connection:
            return float(connection.execute(query).scalar_one())


def ensure_within_cap(ledger: UsageLedger | None, cap: float | None, tenant_id: str, now: datetime | None = None) -> None:
    """Raise :class:`CostCapReachedError` when the tenant's month-to-date cost is at or over ``cap``.

    Checked before each model call, from the ledger the worker writes: a run that starts under the
    cap may finish its calls slightly over it (the cap bounds a month's spend to within one run's).
    No cap, or no ledger to read: nothing to check.
    """
    from tools.llm.errors import CostCapReachedError

    if cap is None or ledger is None:
        return
    spent = ledger.monthly_cost(tenant_id, now)
    if spent >= cap:
        raise CostCapReachedError(f"tenant {tenant_id!r} spent {spent:.4f} USD on models this month; its cap is {cap:.4f} USD")
