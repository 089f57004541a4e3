"""Multi-turn chat: seed 002 ``POST /v1/ai/chat`` and the seed 003 conversations under ``/api/support/ai``.

Every conversation is a ``ConversationWorkflow`` (id ``chat-{tenant}-{user}-{conversation}``); a
user turn is its ``send_message`` Update. JSON clients get the whole answer; a client sending
``Accept: text/event-stream`` gets Server-Sent Events relayed from the workflow's stream:

* ``retrieval`` ``{"citations": [...]}`` — the knowledge-base articles the answer will cite;
* ``token`` ``{"seq", "text"}`` — answer text in order (``seq`` from 0, never repeated);
* ``message`` — the final reply (``response`` as filtered, citations, suggested actions, refusal,
  token usage); its ``response`` is authoritative if the output filter changed the streamed text;
* ``error`` ``{"code", "message"}`` — the turn failed.

Each event's id is ``{turn_id}:{stream offset}:{last token seq}``. A client that reconnects with
``Last-Event-ID`` (re-POSTing the same request, or ``GET .../conversations/{id}/events``) resumes
after that event: nothing lost, nothing repeated, and no second turn is started.

Conversations belong to the caller's key (tenant + user): another user's is a 404. The API reads
conversations from SQL and never writes a store: creating, answering, escalating, feedback and
deletion are workflows run by the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, AsyncIterator

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sse_starlette import EventSourceResponse
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.workflow_streams import WorkflowStreamClient
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import PrincipalDep, SettingsDep, TemporalDep, TenantDep
from api.engine import temporal_calls
from api.errors import ERROR_RESPONSES, error_response
from api.routing import JsonCheckingRoute
from api.support_access import SupportStoreDep, ensure_may_send
from core.chat import (
    CHAT_TOPIC,
    CONVERSATION_NOT_ACTIVE,
    ChatMessage,
    ChatReply,
    ChatTurn,
    ConversationInput,
    ConversationOwner,
    ConversationSnapshot,
    CreatedTicket,
    DeletionOutcome,
    EscalationRequest,
    FeedbackInput,
    FeedbackOutcome,
    SuggestedAction,
    TicketFromChat,
)
from core.contracts import TokenUsage
from core.errors import NotFoundError, WorkflowFailedError, WorkflowTimeoutError
from core.settings import Settings
from tools.queries import ConversationStore
from workflows.conversation import (
    ChatFeedbackWorkflow,
    ConversationWorkflow,
    DeletionWorkflow,
    conversation_workflow_id,
    deletion_workflow_id,
    feedback_workflow_id,
)

chat_router = APIRouter(prefix="/v1/ai", tags=["chat (seed 002)"], route_class=JsonCheckingRoute, responses=ERROR_RESPONSES)
support_router = APIRouter(
    prefix="/api/support/ai", tags=["support AI conversations (seed 003)"], route_class=JsonCheckingRoute, responses=ERROR_RESPONSES
)

CONVERSATION_ID = r"^conv_[0-9a-f]{24}$"
TURN_ID = r"^[A-Za-z0-9_.:\-]{1,64}$"
POLL_COOLDOWN = timedelta(milliseconds=20)
"""Pause between stream polls once caught up; a waiting poll returns as soon as an event lands."""
_EVENT_ID = re.compile(r"^(?P<turn>[A-Za-z0-9_.\-]{1,64}):(?P<offset>\d+):(?P<seq>-?\d+)$")
_NOT_FOUND = error_response("Unknown conversation, or another user's (`conversation_not_found`)")
_CONFLICT = error_response("The conversation is escalated or closed and takes no new turns (`conversation_not_active`)")
_QUOTA = error_response("The caller's AI support quota for the period is used up (`quota_exceeded`); see /api/support/ai/quota", retry_after=True)
_STREAM = {"text/event-stream": {"schema": {"type": "string"}, "description": "Server-Sent Events: retrieval, token, message, error"}}


# ---------------------------------------------------------------- dependencies and helpers
def _store(request: Request) -> ConversationStore:
    """The read side of the conversation tables (opened in the app lifespan)."""
    return request.app.state.chat_store


StoreDep = Annotated[ConversationStore, Depends(_store)]


def _user(principal: PrincipalDep) -> str:
    return principal.user_id or f"key:{principal.key_id}"


UserDep = Annotated[str, Depends(_user)]


def _conflict(message: str) -> HTTPException:
    return HTTPException(409, detail={"code": CONVERSATION_NOT_ACTIVE, "message": message})


def _not_found(conversation_id: str) -> NotFoundError:
    return NotFoundError(f"conversation {conversation_id!r} not found", code="conversation_not_found")


async def _require(store: ConversationStore, owner: ConversationOwner) -> dict[str, Any]:
    row = await asyncio.to_thread(store.owned, owner)
    if row is None:
        raise _not_found(owner.conversation_id)
    return row


def _handle(client: Client, owner: ConversationOwner) -> WorkflowHandle:
    return client.get_workflow_handle(conversation_workflow_id(owner.tenant_id, owner.user_id, owner.conversation_id))


def _wants_stream(accept: str | None) -> bool:
    return bool(accept) and "text/event-stream" in accept.lower()


@contextlib.contextmanager
def _conversation_calls(owner: ConversationOwner, doing: str) -> Any:
    """Temporal errors of a conversation call as API errors: not active -> 409, failure -> 502."""
    try:
        with temporal_calls(f"{doing} (conversation {owner.conversation_id})"):
            yield
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError) and cause.type == CONVERSATION_NOT_ACTIVE:
            raise _conflict(str(cause.message)) from exc
        raise WorkflowFailedError(f"{doing} failed in conversation {owner.conversation_id}: {cause}") from exc
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise _conflict(f"conversation {owner.conversation_id} is closed: it takes no new turns") from exc
        raise


async def _create(client: Client, settings: Settings, owner: ConversationOwner, title: str) -> ConversationSnapshot:
    start = ConversationInput(
        owner=owner,
        title=title,
        idle_timeout_s=settings.chat_idle_timeout_s,
        history_limit=settings.chat_history_messages,
        turns_per_run=settings.chat_turns_per_run,
    )
    with _conversation_calls(owner, "starting the conversation"):
        handle = await client.start_workflow(
            ConversationWorkflow.run,
            start,
            id=conversation_workflow_id(owner.tenant_id, owner.user_id, owner.conversation_id),
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=f"Conversation {owner.conversation_id}",
        )
        return await _within(settings, handle.execute_update(ConversationWorkflow.ready), "opening the conversation")


async def _within(settings: Settings, call: Any, doing: str) -> Any:
    try:
        return await asyncio.wait_for(call, timeout=settings.workflow_result_timeout_s)
    except asyncio.TimeoutError as exc:
        raise WorkflowTimeoutError(f"{doing} is still running; repeat the request (is a worker running?)") from exc


def _new_conversation_id() -> str:
    return f"conv_{uuid.uuid4().hex[:24]}"


# ---------------------------------------------------------------- the turn: JSON or SSE
def _event(turn_id: str, offset: int, seq: int, kind: str, payload: dict[str, Any]) -> dict[str, str]:
    return {"id": f"{turn_id}:{offset}:{seq}", "event": kind, "data": json.dumps(payload, ensure_ascii=False)}


async def relay_turn(
    client: Client, workflow_id: str, turn_id: str, from_offset: int, last_seq: int = -1, reply: "asyncio.Future[ChatReply] | None" = None
) -> AsyncIterator[dict[str, str]]:
    """SSE events of one turn from the workflow stream, from ``from_offset``, dropping tokens up to
    ``last_seq`` (already delivered, or repeated by a retried activity attempt). Ends after the
    turn's ``message`` event, or with ``error`` if the turn failed."""
    stream = WorkflowStreamClient.create(client, workflow_id)
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for item in stream.subscribe([CHAT_TOPIC], from_offset=from_offset, poll_cooldown=POLL_COOLDOWN):
                await queue.put(("item", item))
        except Exception as exc:  # noqa: BLE001 - reported to the client as an error event
            await queue.put(("error", exc))

    async def watch() -> None:
        assert reply is not None
        try:
            await queue.put(("done", await reply))
        except Exception as exc:  # noqa: BLE001
            await queue.put(("error", exc))

    tasks = [asyncio.create_task(pump())] + ([asyncio.create_task(watch())] if reply is not None else [])
    offset = from_offset
    finished: ChatReply | None = None
    try:
        while True:
            try:
                kind, value = await (asyncio.wait_for(queue.get(), 2.0) if finished else queue.get())
            except asyncio.TimeoutError:
                # The Update finished but its events are not in the stream we read (a resent turn
                # answered before this request): the reply itself is the final event.
                assert finished is not None
                yield _event(turn_id, offset, last_seq, "message", finished.model_dump(mode="json"))
                return
            if kind == "done":
                finished = value
                continue
            if kind == "error":
                cause = getattr(value, "cause", None) or value
                yield _event(turn_id, offset, last_seq, "error", {"code": "turn_failed", "message": str(cause)[:300]})
                return
            offset = value.offset
            event = value.data
            if not isinstance(event, dict) or event.get("turn_id") != turn_id:
                continue
            kind = event.get("type", "")
            if kind == "token":
                if event["seq"] <= last_seq:
                    continue
                last_seq = event["seq"]
                yield _event(turn_id, offset, last_seq, "token", {"seq": event["seq"], "text": event["text"]})
            elif kind == "retrieval":
                yield _event(turn_id, offset, last_seq, "retrieval", {"citations": event.get("citations", [])})
            elif kind == "message":
                yield _event(turn_id, offset, last_seq, "message", event["reply"])
                return
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)


