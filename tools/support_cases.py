"""SQL rows of seed 003's support side: cases, their comments, AI-disclosure acceptances, and the
usage of every chat turn (what the quota counts).

The worker writes (activities of ``workflows/support.py`` and the conversation's ``record_turn``);
the API only reads. Every read filters on tenant and user, so another user's case is simply absent.
Writes are idempotent: a case is created once per ``request_id``, a comment once per ``comment_id``,
a turn's usage once per turn, so a retried activity changes nothing.

Usage rows hold counts only (no text) and are not removed by a conversation's GDPR deletion:
deleting a conversation must not give its tokens back to the quota.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.sql import as_utc
from core.support import CaseComment, CaseOwner, CaseRecord, DisclosureState, SnapshotMessage

_metadata = sa.MetaData()
cases = sa.Table(
    "support_cases",
    _metadata,
    sa.Column("case_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(64), nullable=False, unique=True),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    sa.Column("user_id", sa.String(256), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("category", sa.String(100), nullable=True),
    sa.Column("priority", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("conversation_id", sa.String(64), nullable=True),
    sa.Column("conversation_snapshot", sa.Text, nullable=False, default="[]"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_support_cases_owner", "tenant_id", "user_id", "updated_at"),
)
comments = sa.Table(
    "support_case_comments",
    _metadata,
    sa.Column("comment_id", sa.String(64), primary_key=True),
    sa.Column("case_id", sa.Integer, nullable=False, index=True),
    sa.Column("author", sa.String(16), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("public", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
disclosures = sa.Table(
    "support_ai_disclosures",
    _metadata,
    sa.Column("tenant_id", sa.String(128), primary_key=True),
    sa.Column("user_id", sa.String(256), primary_key=True),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
)
turn_usage = sa.Table(
    "chat_turn_usage",
    _metadata,
    sa.Column("conversation_id", sa.String(64), primary_key=True),
    sa.Column("turn_id", sa.String(64), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    sa.Column("user_id", sa.String(256), nullable=False),
    sa.Column("input_tokens", sa.Integer, nullable=False, default=0),
    sa.Column("output_tokens", sa.Integer, nullable=False, default=0),
    sa.Column("cost", sa.Float, nullable=False, default=0.0),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_chat_turn_usage_owner", "tenant_id", "user_id", "recorded_at"),
)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


class SupportStore:
    """Cases, comments, disclosure acceptances and turn usage in the project's SQL database."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        _metadata.create_all(engine)

    # ---------------------------------------------------------------- cases (worker writes)
    def create_case(
        self,
        owner: CaseOwner,
        request_id: str,
        *,
        subject: str,
        description: str,
        category: str | None,
        priority: str,
        conversation_id: str | None,
        snapshot: list[SnapshotMessage],
        now: datetime,
    ) -> CaseRecord:
        """Insert the case, or return the one this ``request_id`` already created."""
        with self._engine.begin() as connection:
            existing = connection.execute(sa.select(cases.c.case_id).where(cases.c.request_id == request_id)).scalar()
            if existing is None:
                connection.execute(
                    cases.insert().values(
                        request_id=request_id,
                        tenant_id=owner.tenant_id,
                        user_id=owner.user_id,
                        subject=subject[:200],
                        description=description,
                        category=category,
                        priority=priority,
                        status="open",
                        conversation_id=conversation_id,
                        conversation_snapshot=json.dumps([m.model_dump(mode="json") for m in snapshot]),
                        created_at=now,
                        updated_at=now,
                    )
                )
        case = self.case_by_request(request_id)
        assert case is not None
        return case

    def add_comment(self, case_id: int, comment_id: str, body: str, now: datetime) -> None:
        with self._engine.begin() as connection:
            if connection.execute(sa.select(comments.c.comment_id).where(comments.c.comment_id == comment_id)).first():
                return
            connection.execute(
                comments.insert().values(comment_id=comment_id, case_id=case_id, author="customer", body=body, public=True, created_at=now)
            )
            connection.execute(cases.update().where(cases.c.case_id == case_id).values(updated_at=now))

    def close_case(self, case_id: int, now: datetime) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                cases.update().where(cases.c.case_id == case_id, cases.c.status != "closed").values(status="closed", closed_at=now, updated_at=now)
            )

    # ---------------------------------------------------------------- cases (reads)
    def _record(self, connection: sa.Connection, row: Any, with_comments: bool) -> CaseRecord:
        found: list[CaseComment] = []
        if with_comments:
            query = sa.select(comments).where(comments.c.case_id == row["case_id"], comments.c.public.is_(True)).order_by(comments.c.created_at)
            found = [
                CaseComment(comment_id=c["comment_id"], author=c["author"], body=c["body"], public=c["public"], created_at=_utc(c["created_at"]))
                for c in connection.execute(query).mappings()
            ]
        return CaseRecord(
            case_id=row["case_id"],
            tenant_id=row["tenant_id"],
            user_id=row["user_id"],
            subject=row["subject"],
            description=row["description"],
            category=row["category"],
            priority=row["priority"],
            status=row["status"],
            conversation_id=row["conversation_id"],
            conversation_snapshot=json.loads(row["conversation_snapshot"] or "[]"),
            created_at=_utc(row["created_at"]),
            updated_at=_utc(row["updated_at"]),
            closed_at=_utc(row["closed_at"]),
            comments=found,
        )

    def case_by_request(self, request_id: str) -> CaseRecord | None:
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(cases).where(cases.c.request_id == request_id)).mappings().first()
            return self._record(connection, row, True) if row else None

    def owned_case(self, owner: CaseOwner, case_id: int) -> CaseRecord | None:
        """The case with its public comments if it belongs to this tenant and user, else None."""
        query = sa.select(cases).where(cases.c.case_id == case_id, cases.c.tenant_id == owner.tenant_id, cases.c.user_id == owner.user_id)
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
            return self._record(connection, row, True) if row else None

    def list_cases(self, owner: CaseOwner, status: str | None = None, limit: int = 100) -> list[CaseRecord]:
        """The owner's cases, most recently updated first (without comments)."""
        query = sa.select(cases).where(cases.c.tenant_id == owner.tenant_id, cases.c.user_id == owner.user_id)
        if status is not None:
            query = query.where(cases.c.status == status)
        query = query.order_by(cases.c.updated_at.desc(), cases.c.case_id.desc()).limit(limit)
        with self._engine.connect() as connection:
            return [self._record(connection, row, False) for row in connection.execute(query).mappings().all()]

    # ---------------------------------------------------------------- AI disclosure
    def accept_disclosure(self, owner: CaseOwner, version: str, at: datetime) -> None:
        """Pin the accepted version; accepting again moves ``accepted_at`` forward."""
        key = (disclosures.c.tenant_id == owner.tenant_id) & (disclosures.c.user_id == owner.user_id)
        with self._engine.begin() as connection:
            if not connection.execute(disclosures.update().where(key).values(version=version, accepted_at=at)).rowcount:
                connection.execute(disclosures.insert().values(tenant_id=owner.tenant_id, user_id=owner.user_id, version=version, accepted_at=at))

    def disclosure(self, owner: CaseOwner) -> DisclosureState:
        query = sa.select(disclosures).where(disclosures.c.tenant_id == owner.tenant_id, disclosures.c.user_id == owner.user_id)
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return DisclosureState(accepted_version=row["version"], accepted_at=_utc(row["accepted_at"])) if row else DisclosureState()

    # ---------------------------------------------------------------- turn usage (the quota)
    def record_turn_usage(
        self, owner: CaseOwner, conversation_id: str, turn_id: str, input_tokens: int, output_tokens: int, cost: float, at: datetime
    ) -> None:
        key = (turn_usage.c.conversation_id == conversation_id) & (turn_usage.c.turn_id == turn_id)
        values = {"tenant_id": owner.tenant_id, "user_id": owner.user_id, "input_tokens": input_tokens, "output_tokens": output_tokens, "cost": cost, "recorded_at": at}
        with self._engine.begin() as connection:
            if not connection.execute(turn_usage.update().where(key).values(**values)).rowcount:
                connection.execute(turn_usage.insert().values(conversation_id=conversation_id, turn_id=turn_id, **values))

    def usage_since(self, owner: CaseOwner, since: datetime) -> dict[str, float]:
        """``{messages, tokens, cost_usd}`` of the owner's chat turns since ``since`` (refused turns count as messages)."""
        c = turn_usage.c
        query = sa.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(c.input_tokens + c.output_tokens), 0), sa.func.coalesce(sa.func.sum(c.cost), 0.0)
        ).where(c.tenant_id == owner.tenant_id, c.user_id == owner.user_id, c.recorded_at >= since)
        with self._engine.connect() as connection:
            messages, tokens, cost = connection.execute(query).one()
        return {"messages": int(messages), "tokens": int(tokens), "cost_usd": round(float(cost), 6)}
