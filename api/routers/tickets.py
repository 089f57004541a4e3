"""``POST /api/v1/tickets/process`` (seed 001): triage one ticket through ``TriageWorkflow``; ticket updates."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import SettingsDep, TemporalDep, TenantDep
from api.engine import run_short_workflow, temporal_calls
from api.errors import ERROR_RESPONSES, error_response
from api.routing import JsonCheckingRoute
from core.contracts import ProcessResponse, TicketChange, TicketInput, TicketState, TriageRequest, TriageResult, to_ticket_output
from core.errors import InvalidInputError, NotFoundError, WorkflowFailedError, WorkflowTimeoutError
from workflows import TriageWorkflow, triage_workflow_id
from workflows.ids import tenant_workflow_prefix
from workflows.tickets import TicketUpdateWorkflow

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], route_class=JsonCheckingRoute, responses=ERROR_RESPONSES)


async def start_or_join_triage(client: TemporalDep, request: TriageRequest, task_queue: str) -> WorkflowHandle:
    """Start the ticket's workflow, or join the one already running or finished for it.

    A failed earlier run may be retried (ALLOW_DUPLICATE_FAILED_ONLY); a completed one is never
    repeated, so posting the same ticket twice triages it once.
    """
    workflow_id = triage_workflow_id(request.tenant_id, request.ticket_id)
    try:
        with temporal_calls(f"starting the triage of {request.ticket_id}"):
            return await client.start_workflow(
                TriageWorkflow.run,
                request,
                id=workflow_id,
                task_queue=task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                static_summary=f"Triage {request.ticket_id}",
            )
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle(workflow_id, result_type=TriageResult)


async def run_triage(client: TemporalDep, request: TriageRequest, settings: SettingsDep) -> TriageResult:
    """Start or join the ticket's workflow and wait for its result, as an API error on timeout or
    failure. The run enters the triage ledger itself (its record step), so a caller that gives up
    waiting loses nothing."""
    handle = await start_or_join_triage(client, request, settings.task_queue)
    try:
        with temporal_calls(f"waiting for the triage of {request.ticket_id} (workflow {handle.id})"):
            return await asyncio.wait_for(handle.result(), timeout=settings.workflow_result_timeout_s)
    except asyncio.TimeoutError as exc:
        raise WorkflowTimeoutError(
            f"triage of {request.ticket_id} is still running (workflow {handle.id}); repeat the request to get its result"
        ) from exc
    except WorkflowFailureError as exc:
        raise WorkflowFailedError(f"triage workflow {handle.id} failed: {exc.cause}") from exc


@router.post(
    "/process",
    response_model=ProcessResponse,
    summary="Process a support ticket",
    responses={
        502: error_response("The triage workflow failed (`workflow_failed`)"),
        504: error_response("The triage is still running (`workflow_timeout`); repeat the request for its result"),
    },
)
async def process_ticket(
    ticket: TicketInput, client: TemporalDep, settings: SettingsDep, tenant: TenantDep
) -> ProcessResponse:
    """Triage classification, draft response and citations for one ticket.

    Runs ``TriageWorkflow`` (workflow id ``triage-{tenant}-{ticket_id}``); every graph node is an
    activity visible in the Temporal UI. Repeating a request with the same ticket_id returns the
    existing run's result.
    """
    request = TriageRequest(
        tenant_id=tenant,
        ticket_id=ticket.ticket_id,
        raw_message=ticket.raw_message,
        customer_name=ticket.customer_name,
        customer_email=str(ticket.customer_email),
    )
    result = await run_triage(client, request, settings)
    return ProcessResponse(success=True, ticket_id=result.ticket_id, result=to_ticket_output(result), ai_usage=result.ai_usage)


class ProcessingMetrics(BaseModel):
    """Counts of triage runs by state, read from Temporal's visibility store."""

    tenant_id: str
    total: int
    completed: int
    running: int
    failed: int


@router.get("/metrics", response_model=ProcessingMetrics, summary="Get processing metrics")
async def processing_metrics(client: TemporalDep, tenant: TenantDep) -> ProcessingMetrics:
    """How many tickets of this tenant were triaged, are in flight, or failed."""
    prefix = tenant_workflow_prefix("triage", tenant)
    base = f"WorkflowType = 'TriageWorkflow' AND WorkflowId STARTS_WITH '{prefix}'"

    async def count(extra: str = "") -> int:
        with temporal_calls("counting triage runs"):
            return (await client.count_workflows(base + extra)).count

    total, completed, running, failed = await asyncio.gather(
        count(),
        count(" AND ExecutionStatus = 'Completed'"),
        count(" AND ExecutionStatus = 'Running'"),
        count(" AND ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated')"),
    )
    return ProcessingMetrics(tenant_id=tenant, total=total, completed=completed, running=running, failed=failed)


def _resolved_needs_resolution(schema: dict[str, Any]) -> None:
    """The schema says what the route enforces: ``resolved`` needs a non-blank ``resolution``."""
    schema["anyOf"] = [
        {"properties": {"status": {"enum": ["open", "in_progress"]}}},
        {"required": ["resolution"], "properties": {"status": {"const": "resolved"}, "resolution": {"type": "string", "pattern": r"\S"}}},
    ]


class TicketUpdate(BaseModel):
    """Fields an agent changes on a ticket; a ticket set to ``resolved`` becomes a similar-ticket answer."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_resolved_needs_resolution)

    status: Literal["open", "in_progress", "resolved"]
    resolution: str | None = Field(None, max_length=20_000, description="Required when status is resolved.")
    resolved_by: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=100)


@router.patch(
    "/{ticket_id}",
    response_model=TicketState,
    summary="Update a ticket's status and resolution",
    responses={
        404: error_response("Unknown ticket (`ticket_not_found`)"),
        502: error_response("The update workflow failed (`workflow_failed`)"),
        504: error_response("The update is still running (`workflow_timeout`)"),
    },
)
async def update_ticket(ticket_id: str, update: TicketUpdate, client: TemporalDep, settings: SettingsDep, tenant: TenantDep) -> TicketState:
    """Re-indexes the ticket in the ``tickets`` collection (redacted) through a ``TicketUpdateWorkflow``
    run by the worker; resolving it stamps ``resolved_at`` and makes it show up in
    ``/v1/ai/similar-tickets`` with its resolution. 404 ``ticket_not_found`` for a ticket never
    triaged or ingested."""
    if update.status == "resolved" and not (update.resolution or "").strip():
        raise InvalidInputError("a resolved ticket needs a resolution", code="resolution_required")
    change = TicketChange(
        tenant_id=tenant,
        ticket_id=ticket_id,
        status=update.status,
        resolution=update.resolution or "",
        resolved_by=update.resolved_by or "",
        category=update.category or "",
    )
    state = await run_short_workflow(
        client, TicketUpdateWorkflow.run, change,
        kind="ticket-update", tenant=tenant, task_queue=settings.task_queue, timeout_s=settings.workflow_result_timeout_s,
    )
    if state is None:
        raise NotFoundError(f"ticket {ticket_id!r} is not known for this tenant", code="ticket_not_found")
    return state
