"""Seed 003's support side beside the conversations: human support cases, the AI disclosure, the quota.

* ``/api/support/ai/cases``: the caller's cases (tenant + user of the API key: another user's case
  is a 404 like an unknown one). A case is created directly or from one of the caller's escalated
  conversations, whose transcript the worker copies into the case (``conversation_snapshot``).
  Comments go on open cases only (409 ``case_not_open``); the owner may close a case.
* ``/api/support/ai/disclosure/*``: whether the caller accepted the current AI-disclosure version
  (``TRIAGE_SUPPORT_DISCLOSURE_VERSION``); with ``TRIAGE_SUPPORT_DISCLOSURE_REQUIRED`` chat turns need it.
* ``/api/support/ai/quota``: the caller's chat turns, tokens and cost in the current period against
  the ``TRIAGE_SUPPORT_QUOTA_*`` limits; a turn over a limit is a 429.

Every write is a short workflow run by the worker (``workflows/support.py``); the API only reads.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SettingsDep, TemporalDep, TenantDep
from api.engine import run_short_workflow
from api.errors import ERROR_RESPONSES, error_response
from api.routers.chat import CONVERSATION_ID, StoreDep, UserDep
from api.routing import JsonCheckingRoute
from api.support_access import QuotaStatus, SupportStoreDep, quota_status
from core.chat import ConversationOwner
from core.errors import NotFoundError, WorkflowFailedError
from core.support import (
    CASE_NOT_FOUND,
    CASE_NOT_OPEN,
    CONVERSATION_NOT_ESCALATED,
    DISCLOSURE_VERSION_MISMATCH,
    CaseChangeOutcome,
    CaseCloseInput,
    CaseComment,
    CaseCommentInput,
    CaseCreate,
    CaseOwner,
    CasePriority,
    CaseRecord,
    CaseStatus,
    DisclosureAcceptance,
    SnapshotMessage,
)
from workflows.support import CaseCloseWorkflow, CaseCommentWorkflow, CaseCreateWorkflow, DisclosureAcceptWorkflow

router = APIRouter(prefix="/api/support/ai", tags=["support AI cases (seed 003)"], route_class=JsonCheckingRoute, responses=ERROR_RESPONSES)

NOT_BLANK = r"\S"
CaseId = Annotated[int, Path(ge=1, le=2**53, description="The case number")]
_CASE_NOT_FOUND = error_response("Unknown case, or another user's (`case_not_found`)")
_CASE_NOT_OPEN = error_response("The case is closed and takes no comments (`case_not_open`)")


# ---------------------------------------------------------------- models
class CaseCreateRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"subject": "VPN still fails after the assistant's steps", "description": "Error 809 on every attempt."}]},
    )

    subject: str = Field(min_length=1, max_length=200, pattern=NOT_BLANK)
    description: str = Field("", max_length=20_000, description="What happened; may be empty when the case comes from a conversation")
    category: str | None = Field(None, max_length=100)
    priority: CasePriority = "normal"
    conversation_id: str | None = Field(
        None, pattern=CONVERSATION_ID, description="One of your escalated conversations: its transcript is copied into the case"
    )


class CommentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=10_000, pattern=NOT_BLANK)


class CaseSummary(BaseModel):
    case_id: int
    subject: str
    status: CaseStatus
    priority: CasePriority
    category: str | None
    conversation_id: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class CaseDetail(CaseSummary):
    description: str
    conversation_snapshot: list[SnapshotMessage]
    comments: list[CaseComment] = Field(description="Public comments, oldest first")


class DisclosureStatus(BaseModel):
    version: str = Field(description="The current AI-disclosure version")
    accepted: bool = Field(description="Whether the caller accepted the current version")
    accepted_version: str | None
    accepted_at: datetime | None
    required: bool = Field(description="Whether chat turns need the current version accepted")


class DisclosureAcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=64, description="The version the user was shown; must be the current one")


def _summary(case: CaseRecord) -> CaseSummary:
    return CaseSummary(**{name: getattr(case, name) for name in CaseSummary.model_fields})


def _detail(case: CaseRecord) -> CaseDetail:
    return CaseDetail(**{name: getattr(case, name) for name in CaseDetail.model_fields})


def _case_not_found(case_id: int) -> NotFoundError:
    return NotFoundError(f"case {case_id} not found", code=CASE_NOT_FOUND)


def _changed(outcome: CaseChangeOutcome, case_id: int) -> CaseDetail:
    if outcome.error == CASE_NOT_FOUND:
        raise _case_not_found(case_id)
    if outcome.error == CASE_NOT_OPEN:
        raise HTTPException(409, detail={"code": CASE_NOT_OPEN, "message": f"case {case_id} is closed: it takes no new comments"})
    if outcome.case is None:
        raise WorkflowFailedError(f"the write to case {case_id} returned no case")
    return _detail(outcome.case)


async def _owned(store: SupportStoreDep, owner: CaseOwner, case_id: int) -> CaseRecord:
    case = await asyncio.to_thread(store.owned_case, owner, case_id)
    if case is None:
        raise _case_not_found(case_id)
    return case


# ---------------------------------------------------------------- cases
@router.get("/cases", response_model=list[CaseSummary], summary="List my cases")
async def list_my_cases(
    tenant: TenantDep,
    user: UserDep,
    store: SupportStoreDep,
    status_filter: Annotated[CaseStatus | None, Query(description="Only cases in this status")] = None,
) -> list[CaseSummary]:
    """The caller's support cases, most recently updated first."""
    cases = await asyncio.to_thread(store.list_cases, CaseOwner(tenant_id=tenant, user_id=user), status_filter)
    return [_summary(case) for case in cases]


