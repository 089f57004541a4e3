"""``POST /api/v1/tickets/process`` (seed 001): triage one ticket through ``TriageWorkflow``."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from pydantic import BaseModel
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import SettingsDep, TemporalDep, TenantDep
from api.errors import WorkflowFailedError, WorkflowTimeoutError
from core.contracts import ProcessResponse, TicketInput, TriageRequest, TriageResult, to_ticket_output
from workflows import TriageWorkflow, triage_workflow_id

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


async def start_or_join_triage(client: TemporalDep, request: TriageRequest, task_queue: str) -> WorkflowHandle:
    """Start the ticket's workflow, or join the one already running or finished for it.

    A failed earlier run may be retried (ALLOW_DUPLICATE_FAILED_ONLY); a completed one is never
    repeated, so posting the same ticket twice triages it once.
    """
    workflow_id = triage_workflow_id(request.tenant_id, request.ticket_id)
    try:
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


@router.post(
    "/process",
    response_model=ProcessResponse,
    summary="Process a support ticket",
    responses={502: {"description": "The triage workflow failed"}, 504: {"description": "The triage is still running"}},
)
async def process_ticket(ticket: TicketInput, client: TemporalDep, settings: SettingsDep, tenant: TenantDep) -> ProcessResponse:
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
    handle = await start_or_join_triage(client, request, settings.task_queue)
    try:
        result: TriageResult = await asyncio.wait_for(handle.result(), timeout=settings.workflow_result_timeout_s)
    except asyncio.TimeoutError as exc:
        raise WorkflowTimeoutError(
            f"triage of {ticket.ticket_id} is still running (workflow {handle.id}); repeat the request to get its result"
        ) from exc
    except WorkflowFailureError as exc:
        raise WorkflowFailedError(f"triage workflow {handle.id} failed: {exc.cause}") from exc
    return ProcessResponse(success=True, ticket_id=result.ticket_id, result=to_ticket_output(result))


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
    base = f"WorkflowType = 'TriageWorkflow' AND WorkflowId STARTS_WITH '{triage_workflow_id(tenant, '')}'"

    async def count(extra: str = "") -> int:
        return (await client.count_workflows(base + extra)).count

    total, completed, running, failed = await asyncio.gather(
        count(),
        count(" AND ExecutionStatus = 'Completed'"),
        count(" AND ExecutionStatus = 'Running'"),
        count(" AND ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated')"),
    )
    return ProcessingMetrics(tenant_id=tenant, total=total, completed=completed, running=running, failed=failed)