def parse_event_id(last_event_id: str) -> tuple[str, int, int]:
    match = _EVENT_ID.fullmatch(last_event_id.strip())
    if not match:
        raise HTTPException(400, detail={"code": "invalid_last_event_id", "message": "Last-Event-ID must be an id this API sent"})
    return match["turn"], int(match["offset"]), int(match["seq"])


def _resume(client: Client, owner: ConversationOwner, last_event_id: str) -> EventSourceResponse:
    turn_id, offset, seq = parse_event_id(last_event_id)
    workflow_id = conversation_workflow_id(owner.tenant_id, owner.user_id, owner.conversation_id)
    return EventSourceResponse(relay_turn(client, workflow_id, turn_id, offset + 1, seq), ping=15)


async def run_turn(
    client: Client, settings: Settings, owner: ConversationOwner, turn: ChatTurn, stream: bool
) -> ChatReply | EventSourceResponse:
    """Send one turn: JSON waits for the whole reply; SSE starts the Update and relays its events."""
    handle = _handle(client, owner)
    if not stream:
        with _conversation_calls(owner, "answering"):
            return await _within(
                settings, handle.execute_update(ConversationWorkflow.send_message, turn, id=turn.turn_id), f"turn {turn.turn_id}"
            )
    stream_client = WorkflowStreamClient.create(client, handle.id)
    with _conversation_calls(owner, "answering"):
        offset = await stream_client.get_offset()
        update = await handle.start_update(
            ConversationWorkflow.send_message, turn, id=turn.turn_id, wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
    outcome = getattr(update, "_known_outcome", None)  # a rejected Update comes back with its outcome
    if outcome is not None and outcome.HasField("failure"):
        with _conversation_calls(owner, "answering"):
            await update.result()  # raises the rejection (409) before any event is sent
    result = asyncio.ensure_future(update.result())
    return EventSourceResponse(relay_turn(client, handle.id, turn.turn_id, offset, -1, result), ping=15)


# ---------------------------------------------------------------- seed 002
class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"message": "My VPN says authentication failed"}]})

    message: str = Field(min_length=1, max_length=8000)
    conversationId: str | None = Field(None, pattern=CONVERSATION_ID)