@router.post(
    "/cases",
    response_model=CaseDetail,
    summary="Create case",
    responses={
        404: error_response("`conversation_id` names no conversation of yours (`conversation_not_found`)"),
        409: error_response("The conversation is not escalated (`conversation_not_escalated`)"),
    },
)
async def create_case(
    body: CaseCreateRequest, client: TemporalDep, settings: SettingsDep, tenant: TenantDep, user: UserDep, conversations: StoreDep
) -> CaseDetail:
    """Create a tenant-scoped human support case for the caller, directly or from one of the
    caller's escalated conversations (its transcript becomes the case's ``conversation_snapshot``)."""
    if body.conversation_id:
        row = await asyncio.to_thread(conversations.owned, ConversationOwner(tenant_id=tenant, user_id=user, conversation_id=body.conversation_id))
        if row is None:
            raise NotFoundError(f"conversation {body.conversation_id!r} not found", code="conversation_not_found")
        if row["status"] != "escalated":
            raise HTTPException(
                409,
                detail={
                    "code": CONVERSATION_NOT_ESCALATED,
                    "message": f"conversation {body.conversation_id} is {row['status']}: escalate it first, then open a case from it",
                },
            )
    request = CaseCreate(
        owner=CaseOwner(tenant_id=tenant, user_id=user),
        request_id=f"case_{uuid.uuid4().hex}",
        subject=body.subject,
        description=body.description,
        category=body.category,
        priority=body.priority,
        conversation_id=body.conversation_id,
    )
    outcome = await run_short_workflow(
        client, CaseCreateWorkflow.run, request,
        kind="support-case", tenant=tenant, task_queue=settings.task_queue, timeout_s=settings.workflow_result_timeout_s,
    )
    if outcome.error == "conversation_not_found":
        raise NotFoundError(outcome.message, code="conversation_not_found")
    if outcome.error:
        raise HTTPException(409, detail={"code": outcome.error, "message": outcome.message})
    return _detail(outcome.case)


@router.get("/cases/{case_id}", response_model=CaseDetail, summary="Get my case", responses={404: _CASE_NOT_FOUND})
async def get_my_case(case_id: CaseId, tenant: TenantDep, user: UserDep, store: SupportStoreDep) -> CaseDetail:
    """One caller-owned support case with its public comments."""
    return _detail(await _owned(store, CaseOwner(tenant_id=tenant, user_id=user), case_id))


