"""Seed 003's support writes as short workflows run by the worker: create a case, comment on it,
close it, accept the AI disclosure.

The API never writes a store: each of its writes here is one of these runs (``api.engine.run_short_workflow``),
retried by Temporal and visible in its UI. Business refusals (a closed case, a conversation that is
not escalated) come back as an ``error`` in the result, not as a failed run: nothing to retry.
Activities are named, not imported; their code belongs to the worker (``agents/support.py``).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from core.support import (
        ACCEPT_DISCLOSURE_ACTIVITY,
        ADD_CASE_COMMENT_ACTIVITY,
        CLOSE_CASE_ACTIVITY,
        CREATE_CASE_ACTIVITY,
        CaseChangeOutcome,
        CaseCloseInput,
        CaseCommentInput,
        CaseCreate,
        CaseCreateOutcome,
        DisclosureAcceptance,
        DisclosureState,
    )

_WRITE = {
    "start_to_close_timeout": timedelta(seconds=30),
    "heartbeat_timeout": timedelta(seconds=10),
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=5), maximum_attempts=10),
}


@workflow.defn
class CaseCreateWorkflow:
    """Create a case (with the escalated conversation's transcript, when it names one)."""

    @workflow.run
    async def run(self, request: CaseCreate) -> CaseCreateOutcome:
        source = f" from {request.conversation_id}" if request.conversation_id else ""
        return await workflow.execute_activity(
            CREATE_CASE_ACTIVITY, request, result_type=CaseCreateOutcome, summary=f"create case{source}", **_WRITE  # type: ignore[arg-type]
        )


@workflow.defn
class CaseCommentWorkflow:
    """Add the owner's public comment to an open case."""

    @workflow.run
    async def run(self, comment: CaseCommentInput) -> CaseChangeOutcome:
        return await workflow.execute_activity(
            ADD_CASE_COMMENT_ACTIVITY, comment, result_type=CaseChangeOutcome, summary=f"comment on case {comment.case_id}", **_WRITE  # type: ignore[arg-type]
        )


@workflow.defn
class CaseCloseWorkflow:
    """The owner closes the case: it takes no more comments."""

    @workflow.run
    async def run(self, close: CaseCloseInput) -> CaseChangeOutcome:
        return await workflow.execute_activity(
            CLOSE_CASE_ACTIVITY, close, result_type=CaseChangeOutcome, summary=f"close case {close.case_id}", **_WRITE  # type: ignore[arg-type]
        )


@workflow.defn
class DisclosureAcceptWorkflow:
    """Pin the user's acceptance of an AI-disclosure version, at the workflow's clock."""

    @workflow.run
    async def run(self, acceptance: DisclosureAcceptance) -> DisclosureState:
        acceptance = acceptance.model_copy(update={"accepted_at": workflow.now()})
        return await workflow.execute_activity(
            ACCEPT_DISCLOSURE_ACTIVITY, acceptance, result_type=DisclosureState, summary=f"accept AI disclosure {acceptance.version}", **_WRITE  # type: ignore[arg-type]
        )


SUPPORT_WORKFLOWS = [CaseCreateWorkflow, CaseCommentWorkflow, CaseCloseWorkflow, DisclosureAcceptWorkflow]
"""Every support workflow, for the worker to register."""