class ChatResponse(BaseModel):
    """Seed 002 chat answer (plus the turn id, citations and the refusal, when the turn was refused)."""

    conversationId: str
    turnId: str
    response: str
    suggested_actions: list[SuggestedAction]
    token_usage: TokenUsage
    citations: list[dict[str, Any]] = []
    refusal: dict[str, Any] | None = None


@chat_router.post(
    "/chat",
    response_model=ChatResponse,
    summary="AI chat",
    responses={
        200: {"content": _STREAM},
        404: _NOT_FOUND,
        409: _CONFLICT,
        429: _QUOTA,
        504: error_response("The answer is still running (`workflow_timeout`)"),
    },
)
async def chat(
    body: ChatRequest,
    client: TemporalDep,
    settings: SettingsDep,
    tenant: TenantDep,
    user: UserDep,
    store: StoreDep,
    support: SupportStoreDep,
    accept: Annotated[str | None, Header()] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Any:
    """One turn of a conversation with the support assistant; omit ``conversationId`` to start one.

    Answers are grounded in the knowledge base (cited as ``[DOC-ID]``) and aware of earlier turns.
    ``Accept: text/event-stream`` streams the answer (see the module docs for the events).
    """
    if body.conversationId:
        owner = ConversationOwner(tenant_id=tenant, user_id=user, conversation_id=body.conversationId)
        await _require(store, owner)
        if last_event_id and _wants_stream(accept):
            return _resume(client, owner, last_event_id)
    await ensure_may_send(support, settings, tenant, user)
    if not body.conversationId:
        owner = ConversationOwner(tenant_id=tenant, user_id=user, conversation_id=_new_conversation_id())
        await _create(client, settings, owner, body.message[:80])
    turn = ChatTurn(turn_id=f"turn_{uuid.uuid4().hex[:20]}", message=body.message)
    outcome = await run_turn(client, settings, owner, turn, _wants_stream(accept))
    if isinstance(outcome, EventSourceResponse):
        outcome.headers["x-conversation-id"] = owner.conversation_id
        return outcome
    return ChatResponse(
        conversationId=outcome.conversation_id,
        turnId=outcome.turn_id,
        response=outcome.response,
        suggested_actions=outcome.suggested_actions,
        token_usage=outcome.token_usage,
        citations=[c.model_dump() for c in outcome.citations],
        refusal=outcome.refusal.model_dump() if outcome.refusal else None,
    )


# ---------------------------------------------------------------- seed 003
class ConversationSummary(BaseModel):
    conversation_id: str
    title: str
    status: str
    turns: int
    created_at: datetime
    updated_at: datetime


class ConversationDetail(ConversationSummary):
    messages: list[ChatMessage]


class CreateConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=200)


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=8000)
    turn_id: str | None = Field(None, pattern=TURN_ID, description="Your id for the turn: resending it never answers twice.")


