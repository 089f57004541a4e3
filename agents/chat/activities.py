"""Worker-side activities of conversations: every write a conversation makes, and its GDPR deletion.

Workflows call these by name (``core.chat.*_ACTIVITY``); the API never writes a store. Each write is
idempotent, so a retried attempt changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from agents.chat.services import get_chat_services
from agents.support import get_support_store
from agents.registry import get_toolkit
from core.chat import (
    DELETE_ENGINE_HISTORY_ACTIVITY,
    DELETE_GRAPH_ACTIVITY,
    DELETE_SQL_ACTIVITY,
    DELETE_VECTORS_ACTIVITY,
    RECORD_CONVERSATION_ACTIVITY,
    RECORD_FEEDBACK_ACTIVITY,
    RECORD_TURN_ACTIVITY,
    ConversationOwner,
    ConversationRecord,
    FeedbackInput,
    FeedbackOutcome,
    TurnRecord,
)
from core.contracts import TokenUsage
from core.support import CaseOwner

log = logging.getLogger(__name__)


@activity.defn(name=RECORD_CONVERSATION_ACTIVITY)
async def record_conversation(record: ConversationRecord) -> None:
    """Upsert the conversation row (created, escalated, closed)."""
    await asyncio.to_thread(get_chat_services().store.upsert_conversation, record)


def _record_turn(record: TurnRecord) -> None:
    services = get_chat_services()
    toolkit = get_toolkit()
    chat_messages = [record.user] + ([record.assistant] if record.assistant else [])
    services.store.record_messages(record.owner, record.turn_index, chat_messages)
    usage = record.token_usage or TokenUsage()
    get_support_store().record_turn_usage(
        CaseOwner(tenant_id=record.owner.tenant_id, user_id=record.owner.user_id),
        record.owner.conversation_id, record.user.turn_id, usage.input, usage.output, usage.cost, record.user.created_at,
    )
    if record.user.refusal is None:
        # The memory holds the user's words without personal data: it is searched, never shown.
        redacted = toolkit.redactor.redact(record.user.content).text
        services.memory.remember(record.owner, record.user.turn_id, record.turn_index, redacted)


@activity.defn(name=RECORD_TURN_ACTIVITY)
async def record_turn(record: TurnRecord) -> None:
    """Write the turn's messages to SQL and the user's (redacted) words to the conversation memory."""
    await asyncio.to_thread(_record_turn, record)


def _record_feedback(feedback: FeedbackInput) -> FeedbackOutcome:
    services = get_chat_services()
    redactor = get_toolkit().redactor
    comment = redactor.redact(feedback.comment).text if feedback.comment else ""
    services.store.record_feedback(feedback.owner, feedback.feedback_id, feedback.turn_id, feedback.helpful, feedback.rating, comment)
    negative = feedback.helpful is False or (feedback.rating is not None and feedback.rating <= 2)
    if not negative:
        return FeedbackOutcome(feedback_id=feedback.feedback_id, training_candidate=False)
    turn = [m for m in services.store.messages(feedback.owner.conversation_id) if feedback.turn_id in (None, m.turn_id)]
    if feedback.turn_id is None:  # the conversation's last exchange
        last = turn[-1].turn_id if turn else None
        turn = [m for m in turn if m.turn_id == last]
    text = "\n".join([f"{m.role}: {m.content}" for m in turn] + ([f"comment: {feedback.comment}"] if feedback.comment else []))
    candidate_id = f"cand_{uuid.uuid5(uuid.NAMESPACE_URL, feedback.feedback_id).hex[:24]}"
    services.store.add_training_candidate(feedback.owner, candidate_id, feedback.feedback_id, redactor.redact(text).text)
    return FeedbackOutcome(feedback_id=feedback.feedback_id, training_candidate=True, candidate_id=candidate_id)


@activity.defn(name=RECORD_FEEDBACK_ACTIVITY)
async def record_feedback(feedback: FeedbackInput) -> FeedbackOutcome:
    """Store the feedback (comment redacted); negative feedback (helpful=false or rating <= 2) also
    queues a training candidate: the exchange and the comment, redacted."""
    return await asyncio.to_thread(_record_feedback, feedback)


# ---------------------------------------------------------------- GDPR deletion, one activity per store
@activity.defn(name=DELETE_SQL_ACTIVITY)
async def delete_sql(owner: ConversationOwner) -> int:
    """Conversation, messages, feedback and training candidates; returns the rows removed."""
    return await asyncio.to_thread(get_chat_services().store.delete_conversation, owner.conversation_id)


@activity.defn(name=DELETE_VECTORS_ACTIVITY)
async def delete_vectors(owner: ConversationOwner) -> int:
    """The conversation's turn vectors in Chroma; returns how many were removed."""
    return await asyncio.to_thread(get_chat_services().memory.forget, owner.conversation_id)


@activity.defn(name=DELETE_GRAPH_ACTIVITY)
async def delete_graph_nodes(owner: ConversationOwner) -> int | None:
    """HOOK: the conversation's nodes in the entity graph.

    ``tools/graph`` has no store yet, and conversations write nothing to a graph today, so this
    returns ``None`` ("no graph store"). When a graph store lands, give :class:`ChatServices` its
    ``graph_store`` and it is asked to ``delete_conversation(tenant_id, conversation_id)`` here.
    """
    graph_store = get_chat_services().graph_store
    if graph_store is None:
        return None
    return int(await asyncio.to_thread(graph_store.delete_conversation, owner.tenant_id, owner.conversation_id))


@activity.defn(name=DELETE_ENGINE_HISTORY_ACTIVITY)
async def delete_engine_history(workflow_id_prefix: str) -> int:
    """Terminate the conversation's workflow and delete every run of it (and of its feedback
    workflows) from Temporal: their histories hold the messages, encrypted, until retention ends."""
    client = activity.client()
    handle = client.get_workflow_handle(workflow_id_prefix)
    runs: dict[str, str] = {}
    try:
        description = await handle.describe()
        runs[description.run_id] = description.id
        if description.status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate(reason="conversation deleted (GDPR)")
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    # Earlier runs (continue-as-new) and feedback runs are found through visibility, which lags a
    # little behind; the current run is deleted by the id described above in any case.
    async for execution in client.list_workflows(f"WorkflowId STARTS_WITH '{workflow_id_prefix}'"):
        runs[execution.run_id] = execution.id
    deleted = 0
    for run_id, workflow_id in runs.items():
        try:
            await client.workflow_service.delete_workflow_execution(
                DeleteWorkflowExecutionRequest(
                    namespace=client.namespace, workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id)
                )
            )
            deleted += 1
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
    return deleted


ACTIVITIES = [
    record_conversation,
    record_turn,
    record_feedback,
    delete_sql,
    delete_vectors,
    delete_graph_nodes,
    delete_engine_history,
]
