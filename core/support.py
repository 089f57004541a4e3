"""Contracts of seed 003's support cases, AI-disclosure acceptance and chat usage: the names the
API, the workflows (``workflows/support.py``) and the worker's activities (``agents/support.py``) meet on.

A case belongs to one tenant and one user (the API key's); it is ``open`` until its owner closes it,
and only an open case takes comments. A case may carry the transcript of an escalated conversation,
copied by the worker when the case is created (the snapshot does not change if the conversation does).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

CREATE_CASE_ACTIVITY = "support.create_case"
ADD_CASE_COMMENT_ACTIVITY = "support.add_case_comment"
CLOSE_CASE_ACTIVITY = "support.close_case"
ACCEPT_DISCLOSURE_ACTIVITY = "support.accept_disclosure"

CASE_NOT_FOUND = "case_not_found"
CASE_NOT_OPEN = "case_not_open"
CONVERSATION_NOT_ESCALATED = "conversation_not_escalated"
DISCLOSURE_REQUIRED = "disclosure_required"
DISCLOSURE_VERSION_MISMATCH = "disclosure_version_mismatch"
QUOTA_EXCEEDED = "quota_exceeded"

CaseStatus = Literal["open", "closed"]
CasePriority = Literal["low", "normal", "high", "urgent"]


class CaseOwner(BaseModel):
    tenant_id: str
    user_id: str


class SnapshotMessage(BaseModel):
    """One message of the conversation a case was created from, as it was then."""

    role: str
    content: str
    created_at: datetime


class CaseComment(BaseModel):
    comment_id: str
    author: Literal["customer", "agent"] = "customer"
    body: str
    public: bool = True
    created_at: datetime


class CaseRecord(BaseModel):
    """A case as stored (and as the API returns it, with its public comments)."""

    case_id: int
    tenant_id: str
    user_id: str
    subject: str
    description: str
    category: str | None = None
    priority: CasePriority = "normal"
    status: CaseStatus = "open"
    conversation_id: str | None = None
    conversation_snapshot: list[SnapshotMessage] = []
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    comments: list[CaseComment] = []


class CaseCreate(BaseModel):
    """Input of ``CaseCreateWorkflow``; ``request_id`` makes a retried write create one case only."""

    owner: CaseOwner
    request_id: str
    subject: str
    description: str
    category: str | None = None
    priority: CasePriority = "normal"
    conversation_id: str | None = None


class CaseCreateOutcome(BaseModel):
    """The new case, or why none was created (``error``: ``conversation_not_found`` / ``conversation_not_escalated``)."""

    case: CaseRecord | None = None
    error: str | None = None
    message: str = ""


class CaseCommentInput(BaseModel):
    owner: CaseOwner
    case_id: int
    comment_id: str
    body: str


class CaseCloseInput(BaseModel):
    owner: CaseOwner
    case_id: int


class CaseChangeOutcome(BaseModel):
    """The case after a comment or close, or ``error`` (``case_not_found`` / ``case_not_open``)."""

    case: CaseRecord | None = None
    error: str | None = None


class DisclosureAcceptance(BaseModel):
    owner: CaseOwner
    version: str
    accepted_at: datetime | None = Field(None, description="Set by the workflow (its clock), so a retry writes the same instant")


class DisclosureState(BaseModel):
    """What the user accepted (the API compares the version with the current one)."""

    accepted_version: str | None = None
    accepted_at: datetime | None = None
