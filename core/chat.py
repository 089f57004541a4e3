"""Contracts of multi-turn chat: the conversation workflow's inputs and outputs, the chat graph's
state, the events of a streamed turn, and the names the API, the workflows and the worker meet on.

Everything here is plain pydantic / TypedDict data: it crosses the API -> workflow (Update) and
workflow -> activity boundaries and lives in Temporal history (encrypted by the payload codec).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, Field
from temporalio.contrib.workflow_streams import WorkflowStreamState

from core.contracts import Citation, TokenUsage

# ---------------------------------------------------------------- names shared by worker and workflows
CHAT_GRAPH = "chat"
"""The LangGraph ``StateGraph`` that answers one chat turn (agents/chat/graph.py)."""
CHAT_TOPIC = "chat"
"""Workflow-stream topic of every event of every turn (tokens, retrieval, final message)."""

RECORD_CONVERSATION_ACTIVITY = "chat.record_conversation"
RECORD_TURN_ACTIVITY = "chat.record_turn"
RECORD_FEEDBACK_ACTIVITY = "chat.record_feedback"
DELETE_SQL_ACTIVITY = "chat.delete_sql"
DELETE_VECTORS_ACTIVITY = "chat.delete_vectors"
DELETE_GRAPH_ACTIVITY = "chat.delete_graph_nodes"
DELETE_ENGINE_HISTORY_ACTIVITY = "chat.delete_engine_history"

CONVERSATION_NOT_ACTIVE = "conversation_not_active"
"""``ApplicationError.type`` of a turn sent to an escalated or closed conversation (the API's 409)."""

ConversationStatus = Literal["active", "escalated", "closed"]
RefusalKind = Literal["out_of_scope", "abusive", "prompt_injection"]
Role = Literal["user", "assistant"]


# ---------------------------------------------------------------- messages and replies
class SuggestedAction(BaseModel):
    """Seed 002 ``suggested_actions`` item: what the client may offer the user next."""

    label: str
    action: Literal["create_ticket", "escalate", "open_article"]
    params: dict[str, Any] = {}


class Refusal(BaseModel):
    """Why a turn was not answered; such a turn never reaches a model."""

    kind: RefusalKind
    reason: str


class ChatMessage(BaseModel):
    """One message of a conversation, as kept in the workflow and in SQL."""

    turn_id: str
    role: Role
    content: str
    created_at: datetime
    citations: list[Citation] = []
    refusal: Refusal | None = None
    intent: str | None = Field(None, description="Turn classification: answerable, or the refusal kind")


class ChatReply(BaseModel):
    """Result of one user turn (the Update's result)."""

    conversation_id: str
    turn_id: str
    response: str
    citations: list[Citation] = []
    suggested_actions: list[SuggestedAction] = []
    refusal: Refusal | None = None
    token_usage: TokenUsage = TokenUsage()
    stream_offset: int = Field(0, description="Workflow-stream offset of the turn's first event")


class ChatTurn(BaseModel):
    """Input of the ``send_message`` Update; ``turn_id`` is also the Update id (idempotent resend)."""

    turn_id: str
    message: str


class ConversationOwner(BaseModel):
    tenant_id: str
    user_id: str
    conversation_id: str


class ConversationInput(BaseModel):
    """Input of ``ConversationWorkflow``; on continue-as-new it carries the bounded history."""

    owner: ConversationOwner
    title: str = ""
    created_at: datetime | None = None
    status: ConversationStatus = "active"
    history: list[ChatMessage] = []
    """The last ``history_limit`` messages (the graph's window); the full transcript is in SQL."""
    turns: int = 0
    """User turns in the whole conversation (all runs)."""
    idle_timeout_s: float = 1800.0
    history_limit: int = 20
    turns_per_run: int = 50
    linked_tickets: list[str] = []
    stream_state: WorkflowStreamState | None = None
    """The workflow stream of the previous run (its last turn's events, for resuming readers)."""


class ConversationSnapshot(BaseModel):
    """What the workflow holds: status, window of messages, linked tickets."""

    conversation_id: str
    tenant_id: str
    user_id: str
    title: str
    status: ConversationStatus
    created_at: datetime | None
    turns: int
    messages: list[ChatMessage]
    linked_tickets: list[str] = []
    escalated_team: str | None = None


class EscalationRequest(BaseModel):
    reason: str = ""
    team: str | None = None


class TicketFromChat(BaseModel):
    """Input of the ``create_ticket`` Update: a ticket built from the conversation's user turns."""

    category: str | None = None
    subcategory: str | None = None
    customer_name: str = ""
    customer_email: str = ""


class CreatedTicket(BaseModel):
    ticket_id: str
    workflow_id: str
    conversation_id: str


class FeedbackInput(BaseModel):
    """Input of ``ChatFeedbackWorkflow``; ``comment`` is redacted by the worker before it is stored."""

    owner: ConversationOwner
    feedback_id: str
    turn_id: str | None = None
    helpful: bool | None = None
    rating: int | None = Field(None, ge=1, le=5)
    comment: str = ""


class FeedbackOutcome(BaseModel):
    feedback_id: str
    training_candidate: bool
    candidate_id: str | None = None


class DeletionOutcome(BaseModel):
    """What ``DeletionWorkflow`` removed, store by store."""

    conversation_id: str
    sql_rows: int = 0
    vectors: int = 0
    graph_nodes: int | None = None
    """``None`` when no graph store is configured (the hook ran and had nothing to delete from)."""
    engine_runs: int = 0


class TurnRecord(BaseModel):
    """Input of ``chat.record_turn``: the user message and the reply, written to SQL and Chroma."""

    owner: ConversationOwner
    user: ChatMessage
    assistant: ChatMessage | None
    turn_index: int
    token_usage: TokenUsage | None = None
    """The turn's model usage, kept per turn for the caller's quota (``/api/support/ai/quota``)."""


class ConversationRecord(BaseModel):
    """Input of ``chat.record_conversation``: the conversation row (status changes too)."""

    owner: ConversationOwner
    title: str
    status: ConversationStatus
    created_at: datetime
    updated_at: datetime
    turns: int = 0
    workflow_id: str = ""


# ---------------------------------------------------------------- streamed events
StreamEventType = Literal["retrieval", "token", "message", "refusal", "error"]


class StreamEvent(TypedDict, total=False):
    """One item on the ``chat`` topic. Token items carry ``seq`` (position in the answer) so a
    reader can drop the repeats of a retried activity attempt."""

    type: StreamEventType
    turn_id: str
    seq: int
    text: str
    citations: list[dict[str, Any]]
    reply: dict[str, Any]


# ---------------------------------------------------------------- graph state
class ChatState(TypedDict, total=False):
    """State of the chat graph for one turn. Plain data: it crosses activity boundaries."""

    owner: dict[str, Any]
    """``ConversationOwner`` dumped; written once at the start."""
    turn_id: str
    message: str
    """The user's message of this turn."""
    history: list[dict[str, Any]]
    """Earlier messages (``ChatMessage`` dumped), oldest first; the window the workflow keeps."""
    screen: dict[str, Any]
    """``{"refusal": Refusal | None, "language": "en"|"pl"}`` (screen)."""
    citations: list[dict[str, Any]]
    """``Citation`` list, best first (retrieve)."""
    classification: dict[str, Any]
    """``{"category", "subcategory", "confidence", "team"}`` of the conversation so far (retrieve)."""
    earlier: list[dict[str, Any]]
    """Earlier turns of this conversation related to this one, from the conversation memory (retrieve)."""
    answer: str
    """The answer text as streamed (answer), then as filtered (output_filter)."""
    token_usage: dict[str, Any]
    suggested_actions: list[dict[str, Any]]
    refusal: dict[str, Any] | None
    """``Refusal`` when the turn was refused (refuse)."""
    filter_issues: list[str]
    """What the output filter changed (output_filter)."""