class EscalationBody(EscalationRequest):
    """The escalation Update's input, bounded: it travels in the conversation workflow's history,
    and a value over Temporal's payload limit (2 MB) failed the workflow and closed the conversation."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=2000)
    team: str | None = Field(None, max_length=100)


class TicketFromChatBody(TicketFromChat):
    """The ``create_ticket`` Update's input, bounded for the same reason as ``EscalationBody``."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(None, max_length=100)
    subcategory: str | None = Field(None, max_length=100)
    customer_name: str = Field("", max_length=200)
    customer_email: str = Field("", max_length=320)


class EscalationResponse(BaseModel):
    conversation_id: str
    status: str
    ticket_form_url: str
    snapshot: ConversationSnapshot


def _helpful_or_rating(schema: dict[str, Any]) -> None:
    schema["anyOf"] = [
        {"required": ["helpful"], "properties": {"helpful": {"type": "boolean"}}},
        {"required": ["rating"], "properties": {"rating": {"type": "integer"}}},
    ]


class FeedbackRequest(BaseModel):
    """``helpful`` and/or ``rating`` (at least one of them, not null)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_helpful_or_rating)

    helpful: bool | None = None
    rating: int | None = Field(None, ge=1, le=5)
    comment: str = Field("", max_length=4000)
    turn_id: str | None = Field(None, pattern=TURN_ID)

    @model_validator(mode="after")
    def _something(self) -> "FeedbackRequest":
        if self.helpful is None and self.rating is None:
            raise ValueError("send helpful and/or rating")
        return self


class DeletionResponse(BaseModel):
    conversation_id: str
    deleted: bool
    removed: DeletionOutcome


def _summary(row: dict[str, Any]) -> ConversationSummary:
    fields = {key: row[key] for key in ConversationSummary.model_fields}
    for key in ("created_at", "updated_at"):  # SQLite hands back naive datetimes; they are UTC
        if fields[key].tzinfo is None:
            fields[key] = fields[key].replace(tzinfo=timezone.utc)
    return ConversationSummary(**fields)


def _conversation_owner(tenant: TenantDep, user: UserDep, conversation_id: str) -> ConversationOwner:
    return ConversationOwner(tenant_id=tenant, user_id=user, conversation_id=conversation_id)


OwnerDep = Annotated[ConversationOwner, Depends(_conversation_owner)]


@support_router.get("/conversations", response_model=list[ConversationSummary], summary="List conversations")
async def list_conversations(tenant: TenantDep, user: UserDep, store: StoreDep) -> list[ConversationSummary]:
    """The caller's conversations, most recently active first."""
    return [_summary(row) for row in await asyncio.to_thread(store.list_conversations, tenant, user)]


