"""``POST /api/v1/tickets/process`` (seed 001): triage one ticket through ``TriageWorkflow``; ticket updates."""

from __future__ import annotations

import asyncio
import re
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import LedgerDep, SettingsDep, TemporalDep, TenantDep, ToolkitDep
from api.errors import WorkflowFailedError, WorkflowTimeoutError
from core.contracts import ProcessResponse, TicketInput, TriageRequest, TriageResult, to_ticket_output
from tools.errors import InvalidInputError
from tools.retrieval.tickets import TicketRecord, index_ticket, load_ticket
from tools.triage_ledger import TriageLedger, TriageRun
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


async def run_triage(client: TemporalDep, request: TriageRequest, settings: SettingsDep, ledger: TriageLedger) -> TriageResult:
    """Start or join the ticket's workflow and wait for its result, as an API error on timeout or
    failure; a finished run is entered once in the triage ledger (for /v1/ai/triage/metrics)."""
    handle = await start_or_join_triage(client, request, settings.task_queue)
    try:
        result: TriageResult = await asyncio.wait_for(handle.result(), timeout=settings.workflow_result_timeout_s)
    except asyncio.TimeoutError as exc:
        raise WorkflowTimeoutError(
            f"triage of {request.ticket_id} is still running (workflow {handle.id}); repeat the request to get its result"
        ) from exc
    except WorkflowFailureError as exc:
        raise WorkflowFailedError(f"triage workflow {handle.id} failed: {exc.cause}") from exc
    if not await asyncio.to_thread(ledger.has, handle.id):
        started = (await handle.describe()).start_time
        processing_ms = round((result.timestamp - started).total_seconds() * 1000) if started else None
        await asyncio.to_thread(ledger.record, ledger_entry(result, handle.id, processing_ms))
    return result


def ledger_entry(result: TriageResult, workflow_id: str, processing_ms: int | None) -> TriageRun:
    return TriageRun(
        workflow_id=workflow_id,
        tenant_id=result.tenant_id,
        ticket_id=result.ticket_id,
        finished_at=result.timestamp,
        decision=result.routing.decision,
        confidence=result.routing.confidence,
        intent=result.classification.intent.type,
        priority=result.priority.level,
        team=team_slug(result.routing.team),
        processing_ms=processing_ms,
        tokens_input=result.token_usage.input,
        tokens_output=result.token_usage.output,
        cost=result.token_usage.cost,
    )


def team_slug(label: str) -> str:
    """``Finance Team`` -> ``finance_team``: the seed-002 form of team and category ids."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


@router.post(
    "/process",
    response_model=ProcessResponse,
    summary="Process a support ticket",
    responses={502: {"description": "The triage workflow failed"}, 504: {"description": "The triage is still running"}},
)
async def process_ticket(
    ticket: TicketInput, client: TemporalDep, settings: SettingsDep, tenant: TenantDep, ledger: LedgerDep
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
    result = await run_triage(client, request, settings, ledger)
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


class TicketUpdate(BaseModel):
    """Fields an agent changes on a ticket; a ticket set to ``resolved`` becomes a similar-ticket answer."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "in_progress", "resolved"]
    resolution: str | None = Field(None, max_length=20_000, description="Required when status is resolved.")
    resolved_by: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=100)


class TicketState(BaseModel):
    ticket_id: str
    status: str
    category: str | None
    resolution: str | None
    resolved_at: str | None
    resolved_by: str | None


@router.patch("/{ticket_id}", response_model=TicketState, summary="Update a ticket's status and resolution")
async def update_ticket(ticket_id: str, update: TicketUpdate, toolkit: ToolkitDep, tenant: TenantDep) -> TicketState:
    """Re-indexes the ticket in the ``tickets`` collection (redacted); resolving it stamps
    ``resolved_at`` and makes it show up in ``/v1/ai/similar-tickets`` with its resolution.
    404 ``ticket_not_found`` for a ticket never triaged or ingested."""
    if update.status == "resolved" and not (update.resolution or "").strip():
        raise InvalidInputError("a resolved ticket needs a resolution", code="resolution_required")
    collection = toolkit.retrieval.collection("tickets")
    ticket = await asyncio.to_thread(load_ticket, collection, ticket_id, tenant)
    meta = ticket.metadata
    record = TicketRecord(
        ticket_id=ticket_id,
        tenant_id=tenant,
        title=ticket.title,
        description=ticket.description,
        status=update.status,
        category=update.category or str(meta.get("category", "")),
        subcategory=str(meta.get("subcategory", "")),
        priority=str(meta.get("priority", "")),
        resolution=(update.resolution or "") if update.status == "resolved" else "",
        resolved_by=(update.resolved_by or "") if update.status == "resolved" else "",
    )
    await asyncio.to_thread(index_ticket, collection, toolkit.redactor, record)
    stored = (await asyncio.to_thread(load_ticket, collection, ticket_id, tenant)).metadata
    return TicketState(
        ticket_id=ticket_id,
        status=str(stored.get("status")),
        category=stored.get("category"),
        resolution=stored.get("resolution"),
        resolved_at=stored.get("resolved_at"),
        resolved_by=stored.get("resolved_by"),
    )
