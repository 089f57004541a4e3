"""Audit trail of re-hydrations: who put personal data back into a text, for which tenant, when.

Re-hydration turns placeholders back into clear personal data, so every attempt is recorded
(``outcome`` ``rehydrated`` or ``not_found``) in an append-only SQL table next to the redaction
mappings: key id, user, role, tenant, mapping id, how many placeholders were replaced, the request
id. Never the values or the text. The store offers ``record`` and ``events`` and nothing that
updates or deletes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

import sqlalchemy as sa

__all__ = ["AuditEvent", "RehydrationAudit", "rehydration_audit"]

log = logging.getLogger("triage.audit")

_metadata = sa.MetaData()
rehydration_audit = sa.Table(
    "rehydration_audit",
    _metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(200), nullable=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("mapping_id", sa.String(64), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("replaced", sa.Integer, nullable=False),
    sa.Column("request_id", sa.String(128), nullable=True),
    sa.Index("ix_rehydration_audit_tenant_at", "tenant_id", "at"),
)

Outcome = Literal["rehydrated", "not_found"]


@dataclass(frozen=True)
class AuditEvent:
    """One re-hydration attempt, without any of the values it revealed."""

    at: datetime
    tenant_id: str
    key_id: str
    user_id: str | None
    role: str
    mapping_id: str
    outcome: str
    replaced: int
    request_id: str | None


class RehydrationAudit:
    """Append-only re-hydration events in SQL (the database of the redaction mappings)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        _metadata.create_all(engine)

    def record(
        self,
        *,
        tenant_id: str,
        key_id: str,
        user_id: str | None,
        role: str,
        mapping_id: str,
        outcome: Outcome,
        replaced: int,
        request_id: str | None,
    ) -> None:
        """Write one event; raises if it cannot be written (then no clear text may be returned)."""
        at = datetime.now(timezone.utc)
        with self._engine.begin() as connection:
            connection.execute(
                rehydration_audit.insert().values(
                    at=at,
                    tenant_id=tenant_id,
                    key_id=key_id,
                    user_id=user_id,
                    role=role,
                    mapping_id=mapping_id[:64],
                    outcome=outcome,
                    replaced=replaced,
                    request_id=(request_id or "")[:128] or None,
                )
            )
        log.info("rehydration %s: tenant=%s key=%s role=%s mapping=%s replaced=%d", outcome, tenant_id, key_id, role, mapping_id[:64], replaced)

    def events(self, tenant_id: str | None = None, limit: int = 100) -> list[AuditEvent]:
        """The newest events first, of one tenant or of all."""
        query = sa.select(rehydration_audit).order_by(rehydration_audit.c.event_id.desc()).limit(limit)
        if tenant_id is not None:
            query = query.where(rehydration_audit.c.tenant_id == tenant_id)
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            AuditEvent(
                at=row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=timezone.utc),
                tenant_id=row["tenant_id"],
                key_id=row["key_id"],
                user_id=row["user_id"],
                role=row["role"],
                mapping_id=row["mapping_id"],
                outcome=row["outcome"],
                replaced=row["replaced"],
                request_id=row["request_id"],
            )
            for row in rows
        ]
