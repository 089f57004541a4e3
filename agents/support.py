"""Worker-side activities of seed 003's support writes (``workflows/support.py`` calls them by name).

Each is idempotent (see :mod:`tools.support_cases`). Refusals are results, not errors: a comment on
a closed case or a case from a conversation that is not escalated returns its ``error`` code, which
the API turns into a 409.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timezone

from temporalio import activity

from agents.chat.services import get_chat_services
from agents.registry import get_toolkit
from core.chat import ConversationOwner
from core.sql import create_engine
from core.support import (
    ACCEPT_DISCLOSURE_ACTIVITY,
    ADD_CASE_COMMENT_ACTIVITY,
    CASE_NOT_FOUND,
    CASE_NOT_OPEN,
    CLOSE_CASE_ACTIVITY,
    CONVERSATION_NOT_ESCALATED,
    CREATE_CASE_ACTIVITY,
    CaseChangeOutcome,
    CaseCloseInput,
    CaseCommentInput,
    CaseCreate,
    CaseCreateOutcome,
    DisclosureAcceptance,
    DisclosureState,
    SnapshotMessage,
)
from tools.support_cases import SupportStore

_store: SupportStore | None = None
_lock = threading.Lock()


def get_support_store() -> SupportStore:
    """The worker's support store, on the toolkit's SQL database (built on first use)."""
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                _store = SupportStore(create_engine(get_toolkit().settings.sql_url))
    return _store


def _create(request: CaseCreate) -> CaseCreateOutcome:
    store = get_support_store()
    existing = store.case_by_request(request.request_id)
    if existing is not None:  # a retried attempt: the case is already there
        return CaseCreateOutcome(case=existing)
    snapshot: list[SnapshotMessage] = []
    if request.conversation_id:
        conversations = get_chat_services().store
        owner = ConversationOwner(tenant_id=request.owner.tenant_id, user_id=request.owner.user_id, conversation_id=request.conversation_id)
        row = conversations.owned(owner)
        if row is None:
            return CaseCreateOutcome(error="conversation_not_found", message=f"conversation {request.conversation_id!r} not found")
        if row["status"] != "escalated":
            return CaseCreateOutcome(
                error=CONVERSATION_NOT_ESCALATED,
                message=f"conversation {request.conversation_id} is {row['status']}: escalate it first, then open a case from it",
            )
        snapshot = [SnapshotMessage(role=m.role, content=m.content, created_at=m.created_at) for m in conversations.messages(request.conversation_id)]
    case = store.create_case(
        request.owner,
        request.request_id,
        subject=request.subject,
        description=request.description,
        category=request.category,
        priority=request.priority,
        conversation_id=request.conversation_id,
        snapshot=snapshot,
        now=datetime.now(timezone.utc),
    )
    return CaseCreateOutcome(case=case)


@activity.defn(name=CREATE_CASE_ACTIVITY)
async def create_case(request: CaseCreate) -> CaseCreateOutcome:
    """Insert the case; from a conversation, only an escalated one of the same owner, with its transcript."""
    return await asyncio.to_thread(_create, request)


def _comment(comment: CaseCommentInput) -> CaseChangeOutcome:
    store = get_support_store()
    case = store.owned_case(comment.owner, comment.case_id)
    if case is None:
        return CaseChangeOutcome(error=CASE_NOT_FOUND)
    if any(c.comment_id == comment.comment_id for c in case.comments):  # a retried attempt
        return CaseChangeOutcome(case=case)
    if case.status != "open":
        return CaseChangeOutcome(case=case, error=CASE_NOT_OPEN)
    store.add_comment(comment.case_id, comment.comment_id, comment.body, datetime.now(timezone.utc))
    return CaseChangeOutcome(case=store.owned_case(comment.owner, comment.case_id))


@activity.defn(name=ADD_CASE_COMMENT_ACTIVITY)
async def add_case_comment(comment: CaseCommentInput) -> CaseChangeOutcome:
    """A public customer comment on an open case."""
    return await asyncio.to_thread(_comment, comment)


def _close(close: CaseCloseInput) -> CaseChangeOutcome:
    store = get_support_store()
    if store.owned_case(close.owner, close.case_id) is None:
        return CaseChangeOutcome(error=CASE_NOT_FOUND)
    store.close_case(close.case_id, datetime.now(timezone.utc))
    return CaseChangeOutcome(case=store.owned_case(close.owner, close.case_id))


@activity.defn(name=CLOSE_CASE_ACTIVITY)
async def close_case(close: CaseCloseInput) -> CaseChangeOutcome:
    """Close the case (closing a closed case changes nothing)."""
    return await asyncio.to_thread(_close, close)


def _accept(acceptance: DisclosureAcceptance) -> DisclosureState:
    store = get_support_store()
    store.accept_disclosure(acceptance.owner, acceptance.version, acceptance.accepted_at or datetime.now(timezone.utc))
    return store.disclosure(acceptance.owner)


@activity.defn(name=ACCEPT_DISCLOSURE_ACTIVITY)
async def accept_disclosure(acceptance: DisclosureAcceptance) -> DisclosureState:
    """Pin the accepted disclosure version (accepting again moves ``accepted_at`` forward)."""
    return await asyncio.to_thread(_accept, acceptance)


ACTIVITIES = [create_case, add_case_comment, close_case, accept_disclosure]
