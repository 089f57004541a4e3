"""Conversations on Temporal: ``ConversationWorkflow`` (one per chat), feedback and GDPR deletion.

``ConversationWorkflow`` is an entity workflow. Each user turn is a workflow Update
(``send_message``, its id the turn id, so a resent turn is answered once) that runs the chat graph
registered as :data:`core.chat.CHAT_GRAPH`; the graph's ``answer`` activity streams tokens into the
workflow's :class:`WorkflowStream`, which the API relays to the browser as Server-Sent Events.

State: ``active`` -> ``escalated`` (read-only: new turns are rejected by the Update's validator,
the API's 409) -> ``closed`` after ``idle_timeout_s`` without a turn (a durable timer: it fires
even if every worker was down meanwhile). History lives in the workflow; after ``turns_per_run``
turns (or when Temporal suggests it) the run continues as new with the last ``history_limit``
messages and the stream's last turn, so history stays bounded. The full transcript is in SQL,
written by the worker (``chat.record_turn``).

This module imports only temporalio and core/ (plus workflow ids): graphs and activities are
named, their code belongs to the worker.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from temporalio.contrib.workflow_streams import WorkflowStream

    from core.chat import (
        CHAT_GRAPH,
        CHAT_TOPIC,
        CONVERSATION_NOT_ACTIVE,
        DELETE_ENGINE_HISTORY_ACTIVITY,
        DELETE_GRAPH_ACTIVITY,
        DELETE_SQL_ACTIVITY,
        DELETE_VECTORS_ACTIVITY,
        RECORD_CONVERSATION_ACTIVITY,
        RECORD_FEEDBACK_ACTIVITY,
        RECORD_TURN_ACTIVITY,
        ChatMessage,
        ChatReply,
        ChatTurn,
        ConversationInput,
        ConversationOwner,
        ConversationRecord,
        ConversationSnapshot,
        CreatedTicket,
        DeletionOutcome,
        EscalationRequest,
        FeedbackInput,
        FeedbackOutcome,
        Refusal,
        SuggestedAction,
        TicketFromChat,
        TurnRecord,
    )
    from core.contracts import Citation, TokenUsage, TriageRequest
    from workflows.compiled_graphs import compiled
    from workflows.ids import escape_id_part, triage_workflow_id

TRIAGE_WORKFLOW = "TriageWorkflow"
_WRITE_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10), maximum_attempts=0)
"""Writes of a conversation are retried until they succeed: a turn the user saw must be kept."""
_UNTIL_DONE = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(seconds=60), maximum_attempts=0)


def conversation_workflow_id(tenant_id: str, user_id: str, conversation_id: str) -> str:
    """``chat-{tenant}-u{hash of the user}-{conversation}``, parts escaped: the owner is part of the id,
    so another user's conversation id names a workflow that does not exist.

    The user id is hashed, never written in clear: workflow ids are shown in the Temporal UI and
    logged by the server and SDK, and a key's user id may be an e-mail address. 80 bits of SHA-256
    over (tenant, user) keep ids unique per owner.
    """
    owner = hashlib.sha256(f"{tenant_id}\x00{user_id}".encode()).hexdigest()[:20]
    return f"chat-{escape_id_part(tenant_id)}-u{owner}-{escape_id_part(conversation_id)}"


def _owner_id(owner: ConversationOwner) -> str:
    return conversation_workflow_id(owner.tenant_id, owner.user_id, owner.conversation_id)


@workflow.defn
class ConversationWorkflow:
    """One conversation: turns as Updates, answers streamed, history bounded by continue-as-new."""

    @workflow.init
    def __init__(self, start: ConversationInput) -> None:
        self._start = start
        self._stream = WorkflowStream(prior_state=start.stream_state)
        self._events = self._stream.topic(CHAT_TOPIC)
        self._status = start.status
        self._history: list[ChatMessage] = list(start.history)
        self._turns = start.turns
        self._turns_this_run = 0
        self._linked = list(start.linked_tickets)
        self._escalated_team: str | None = None
        self._replies: dict[str, ChatReply] = {}
        self._turn_lock = asyncio.Lock()
        self._last_turn_offset = self._offset()
        self._changes = 0
        self._recorded = start.created_at is not None
        self._created_at = start.created_at

    def _offset(self) -> int:
        # The stream's global offset (base + retained items): where the next event will land.
        return self._stream._on_offset()

    async def _record(self) -> None:
        owner = self._start.owner
        await workflow.execute_activity(
            RECORD_CONVERSATION_ACTIVITY,
            ConversationRecord(
                owner=owner,
                title=self._start.title,
                status=self._status,
                created_at=self._created_at or workflow.now(),
                updated_at=workflow.now(),
                turns=self._turns,
                workflow_id=workflow.info().workflow_id,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_WRITE_RETRY,
            summary=f"conversation {owner.conversation_id} {self._status}",
        )

    def _should_continue_as_new(self) -> bool:
        return self._turns_this_run >= self._start.turns_per_run or workflow.info().is_continue_as_new_suggested()

    @workflow.run
    async def run(self, start: ConversationInput) -> ConversationSnapshot:
        if not self._recorded:
            self._created_at = workflow.now()
            await self._record()
            self._recorded = True
        while True:
            seen = self._changes
            try:
                await workflow.wait_condition(
                    lambda: self._changes != seen or self._should_continue_as_new(), timeout=timedelta(seconds=start.idle_timeout_s)
                )
            except asyncio.TimeoutError:
                if self._turn_lock.locked():
                    continue  # a turn is running (a slow model): not idle
                self._status = "closed"
                await workflow.wait_condition(workflow.all_handlers_finished)
                await self._record()
                return self.snapshot()
            if self._should_continue_as_new() and not self._turn_lock.locked():
                await workflow.wait_condition(workflow.all_handlers_finished)
                # Keep the last turn's events: a reader resuming it (Last-Event-ID) must find them.
                self._stream.truncate(self._last_turn_offset)
                await self._stream.continue_as_new(lambda state: [self._next_input(state)])

    def _next_input(self, stream_state: object) -> ConversationInput:
        return self._start.model_copy(
            update={
                "status": self._status,
                "history": self._history[-self._start.history_limit :],
                "turns": self._turns,
                "linked_tickets": self._linked,
                "stream_state": stream_state,
                "created_at": self._created_at,
            }
        )

    # ---------------------------------------------------------------- turns
    @workflow.update
    async def ready(self) -> ConversationSnapshot:
        """Returns once the conversation row is written (the API's create waits for it)."""
        await workflow.wait_condition(lambda: self._recorded)
        return self.snapshot()

    @workflow.update
    async def send_message(self, turn: ChatTurn) -> ChatReply:
        """Answer one user turn: run the chat graph, keep both messages, publish the final event."""
        async with self._turn_lock:
            if turn.turn_id in self._replies:  # the same turn resent after a lost response
                return self._replies[turn.turn_id]
            self._check_active()
            await workflow.wait_condition(lambda: self._recorded)
            self._last_turn_offset = self._offset()
            owner = self._start.owner
            user = ChatMessage(turn_id=turn.turn_id, role="user", content=turn.message, created_at=workflow.now())
            app = compiled(CHAT_GRAPH)
            state = await app.ainvoke(
                {
                    "owner": owner.model_dump(),
                    "turn_id": turn.turn_id,
                    "message": turn.message,
                    "history": [m.model_dump(mode="json") for m in self._history[-self._start.history_limit :]],
                }
            )
            refusal = Refusal.model_validate(state["refusal"]) if state.get("refusal") else None
            citations = [Citation.model_validate(c) for c in state.get("citations", [])]
            user.intent = refusal.kind if refusal else "answerable"
            user.refusal = refusal
            assistant = ChatMessage(
                turn_id=turn.turn_id,
                role="assistant",
                content=state["answer"],
                created_at=workflow.now(),
                citations=citations,
                refusal=refusal,
                intent=user.intent,
            )
            reply = ChatReply(
                conversation_id=owner.conversation_id,
                turn_id=turn.turn_id,
                response=state["answer"],
                citations=citations,
                suggested_actions=[SuggestedAction.model_validate(a) for a in state.get("suggested_actions", [])],
                refusal=refusal,
                token_usage=TokenUsage.model_validate(state.get("token_usage") or {}),
                stream_offset=self._last_turn_offset,
            )
            await workflow.execute_activity(
                RECORD_TURN_ACTIVITY,
                TurnRecord(owner=owner, user=user, assistant=assistant, turn_index=self._turns, token_usage=reply.token_usage),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=_WRITE_RETRY,
                summary=f"turn {turn.turn_id} #{self._turns} {user.intent}",
            )
            self._history.extend([user, assistant])
            self._turns += 1
            self._turns_this_run += 1
            self._replies[turn.turn_id] = reply
            # Published after the write: a reader that saw the final event finds the turn stored.
            self._events.publish(
                {"type": "message", "turn_id": turn.turn_id, "reply": reply.model_dump(mode="json")}
            )
            self._changes += 1
            return reply

    @send_message.validator
    def _validate_turn(self, turn: ChatTurn) -> None:
        if turn.turn_id not in self._replies:
            self._check_active()
        if not turn.message.strip():
            raise ApplicationError("empty message", type="invalid_input", non_retryable=True)

    def _check_active(self) -> None:
        if self._status != "active":
            raise ApplicationError(
                f"conversation is {self._status}: it takes no new turns", type=CONVERSATION_NOT_ACTIVE, non_retryable=True
            )

    # ---------------------------------------------------------------- actions
    @workflow.update
    async def escalate(self, request: EscalationRequest) -> ConversationSnapshot:
        """Hand the conversation to people: it becomes read-only (new turns 409)."""
        if self._status == "active":
            self._status = "escalated"
            self._escalated_team = request.team
            await self._record()
            self._changes += 1
        return self.snapshot()

    @escalate.validator
    def _validate_escalate(self, request: EscalationRequest) -> None:
        if self._status == "closed":
            raise ApplicationError("conversation is closed", type=CONVERSATION_NOT_ACTIVE, non_retryable=True)

    @workflow.update
    async def create_ticket(self, request: TicketFromChat) -> CreatedTicket:
        """Create a ticket from the user's turns and start its ``TriageWorkflow`` (a child that
        outlives the conversation), linked to this conversation."""
        owner = self._start.owner
        ticket_id = f"CHAT-{owner.conversation_id.removeprefix('conv_')}-{len(self._linked) + 1}"
        said = [m.content for m in self._history if m.role == "user" and m.refusal is None]
        text = "\n".join(said) or "Ticket created from a chat conversation without messages."
        child_id = triage_workflow_id(owner.tenant_id, ticket_id)
        await workflow.start_child_workflow(
            TRIAGE_WORKFLOW,
            TriageRequest(
                tenant_id=owner.tenant_id,
                ticket_id=ticket_id,
                raw_message=text if len(text) >= 10 else f"{text} (from chat)",
                customer_name=request.customer_name,
                customer_email=request.customer_email,
            ),
            id=child_id,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            static_summary=f"Triage {ticket_id} (from conversation {owner.conversation_id})",
        )
        self._linked.append(ticket_id)
        self._changes += 1
        return CreatedTicket(ticket_id=ticket_id, workflow_id=child_id, conversation_id=owner.conversation_id)

    @workflow.query
    def snapshot(self) -> ConversationSnapshot:
        owner = self._start.owner
        return ConversationSnapshot(
            conversation_id=owner.conversation_id,
            tenant_id=owner.tenant_id,
            user_id=owner.user_id,
            title=self._start.title,
            status=self._status,
            created_at=self._created_at,
            turns=self._turns,
            messages=self._history[-self._start.history_limit :],
            linked_tickets=self._linked,
            escalated_team=self._escalated_team,
        )


@workflow.defn
class ChatFeedbackWorkflow:
    """Store one feedback (the worker redacts it); negative feedback queues a training candidate."""

    @workflow.run
    async def run(self, feedback: FeedbackInput) -> FeedbackOutcome:
        return await workflow.execute_activity(
            RECORD_FEEDBACK_ACTIVITY,
            feedback,
            result_type=FeedbackOutcome,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=_WRITE_RETRY,
            summary=f"feedback on {feedback.owner.conversation_id}",
        )


def feedback_workflow_id(owner: ConversationOwner, feedback_id: str) -> str:
    """Starts with the conversation's id, so deleting the conversation finds its feedback runs."""
    return f"{_owner_id(owner)}-feedback-{escape_id_part(feedback_id)}"


def deletion_workflow_id(owner: ConversationOwner) -> str:
    return f"gdpr-delete-{_owner_id(owner)}"


@workflow.defn
class DeletionWorkflow:
    """GDPR erasure of one conversation from every store, each retried until it is done.

    First the engine (terminate the conversation and delete its runs and its feedback runs, so
    nothing writes any more), then SQL (conversation, messages, feedback, training candidates),
    Chroma (turn vectors) and the graph (hook) in parallel; a second pass then checks that each
    store is empty and repeats the deletions, catching a write that was in flight at termination.
    """

    @workflow.run
    async def run(self, owner: ConversationOwner) -> DeletionOutcome:
        outcome = DeletionOutcome(conversation_id=owner.conversation_id)
        outcome.engine_runs = await self._step(DELETE_ENGINE_HISTORY_ACTIVITY, _owner_id(owner), int)
        for _ in range(2):
            sql_rows, vectors, graph_nodes = await asyncio.gather(
                self._step(DELETE_SQL_ACTIVITY, owner, int),
                self._step(DELETE_VECTORS_ACTIVITY, owner, int),
                self._step(DELETE_GRAPH_ACTIVITY, owner, None),
            )
            outcome.sql_rows += sql_rows
            outcome.vectors += vectors
            outcome.graph_nodes = graph_nodes if graph_nodes is None else (outcome.graph_nodes or 0) + int(graph_nodes)
        return outcome

    async def _step(self, activity_name: str, argument: object, result_type: type | None) -> object:
        return await workflow.execute_activity(
            activity_name,
            argument,
            result_type=result_type,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=_UNTIL_DONE,
            summary=activity_name,
        )


CONVERSATION_WORKFLOWS = [ConversationWorkflow, ChatFeedbackWorkflow, DeletionWorkflow]
"""Every workflow of conversations, for the worker to register."""
