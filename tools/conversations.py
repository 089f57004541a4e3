"""Where conversations are kept outside the workflow: SQL rows and a Chroma memory of turns.

* :class:`ConversationStore` (SQL): conversations, messages, feedback and training candidates.
  The worker writes (activities of the conversation, feedback and deletion workflows); the API
  only reads (list, get with messages, ownership checks).
* :class:`ConversationMemory` (Chroma): one vector per user turn (text redacted), so a turn can
  recall related earlier turns of the same conversation even after continue-as-new has dropped
  them from the workflow's window.

Every row and vector carries tenant, user and conversation id; reads filter on all three, so
another user's conversation is simply absent.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Sequence

import sqlalchemy as sa

from core.chat import ChatMessage, ConversationOwner, ConversationRecord, ConversationStatus
from core.errors import StoreUnavailableError
from core.sql import as_utc

_metadata = sa.MetaData()
conversations = sa.Table(
    "chat_conversations",
    _metadata,
    sa.Column("conversation_id", sa.String(64), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    sa.Column("user_id", sa.String(256), nullable=False),
    sa.Column("title", sa.String(200), nullable=False, default=""),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("turns", sa.Integer, nullable=False, default=0),
    sa.Column("workflow_id", sa.String(300), nullable=False, default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_chat_conversations_owner", "tenant_id", "user_id", "updated_at"),
)
messages = sa.Table(
    "chat_messages",
    _metadata,
    sa.Column("conversation_id", sa.String(64), primary_key=True),
    sa.Column("turn_id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), primary_key=True),
    sa.Column("turn_index", sa.Integer, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("intent", sa.String(32), nullable=True),
    sa.Column("refusal", sa.Text, nullable=True),
    sa.Column("citations", sa.Text, nullable=False, default="[]"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
feedback = sa.Table(
    "chat_feedback",
    _metadata,
    sa.Column("feedback_id", sa.String(64), primary_key=True),
    sa.Column("conversation_id", sa.String(64), nullable=False, index=True),
    sa.Column("turn_id", sa.String(64), nullable=True),
    sa.Column("helpful", sa.Boolean, nullable=True),
    sa.Column("rating", sa.Integer, nullable=True),
    sa.Column("comment", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
training_candidates = sa.Table(
    "chat_training_candidates",
    _metadata,
    sa.Column("candidate_id", sa.String(64), primary_key=True),
    sa.Column("conversation_id", sa.String(64), nullable=False, index=True),
    sa.Column("feedback_id", sa.String(64), nullable=False),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    sa.Column("candidate_type", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
CONVERSATION_TABLES = (training_candidates, feedback, messages, conversations)
"""Every table holding a conversation's data, children first (the deletion order)."""