@support_router.post("/conversations", response_model=ConversationSummary, summary="Create conversation")
async def create_conversation(
    body: CreateConversation, client: TemporalDep, settings: SettingsDep, tenant: TenantDep, user: UserDep, store: StoreDep
) -> ConversationSummary:
    """Create a support conversation owned by the caller (its ``ConversationWorkflow`` starts)."""
    owner = ConversationOwner(tenant_id=tenant, user_id=user, conversation_id=_new_conversation_id())
    await _create(client, settings, owner, body.title)
    return _summary(await _require(store, owner))


@support_router.get(
    "/conversations/{conversation_id}", response_model=ConversationDetail, summary="Get conversation", responses={404: _NOT_FOUND}
)
async def get_conversation(owner: OwnerDep, store: StoreDep) -> ConversationDetail:
    """The conversation with every message (refused turns included, with their refusal)."""
    row = await _require(store, owner)
    return ConversationDetail(**_summary(row).model_dump(), messages=await asyncio.to_thread(store.messages, owner.conversation_id))


@support_router.post(
    "/conversations/{conversation_id}/messages",
    response_model=ChatReply,
    summary="Create message",
    responses={200: {"content": _STREAM}, 404: _NOT_FOUND, 409: _CONFLICT, 429: _QUOTA},
)
async def create_message(
    body: MessageRequest,
    owner: OwnerDep,
    client: TemporalDep,
    settings: SettingsDep,
    store: StoreDep,
    support: SupportStoreDep,
    accept: Annotated[str | None, Header()] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Any:
    """Submit a user turn. SSE clients (``Accept: text/event-stream``) get the answer streamed;
    JSON clients get the whole reply. Refused turns (out of scope, abusive, prompt injection) get
    a typed ``refusal`` and no model call; the turn is kept. With ``Last-Event-ID`` the request
    resumes that turn's stream instead of sending a new turn."""
    await _require(store, owner)
    if last_event_id and _wants_stream(accept):
        return _resume(client, owner, last_event_id)
    await ensure_may_send(support, settings, owner.tenant_id, owner.user_id)
    turn = ChatTurn(turn_id=body.turn_id or f"turn_{uuid.uuid4().hex[:20]}", message=body.message)
    return await run_turn(client, settings, owner, turn, _wants_stream(accept))


@support_router.get(
    "/conversations/{conversation_id}/events",
    summary="Resume a turn's stream",
    response_class=EventSourceResponse,
    responses={200: {"content": _STREAM}, 404: _NOT_FOUND},
)
async def resume_events(
    owner: OwnerDep, client: TemporalDep, store: StoreDep, last_event_id: Annotated[str, Header(alias="Last-Event-ID")]
) -> EventSourceResponse:
    """Continue a turn's event stream after the event named by ``Last-Event-ID``."""
    await _require(store, owner)
    return _resume(client, owner, last_event_id)


@support_router.post(
    "/conversations/{conversation_id}/escalate",
    response_model=EscalationResponse,
    summary="Escalate conversation",
    responses={404: _NOT_FOUND, 409: _CONFLICT},
)
async def escalate_conversation(
    body: EscalationBody, owner: OwnerDep, client: TemporalDep, settings: SettingsDep, store: StoreDep
) -> EscalationResponse:
    """Hand the conversation to a person: it becomes read-only (new turns 409); returns its snapshot
    and the ticket-form URL the front end redirects to."""
    await _require(store, owner)
    with _conversation_calls(owner, "escalating"):
        snapshot = await _within(settings, _handle(client, owner).execute_update(ConversationWorkflow.escalate, body), "escalation")
    return EscalationResponse(
        conversation_id=owner.conversation_id,
        status=snapshot.status,
        ticket_form_url=f"/support/tickets/new?conversation_id={owner.conversation_id}",
        snapshot=snapshot,
    )


@support_router.post(
    "/conversations/{conversation_id}/tickets",
    response_model=CreatedTicket,
    summary="Create a ticket from the conversation",
    responses={404: _NOT_FOUND, 409: _CONFLICT},
)
async def create_ticket(body: TicketFromChatBody, owner: OwnerDep, client: TemporalDep, settings: SettingsDep, store: StoreDep) -> CreatedTicket:
    """The ``create_ticket`` suggested action: a ticket from the user's turns, triaged by its own
    ``TriageWorkflow`` (``/api/v1/tickets`` and ``/v1/ai/triage`` know it by the returned id)."""
    await _require(store, owner)
    with _conversation_calls(owner, "creating a ticket"):
        return await _within(settings, _handle(client, owner).execute_update(ConversationWorkflow.create_ticket, body), "ticket creation")


@support_router.post(
    "/conversations/{conversation_id}/feedback", response_model=FeedbackOutcome, summary="Submit feedback", responses={404: _NOT_FOUND}
)
async def submit_feedback(body: FeedbackRequest, owner: OwnerDep, client: TemporalDep, settings: SettingsDep, store: StoreDep) -> FeedbackOutcome:
    """Store feedback on the conversation (or one turn). ``helpful=false`` or ``rating <= 2`` also
    queues a training candidate; the worker redacts its text before storing it."""
    await _require(store, owner)
    feedback = FeedbackInput(
        owner=owner, feedback_id=f"fb_{uuid.uuid4().hex[:20]}", turn_id=body.turn_id, helpful=body.helpful, rating=body.rating, comment=body.comment
    )
    try:
        with temporal_calls("recording feedback"):
            return await _within(
                settings,
                client.execute_workflow(
                    ChatFeedbackWorkflow.run, feedback, id=feedback_workflow_id(owner, feedback.feedback_id), task_queue=settings.task_queue
                ),
                "feedback",
            )
    except WorkflowFailureError as exc:
        raise WorkflowFailedError(f"feedback workflow failed: {exc.cause}") from exc


@support_router.delete(
    "/conversations/{conversation_id}", response_model=DeletionResponse, summary="Delete conversation", responses={404: _NOT_FOUND}
)
async def delete_conversation(owner: OwnerDep, client: TemporalDep, settings: SettingsDep, store: StoreDep) -> DeletionResponse:
    """GDPR delete: a ``DeletionWorkflow`` erases the conversation, its messages, feedback and
    training candidates (SQL), its vectors (Chroma), its graph nodes and its workflow histories,
    retrying each store until it is done."""
    await _require(store, owner)
    try:
        with temporal_calls("deleting the conversation"):
            handle = await client.start_workflow(
                DeletionWorkflow.run,
                owner,
                id=deletion_workflow_id(owner),
                task_queue=settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                static_summary=f"GDPR delete {owner.conversation_id}",
            )
            removed = await _within(settings, handle.result(), "the deletion")
    except WorkflowFailureError as exc:
        raise WorkflowFailedError(f"deletion workflow failed: {exc.cause}") from exc
    return DeletionResponse(conversation_id=owner.conversation_id, deleted=True, removed=removed)


__all__ = ["chat_router", "parse_event_id", "relay_turn", "run_turn", "support_router"]
