"""Seed 000's ticket table: one numbered row per triaged ticket, written by the worker, read by the API.

Seed 000 identifies tickets by an auto-incremented number and lists them with filters. The number
is assigned by the database when the run's record step first writes the ticket (the API writes
nothing), and stays with the ticket: a reset run updates the row, keeping its id and
``created_at``. ``user_description`` is stored redacted like every stored ticket text (seed 000
says "verbatim"; personal data is not stored in clear here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from core.sql import as_utc
from tools.drafting import related_entities_line

AI_RESOLVED_CONFIDENCE = 0.7
"""Seed 000: a ticket whose triage confidence is at least this is ``ai_resolved``, else ``pending_agent``."""

_metadata = sa.MetaData()
ticket_register = sa.Table(
    "ticket_register",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    sa.Column("ticket_id", sa.String(200), nullable=False),
    sa.Column("user_description", sa.Text, nullable=False),
    sa.Column("category", sa.String(100), nullable=False),
    sa.Column("ai_response", sa.Text, nullable=False),
    sa.Column("confidence_score", sa.Float, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("tenant_id", "ticket_id", name="uq_ticket_register_ticket"),
    sa.Index("ix_ticket_register_tenant_created", "tenant_id", "created_at"),
)


@dataclass(frozen=True)
class RegisteredTicket:
    """One row: seed 000's ticket object plus the tenant and the triage ticket id it belongs to."""

    id: int
    tenant_id: str
    ticket_id: str
    user_description: str
    category: str
    ai_response: str
    confidence_score: float
    status: str
    created_at: datetime
    updated_at: datetime


def seed_status(confidence: float) -> str:
    return "ai_resolved" if confidence >= AI_RESOLVED_CONFIDENCE else "pending_agent"


def ai_response_text(answer_draft: dict[str, Any], related_entities: list[dict[str, Any]], language: str = "en", limit: int = 5) -> str:
    """Seed 000's ``ai_response``: the reply draft (which already uses the graph's articles and
    entities), then seed 000's list of related graph entities in the ticket's language.

    The list names only entities a customer may read (:func:`tools.drafting.visible_entities`:
    error codes, software, versions, hosts): personal identifiers are keyed hashes in the graph
    and are left out entirely, never shown as a hash or a ``email#3f2a`` label.
    """
    text = "\n\n".join(part for part in (answer_draft.get("greeting"), answer_draft.get("body"), answer_draft.get("closing")) if part)
    line = related_entities_line(related_entities, language, limit)
    return f"{text}\n\n{line}" if line else text


def _row(row: Any) -> RegisteredTicket:
    values = row._asdict()
    values["created_at"] = as_utc(values["created_at"])
    values["updated_at"] = as_utc(values["updated_at"])
    return RegisteredTicket(**values)


class TicketRegister:
    """The ``ticket_register`` table (created on first use by either side; only the worker writes rows)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        _metadata.create_all(engine)

    def record(
        self, *, tenant_id: str, ticket_id: str, user_description: str, category: str, ai_response: str, confidence_score: float,
        now: datetime | None = None,
    ) -> int:
        """Insert or update the ticket's row; its number (kept across re-runs)."""
        now = now or datetime.now(timezone.utc)
        values = {
            "user_description": user_description,
            "category": category,
            "ai_response": ai_response,
            "confidence_score": round(confidence_score, 4),
            "status": seed_status(confidence_score),
            "updated_at": now,
        }
        where = (ticket_register.c.tenant_id == tenant_id, ticket_register.c.ticket_id == ticket_id)
        with self._engine.begin() as connection:
            if connection.execute(ticket_register.update().where(*where).values(**values)).rowcount == 0:
                try:
                    with connection.begin_nested():
                        connection.execute(ticket_register.insert().values(tenant_id=tenant_id, ticket_id=ticket_id, created_at=now, **values))
                except sa.exc.IntegrityError:  # a concurrent attempt inserted it: ours is the latest
                    connection.execute(ticket_register.update().where(*where).values(**values))
            return int(connection.execute(sa.select(ticket_register.c.id).where(*where)).scalar_one())

    def get(self, tenant_id: str, number: int) -> RegisteredTicket | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(ticket_register).where(ticket_register.c.tenant_id == tenant_id, ticket_register.c.id == number)
            ).first()
        return _row(row) if row else None

    def by_ticket_id(self, tenant_id: str, ticket_id: str) -> RegisteredTicket | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(ticket_register).where(ticket_register.c.tenant_id == tenant_id, ticket_register.c.ticket_id == ticket_id)
            ).first()
        return _row(row) if row else None

    def list(
        self,
        tenant_id: str,
        *,
        status: str | None = None,
        category: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[list[RegisteredTicket], int]:
        """One page, newest first, and the number of rows matching the filters."""
        conditions = [ticket_register.c.tenant_id == tenant_id]
        if status:
            conditions.append(ticket_register.c.status == status)
        if category:
            conditions.append(sa.func.lower(ticket_register.c.category) == category.lower())
        if created_from:
            conditions.append(ticket_register.c.created_at >= as_utc(created_from))
        if created_to:
            conditions.append(ticket_register.c.created_at < as_utc(created_to))
        with self._engine.connect() as connection:
            total = int(connection.execute(sa.select(sa.func.count()).select_from(ticket_register).where(*conditions)).scalar_one())
            rows = connection.execute(
                sa.select(ticket_register)
                .where(*conditions)
                .order_by(ticket_register.c.created_at.desc(), ticket_register.c.id.desc())
                .limit(limit)
                .offset(offset)
            ).all()
        return [_row(r) for r in rows], total