class ConversationStore:
    """SQL rows of conversations; writes are idempotent (a retried activity changes nothing)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        _metadata.create_all(engine)

    # ---------------------------------------------------------------- writes (worker)
    def upsert_conversation(self, record: ConversationRecord) -> None:
        owner = record.owner
        values = {
            "tenant_id": owner.tenant_id,
            "user_id": owner.user_id,
            "title": record.title[:200],
            "status": record.status,
            "turns": record.turns,
            "workflow_id": record.workflow_id,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }
        with self._engine.begin() as connection:
            updated = connection.execute(
                conversations.update().where(conversations.c.conversation_id == owner.conversation_id).values(**values)
            ).rowcount
            if not updated:
                connection.execute(conversations.insert().values(conversation_id=owner.conversation_id, **values))

    def record_messages(self, owner: ConversationOwner, turn_index: int, chat_messages: Sequence[ChatMessage]) -> None:
        """Insert the turn's messages (replacing the same turn's earlier attempt) and bump the conversation."""
        with self._engine.begin() as connection:
            for message in chat_messages:
                key = (
                    (messages.c.conversation_id == owner.conversation_id)
                    & (messages.c.turn_id == message.turn_id)
                    & (messages.c.role == message.role)
                )
                connection.execute(messages.delete().where(key))
                connection.execute(
                    messages.insert().values(
                        conversation_id=owner.conversation_id,
                        turn_id=message.turn_id,
                        role=message.role,
                        turn_index=turn_index,
                        content=message.content,
                        intent=message.intent,
                        refusal=message.refusal.model_dump_json() if message.refusal else None,
                        citations=json.dumps([c.model_dump() for c in message.citations]),
                        created_at=message.created_at,
                    )
                )
            connection.execute(
                conversations.update()
                .where(conversations.c.conversation_id == owner.conversation_id)
                .values(
                    turns=sa.case((conversations.c.turns < turn_index + 1, turn_index + 1), else_=conversations.c.turns),
                    updated_at=datetime.now(timezone.utc),
                )
            )

    def record_feedback(
        self, owner: ConversationOwner, feedback_id: str, turn_id: str | None, helpful: bool | None, rating: int | None, comment: str
    ) -> None:
        with self._engine.begin() as connection:
            connection.execute(feedback.delete().where(feedback.c.feedback_id == feedback_id))
            connection.execute(
                feedback.insert().values(
                    feedback_id=feedback_id,
                    conversation_id=owner.conversation_id,
                    turn_id=turn_id,
                    helpful=helpful,
                    rating=rating,
                    comment=comment,
                    created_at=datetime.now(timezone.utc),
                )
            )

    def add_training_candidate(self, owner: ConversationOwner, candidate_id: str, feedback_id: str, text: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(training_candidates.delete().where(training_candidates.c.candidate_id == candidate_id))
            connection.execute(
                training_candidates.insert().values(
                    candidate_id=candidate_id,
                    conversation_id=owner.conversation_id,
                    feedback_id=feedback_id,
                    tenant_id=owner.tenant_id,
                    candidate_type="negative_feedback",
                    status="queued",
                    text=text,
                    created_at=datetime.now(timezone.utc),
                )
            )

    def delete_conversation(self, conversation_id: str) -> int:
        """Remove every row of the conversation from every table; returns the rows removed."""
        removed = 0
        with self._engine.begin() as connection:
            for table in CONVERSATION_TABLES:
                removed += connection.execute(table.delete().where(table.c.conversation_id == conversation_id)).rowcount or 0
        return removed

    # ---------------------------------------------------------------- reads (API and worker)
    def owned(self, owner: ConversationOwner) -> dict[str, Any] | None:
        """The conversation row if it belongs to this tenant and user, else None."""
        query = sa.select(conversations).where(
            conversations.c.conversation_id == owner.conversation_id,
            conversations.c.tenant_id == owner.tenant_id,
            conversations.c.user_id == owner.user_id,
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return dict(row) if row else None

    def list_conversations(self, tenant_id: str, user_id: str, limit: int = 100) -> list[dict[str, Any]]:
        query = (
            sa.select(conversations)
            .where(conversations.c.tenant_id == tenant_id, conversations.c.user_id == user_id)
            .order_by(conversations.c.updated_at.desc())
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return [dict(row) for row in connection.execute(query).mappings()]

    def messages(self, conversation_id: str) -> list[ChatMessage]:
        query = sa.select(messages).where(messages.c.conversation_id == conversation_id).order_by(
            messages.c.turn_index, sa.case((messages.c.role == "user", 0), else_=1)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            ChatMessage(
                turn_id=row["turn_id"],
                role=row["role"],
                content=row["content"],
                created_at=as_utc(row["created_at"]),
                citations=json.loads(row["citations"] or "[]"),
                refusal=json.loads(row["refusal"]) if row["refusal"] else None,
                intent=row["intent"],
            )
            for row in rows
        ]

    def rows_of(self, conversation_id: str) -> dict[str, int]:
        """Rows per table for one conversation (the deletion test's proof)."""
        with self._engine.connect() as connection:
            return {
                table.name: int(
                    connection.execute(
                        sa.select(sa.func.count()).select_from(table).where(table.c.conversation_id == conversation_id)
                    ).scalar_one()
                )
                for table in CONVERSATION_TABLES
            }

    def candidates(self, conversation_id: str) -> list[dict[str, Any]]:
        query = sa.select(training_candidates).where(training_candidates.c.conversation_id == conversation_id)
        with self._engine.connect() as connection:
            return [dict(row) for row in connection.execute(query).mappings()]


class ConversationMemory:
    """One Chroma vector per user turn (redacted text), filtered by tenant, user and conversation."""

    def __init__(self, collection: Any, embedder: Any) -> None:
        self._collection = collection
        self._embedder = embedder

    @staticmethod
    def _key(conversation_id: str, turn_id: str) -> str:
        return f"{conversation_id}:{turn_id}"

    @staticmethod
    def _where(owner: ConversationOwner) -> dict[str, Any]:
        return {
            "$and": [
                {"tenant_id": owner.tenant_id},
                {"user_id": owner.user_id},
                {"conversation_id": owner.conversation_id},
            ]
        }

    def remember(self, owner: ConversationOwner, turn_id: str, turn_index: int, text: str, vector: Any = None) -> None:
        vector = self._embedder.embed([text])[0] if vector is None else vector
        try:
            self._collection.upsert(
                ids=[self._key(owner.conversation_id, turn_id)],
                embeddings=[list(map(float, vector))],
                documents=[text],
                metadatas=[
                    {
                        "tenant_id": owner.tenant_id,
                        "user_id": owner.user_id,
                        "conversation_id": owner.conversation_id,
                        "turn_id": turn_id,
                        "turn_index": turn_index,
                    }
                ],
            )
        except Exception as exc:
            raise StoreUnavailableError(f"Chroma upsert failed: {exc}") from exc

    def recall(self, owner: ConversationOwner, vector: Any, limit: int = 3, exclude_turn: str | None = None) -> list[dict[str, Any]]:
        """Earlier turns of this conversation, most similar first: ``{turn_id, turn_index, text, similarity}``."""
        try:
            response = self._collection.query(
                query_embeddings=[list(map(float, vector))],
                n_results=limit + 1,
                where=self._where(owner),
                include=["metadatas", "documents", "distances"],
            )
        except Exception as exc:
            raise StoreUnavailableError(f"Chroma query failed: {exc}") from exc
        found = []
        for metadata, text, distance in zip(response["metadatas"][0], response["documents"][0], response["distances"][0]):
            if metadata.get("turn_id") == exclude_turn:
                continue
            found.append(
                {"turn_id": metadata["turn_id"], "turn_index": int(metadata["turn_index"]), "text": text, "similarity": round(1 - float(distance), 4)}
            )
        return found[:limit]

    def count(self, conversation_id: str) -> int:
        return len(self._collection.get(where={"conversation_id": conversation_id}, include=[])["ids"])

    def forget(self, conversation_id: str) -> int:
        """Delete every vector of the conversation; returns how many there were."""
        try:
            ids = self._collection.get(where={"conversation_id": conversation_id}, include=[])["ids"]
            if ids:
                self._collection.delete(ids=ids)
            return len(ids)
        except Exception as exc:
            raise StoreUnavailableError(f"Chroma delete failed: {exc}") from exc