@router.post(
    "/cases/{case_id}/comments",
    response_model=CaseDetail,
    summary="Add my case comment",
    responses={404: _CASE_NOT_FOUND, 409: _CASE_NOT_OPEN},
)
async def add_my_case_comment(
    case_id: CaseId, body: CommentRequest, client: TemporalDep, settings: SettingsDep, tenant: TenantDep, user: UserDep, store: SupportStoreDep
) -> CaseDetail:
    """Add a public comment to one of the caller's open cases; returns the case with its comments."""
    owner = CaseOwner(tenant_id=tenant, user_id=user)
    case = await _owned(store, owner, case_id)
    if case.status != "open":
        raise HTTPException(409, detail={"code": CASE_NOT_OPEN, "message": f"case {case_id} is {case.status}: it takes no new comments"})
    comment = CaseCommentInput(owner=owner, case_id=case_id, comment_id=f"cmt_{uuid.uuid4().hex[:24]}", body=body.body)
    outcome = await run_short_workflow(
        client, CaseCommentWorkflow.run, comment,
        kind="support-comment", tenant=tenant, task_queue=settings.task_queue, timeout_s=settings.workflow_result_timeout_s,
    )
    return _changed(outcome, case_id)


@router.post("/cases/{case_id}/close", response_model=CaseDetail, summary="Close my case", responses={404: _CASE_NOT_FOUND})
async def close_my_case(case_id: CaseId, client: TemporalDep, settings: SettingsDep, tenant: TenantDep, user: UserDep, store: SupportStoreDep) -> CaseDetail:
    """The caller closes one of their cases (solved, or no longer needed): it takes no more comments.
    Closing a closed case changes nothing."""
    owner = CaseOwner(tenant_id=tenant, user_id=user)
    await _owned(store, owner, case_id)
    outcome = await run_short_workflow(
        client, CaseCloseWorkflow.run, CaseCloseInput(owner=owner, case_id=case_id),
        kind="support-close", tenant=tenant, task_queue=settings.task_queue, timeout_s=settings.workflow_result_timeout_s,
    )
    return _changed(outcome, case_id)


# ---------------------------------------------------------------- disclosure and quota
def _disclosure(settings: SettingsDep, accepted_version: str | None, accepted_at: datetime | None) -> DisclosureStatus:
    return DisclosureStatus(
        version=settings.support_disclosure_version,
        accepted=accepted_version == settings.support_disclosure_version,
        accepted_version=accepted_version,
        accepted_at=accepted_at,
        required=settings.support_disclosure_required,
    )


@router.get("/disclosure/status", response_model=DisclosureStatus, summary="Disclosure status")
async def disclosure_status(settings: SettingsDep, tenant: TenantDep, user: UserDep, store: SupportStoreDep) -> DisclosureStatus:
    """Has the caller accepted the current AI-disclosure version?"""
    state = await asyncio.to_thread(store.disclosure, CaseOwner(tenant_id=tenant, user_id=user))
    return _disclosure(settings, state.accepted_version, state.accepted_at)


@router.post(
    "/disclosure/accept",
    response_model=DisclosureStatus,
    summary="Accept disclosure",
    responses={409: error_response("`version` is not the current disclosure version (`disclosure_version_mismatch`)")},
)
async def accept_disclosure(
    body: DisclosureAcceptRequest, client: TemporalDep, settings: SettingsDep, tenant: TenantDep, user: UserDep
) -> DisclosureStatus:
    """Pin the caller's acceptance of the current AI-disclosure version. Idempotent: accepting the
    same version again only moves ``accepted_at`` forward."""
    if body.version != settings.support_disclosure_version:
        raise HTTPException(
            409,
            detail={
                "code": DISCLOSURE_VERSION_MISMATCH,
                "message": f"the current disclosure version is {settings.support_disclosure_version!r}: show it to the user and accept that one",
            },
        )
    acceptance = DisclosureAcceptance(owner=CaseOwner(tenant_id=tenant, user_id=user), version=body.version)
    state = await run_short_workflow(
        client, DisclosureAcceptWorkflow.run, acceptance,
        kind="support-disclosure", tenant=tenant, task_queue=settings.task_queue, timeout_s=settings.workflow_result_timeout_s,
    )
    return _disclosure(settings, state.accepted_version, state.accepted_at)


@router.get("/quota", response_model=QuotaStatus, summary="Get quota status")
async def get_quota_status(settings: SettingsDep, tenant: TenantDep, user: UserDep, store: SupportStoreDep) -> QuotaStatus:
    """The caller's chat turns, model tokens and cost in the current period (UTC day or month)
    against the configured limits; ``allowed`` is false once one is used up (turns are then 429)."""
    return await asyncio.to_thread(quota_status, store, settings, CaseOwner(tenant_id=tenant, user_id=user))


__all__ = ["router"]
