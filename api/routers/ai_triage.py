"""``POST /v1/ai/triage`` (seed 002): the same ``TriageWorkflow`` as seed 001, in the ITSM result shape.

A ``ticketId`` names a ticket already known to the tickets collection (ingested or triaged before:
a ticket triaged before returns that run's result, as seed 001 does); ``title``/``description``
triage ad hoc under a content-derived id, so repeating the same text is idempotent too.
"""

from __future__ import annotations

import asyncio
import hashlib
import re

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from api.deps import SettingsDep, TemporalDep, TenantDep, ToolkitDep
from api.routers.tickets import run_triage
from core.contracts import Entity, Intent, PriorityLevel, Severity, TokenUsage, TriageRequest, TriageResult
from tools.errors import NotFoundError

router = APIRouter(prefix="/v1/ai", tags=["triage (seed 002)"])


class AiTriageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    ticketId: str | None = Field(None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")
    title: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=50_000)
    requesterEmail: EmailStr | None = Field(None, description="Lets VIP rules apply to ad-hoc tickets.")

    @model_validator(mode="after")
    def _one_source(self) -> "AiTriageRequest":
        adhoc = bool(self.title or self.description)
        if self.ticketId and adhoc:
            raise ValueError("ticketId and title/description are mutually exclusive")
        if not self.ticketId and not adhoc:
            raise ValueError("send a ticketId, or a title and/or description")
        if adhoc and len(f"{self.title or ''} {self.description or ''}".strip()) < 10:
            raise ValueError("title and description together need at least 10 characters")
        return self


class AiPriority(BaseModel):
    level: PriorityLevel
    impact: Severity
    urgency: Severity
    sla_target: int = Field(description="minutes")


class AiSimilarTicket(BaseModel):
    id: str
    title: str
    similarity: float
    resolution: str | None = None


class AiTriageResponse(BaseModel):
    ticketId: str
    decision: str
    confidence: float
    intent: Intent
    priority: AiPriority
    entities: list[Entity]
    similar_tickets: list[AiSimilarTicket]
    suggested_category: str
    suggested_team: str
    token_usage: TokenUsage
    workflow_id: str


def _slug(label: str) -> str:
    """``Finance Team`` -> ``finance_team``; the seed's categories and teams are snake_case ids."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def to_ai_triage(result: TriageResult) -> AiTriageResponse:
    classification = result.classification
    return AiTriageResponse(
        ticketId=result.ticket_id,
        decision=result.routing.decision,
        confidence=result.routing.confidence,
        intent=classification.intent,
        priority=AiPriority(
            level=result.priority.level, impact=result.priority.impact, urgency=result.priority.urgency, sla_target=result.priority.sla_target
        ),
        entities=result.entities,
        similar_tickets=[AiSimilarTicket(id=t.id, title=t.title, similarity=t.similarity, resolution=t.resolution) for t in result.similar_tickets],
        suggested_category=_slug(classification.subcategory or classification.category),
        suggested_team=_slug(result.routing.team),
        token_usage=result.token_usage,
        workflow_id=result.workflow_id,
    )


@router.post(
    "/triage",
    response_model=AiTriageResponse,
    summary="Triage a ticket (ITSM shape)",
    responses={404: {"description": "Unknown ticketId"}, 502: {"description": "The triage workflow failed"}},
)
async def triage(body: AiTriageRequest, client: TemporalDep, settings: SettingsDep, tenant: TenantDep, toolkit: ToolkitDep) -> AiTriageResponse:
    """Intent, priority (P1..P5, SLA minutes), entities, similar resolved tickets, routing and token
    usage for one ticket, from a durable ``TriageWorkflow`` run visible in the Temporal UI."""
    if body.ticketId:
        ticket_id = body.ticketId
        chunks = await asyncio.to_thread(toolkit.retrieval.collection("tickets").document_chunks, ticket_id, tenant)
        if not chunks:
            raise NotFoundError(f"ticket {ticket_id!r} is not known for this tenant", code="ticket_not_found")
        message = "\n".join(chunk.text.split("\n", 2)[-1] for chunk in chunks)
        title = chunks[0].title
        message = message if message.startswith(title) else f"{title}\n\n{message}"
    else:
        message = "\n\n".join(part for part in (body.title, body.description) if part)
        ticket_id = "adhoc-" + hashlib.sha256(message.encode()).hexdigest()[:16]
    request = TriageRequest(
        tenant_id=tenant, ticket_id=ticket_id, raw_message=message, customer_email=str(body.requesterEmail or "")
    )
    return to_ai_triage(await run_triage(client, request, settings))
