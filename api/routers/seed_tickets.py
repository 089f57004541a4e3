"""Seed 000's ticket API: ``POST /api/v1/tickets`` (triage a description), ``GET /api/v1/tickets/{id}`` and a filtered list.

A POST runs the same ``TriageWorkflow`` as ``/api/v1/tickets/process`` under a new ticket id; the
run's record step gives the ticket its number in the ticket register, which this router then reads
back (the API writes nothing). Graph indexing starts after the run as its own workflow, so it
never delays or fails the 201.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import SettingsDep, TemporalDep, TenantDep
from api.errors import ERROR_RESPONSES, error_response
from api.routers.tickets import run_triage
from api.routing import JsonCheckingRoute
from core.contracts import TriageRequest
from core.errors import NotFoundError, WorkflowFailedError
from tools.queries import RegisteredTicket, TicketRegister

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets (seed 000)"], route_class=JsonCheckingRoute, responses=ERROR_RESPONSES)

DESCRIPTION_REQUIRED = {"error": "user_description is required"}


def _documented_as_required(schema: dict[str, Any]) -> None:
    """What the route accepts (anything else is seed 000's 400): a non-blank ``user_description``."""
    schema["required"] = ["user_description"]
    schema["properties"]["user_description"] = {
        "type": "string", "maxLength": 100_000, "pattern": r"\S", "description": "The customer's problem description; required, not blank."
    }
    schema["examples"] = [{"user_description": "I was charged twice for my subscription."}]


class TicketCreate(BaseModel):
    """Seed 000's request body."""

    model_config = ConfigDict(json_schema_extra=_documented_as_required)

    # Lenient on purpose: seed 000 answers a missing or blank description with its own 400
    # (``DESCRIPTION_REQUIRED``), not a 422; the documented schema states the rule itself.
    user_description: str | None = Field(None, max_length=100_000, description="The customer's problem description; required, not blank.")


class SeedTicket(BaseModel):
    """Seed 000's ticket object."""

    id: int
    user_description: str = Field(description="As stored: personal data is redacted")
    category: str
    ai_response: str
    confidence_score: float = Field(ge=0, le=1)
    status: Literal["ai_resolved", "pending_agent"]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: RegisteredTicket) -> "SeedTicket":
        return cls(
            id=row.id, user_description=row.user_description, category=row.category, ai_response=row.ai_response,
            confidence_score=row.confidence_score, status=row.status, created_at=row.created_at, updated_at=row.updated_at,  # type: ignore[arg-type]
        )


class SeedTicketPage(BaseModel):
    """One page of tickets, newest first."""

    tickets: list[SeedTicket]
    total: int = Field(description="Tickets matching the filters")
    limit: int
    offset: int


def _register(request: Request) -> TicketRegister:
    return request.app.state.ticket_register


@router.post(
    "",
    status_code=201,
    response_model=SeedTicket,
    summary="Create a ticket: triage a description (seed 000)",
    openapi_extra={"requestBody": {"required": True}},
    responses={
        400: {"description": "`user_description` missing or empty", "content": {"application/json": {"example": DESCRIPTION_REQUIRED}}},
        502: error_response("The triage workflow failed (`workflow_failed`)"),
        504: error_response("The triage is still running (`workflow_timeout`)"),
    },
)
async def create_ticket(
    request: Request,
    client: TemporalDep,
    settings: SettingsDep,
    tenant: TenantDep,
    ticket: Annotated[TicketCreate, Body()] = None,  # type: ignore[assignment]  # no body: seed 000's 400
) -> SeedTicket | JSONResponse:
    """Classifies the description, drafts a reply from the knowledge base and the entity graph's
    related entities (in ``ai_response``), and answers 201 with the stored ticket: ``ai_resolved``
    when the triage confidence is at least 0.7, else ``pending_agent``."""
    description = (ticket.user_description if ticket else None) or ""
    if not description.strip():
        return JSONResponse(status_code=400, content=DESCRIPTION_REQUIRED)
    triage = TriageRequest(tenant_id=tenant, ticket_id=f"web-{uuid.uuid4().hex[:20]}", raw_message=description)
    result = await run_triage(client, triage, settings)
    row = _register(request).by_ticket_id(tenant, result.ticket_id)
    if row is None:  # the record step writes it before the workflow completes
        raise WorkflowFailedError(f"triage workflow {result.workflow_id} finished without registering ticket {result.ticket_id}")
    return SeedTicket.of(row)


@router.get("", response_model=SeedTicketPage, summary="List tickets (seed 000)")
async def list_tickets(
    request: Request,
    tenant: TenantDep,
    status: Annotated[Literal["ai_resolved", "pending_agent"] | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    created_from: Annotated[datetime | None, Query(description="Created at or after (ISO 8601)")] = None,
    created_to: Annotated[datetime | None, Query(description="Created before (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SeedTicketPage:
    """The tenant's tickets, newest first, filtered by status, category (case-insensitive) and creation time."""
    rows, total = _register(request).list(
        tenant, status=status, category=category, created_from=created_from, created_to=created_to, limit=limit, offset=offset
    )
    return SeedTicketPage(tickets=[SeedTicket.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/{ticket_number}",
    response_model=SeedTicket,
    summary="Get a ticket by number (seed 000)",
    responses={404: error_response("Unknown ticket (`ticket_not_found`)")},
)
async def get_ticket(request: Request, ticket_number: int, tenant: TenantDep) -> SeedTicket:
    """One ticket of the caller's tenant; another tenant's number is a 404 like an unknown one."""
    row = _register(request).get(tenant, ticket_number)
    if row is None:
        raise NotFoundError(f"ticket {ticket_number} is not known for this tenant", code="ticket_not_found")
    return SeedTicket.of(row)
