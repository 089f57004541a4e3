"""``POST /v1/ai/triage`` (seed 002): the same ``TriageWorkflow`` as seed 001, in the ITSM result shape.

A ``ticketId`` names a ticket already known to the tickets collection (ingested or triaged before:
a ticket triaged before returns that run's result, as seed 001 does); ``title``/``description``
triage ad hoc under a content-derived id, so repeating the same text is idempotent too.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Discriminator, EmailStr, Field, StringConstraints, Tag, model_validator

from api.deps import LedgerDep, SettingsDep, TemporalDep, TenantDep, QueriesDep
from api.errors import ERROR_RESPONSES, error_response
from api.routing import JsonCheckingRoute
from api.routers.tickets import run_triage
from core.contracts import AIUsage, Entity, Intent, PriorityLevel, Severity, TokenUsage, TriageRequest, TriageResult, slug
from core.errors import TriageError
from tools.queries import load_ticket

router = APIRouter(prefix="/v1/ai", tags=["triage (seed 002)"], route_class=JsonCheckingRoute, responses=ERROR_RESPONSES)


TICKET_ID_PATTERN = r"^[A-Za-z0-9_.:\-]+$"
MIN_ADHOC_CHARS = 10
SUBSTANTIVE = r"^\s*\S[\s\S]{%d,}\S\s*$" % (MIN_ADHOC_CHARS - 2)
"""A string with at least ten characters between its first and last non-blank ones (inclusive):
the ad-hoc rule as a JSON Schema pattern, true of the raw and of the stripped value alike."""


class AiTriageByTicket(BaseModel):
    """Triage a ticket the tickets collection knows (ingested or triaged before)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, title="AiTriageByTicket", json_schema_extra={"examples": [{"ticketId": "TKT-H-0003"}]})

    ticketId: str = Field(min_length=1, max_length=128, pattern=TICKET_ID_PATTERN)

    @model_validator(mode="before")
    @classmethod
    def _not_both(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("title" in data or "description" in data):
            raise ValueError("ticketId and title/description are mutually exclusive")
        return data


def _one_substantive_field(schema: dict[str, Any]) -> None:
    schema["anyOf"] = [
        {"required": [name], "properties": {name: {"type": "string", "pattern": SUBSTANTIVE}}} for name in ("title", "description")
    ]


class AiTriageAdHoc(BaseModel):
    """Triage text that is not stored as a ticket: a title and/or a description, at least one of
    them holding ten characters or more (leading and trailing blanks do not count)."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, title="AiTriageAdHoc", json_schema_extra=_one_substantive_field
    )

    title: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=50_000)
    requesterEmail: EmailStr | None = Field(None, description="Lets VIP rules apply to ad-hoc tickets.")

    @model_validator(mode="after")
    def _enough_text(self) -> "AiTriageAdHoc":
        # str.strip() as well: Python's whitespace (what the schema's \s means) is a superset of the
        # model's own stripping, so a value is accepted exactly when the schema pattern matches it.
        if not any(len((value or "").strip()) >= MIN_ADHOC_CHARS for value in (self.title, self.description)):
            raise ValueError(
                f"send a ticketId, or a title or description of at least {MIN_ADHOC_CHARS} characters (not counting surrounding blanks)"
            )
        return self


def _triage_source(value: Any) -> str:
    if isinstance(value, dict):
        return "ticket" if "ticketId" in value else "adhoc"
    return "ticket" if isinstance(value, AiTriageByTicket) else "adhoc"


AiTriageRequest = Annotated[
    Annotated[AiTriageByTicket, Tag("ticket")] | Annotated[AiTriageAdHoc, Tag("adhoc")],
    Discriminator(_triage_source),
]
"""The body: exactly one of the two shapes (a ``oneOf`` in the OpenAPI schema); a body with
``ticketId`` is read as the first, any other as the second, so each gets that shape's errors."""


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
    token_usage: TokenUsage = Field(description="Tokens and USD this triage spent on models, summed over its calls (classify, draft, policy_review); offline: 0")
    ai_usage: AIUsage = Field(
        default_factory=AIUsage,
        description="Per model operation: tokens, cost, model, prompt id, latency and the fallback reason when the node kept its "
        "offline result (llm_timeout, cost_cap_reached...); ai_enabled is false when TRIAGE_AI_ENABLED=false. Not in seed 002.",
    )
    workflow_id: str


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
        suggested_category=slug(classification.subcategory or classification.category),
        suggested_team=slug(result.routing.team),
        token_usage=result.token_usage,
        ai_usage=result.ai_usage,
        workflow_id=result.workflow_id,
    )


async def _request_for_known_ticket(queries: QueriesDep, tenant: str, ticket_id: str) -> TriageRequest:
    """The ticket's text from the tickets collection (title + description, as stored: redacted)."""
    ticket = await asyncio.to_thread(load_ticket, queries.retrieval.collection("tickets"), ticket_id, tenant)
    return TriageRequest(tenant_id=tenant, ticket_id=ticket_id, raw_message=ticket.text)


@router.post(
    "/triage",
    response_model=AiTriageResponse,
    summary="Triage a ticket (ITSM shape)",
    responses={
        404: error_response("Unknown ticketId (`ticket_not_found`)"),
        502: error_response("The triage workflow failed (`workflow_failed`)"),
        504: error_response("The triage is still running (`workflow_timeout`); repeat the request for its result"),
    },
)
async def triage(body: AiTriageRequest, client: TemporalDep, settings: SettingsDep, tenant: TenantDep, queries: QueriesDep) -> AiTriageResponse:
    """Intent, priority (P1..P5, SLA minutes), entities, similar resolved tickets, routing and token
    usage for one ticket, from a durable ``TriageWorkflow`` run visible in the Temporal UI."""
    if isinstance(body, AiTriageByTicket):
        request = await _request_for_known_ticket(queries, tenant, body.ticketId)
    else:
        message = "\n\n".join(part for part in (body.title, body.description) if part)
        ticket_id = "adhoc-" + hashlib.sha256(message.encode()).hexdigest()[:16]
        request = TriageRequest(tenant_id=tenant, ticket_id=ticket_id, raw_message=message, customer_email=str(body.requesterEmail or ""))
    return to_ai_triage(await run_triage(client, request, settings))


MAX_BATCH = 50
TicketId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=TICKET_ID_PATTERN)]


class BatchTriageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticketIds: list[TicketId] = Field(min_length=1, max_length=MAX_BATCH, description=f"At most {MAX_BATCH} ticket ids.")


class BatchItem(BaseModel):
    ticketId: str
    decision: str | None = None
    confidence: float | None = None
    intent: Intent | None = None
    priority: AiPriority | None = None
    suggested_category: str | None = None
    suggested_team: str | None = None
    error: dict[str, str] | None = Field(None, description="code and message when this ticket failed")


class BatchTriageResponse(BaseModel):
    batch_id: str
    total: int
    completed: int
    failed: int
    results: list[BatchItem]
    token_usage: TokenUsage


@router.post("/triage/batch", response_model=BatchTriageResponse, summary="Triage up to 50 known tickets")
async def triage_batch(body: BatchTriageRequest, client: TemporalDep, settings: SettingsDep, tenant: TenantDep, queries: QueriesDep) -> BatchTriageResponse:
    """Each ticket runs its own ``TriageWorkflow`` (all started at once, so Temporal retries and
    records each independently); results keep the input order, and a ticket that cannot be
    triaged (unknown id, failed run) is reported in place with its error instead of failing the batch."""
    ids = list(dict.fromkeys(body.ticketIds))

    async def one(ticket_id: str) -> BatchItem:
        try:
            result = to_ai_triage(await run_triage(client, await _request_for_known_ticket(queries, tenant, ticket_id), settings))
        except TriageError as exc:
            return BatchItem(ticketId=ticket_id, error={"code": exc.code, "message": str(exc)})
        items[ticket_id] = result
        return BatchItem(
            ticketId=ticket_id,
            decision=result.decision,
            confidence=result.confidence,
            intent=result.intent,
            priority=result.priority,
            suggested_category=result.suggested_category,
            suggested_team=result.suggested_team,
        )

    items: dict[str, AiTriageResponse] = {}
    results = await asyncio.gather(*(one(ticket_id) for ticket_id in ids))
    usage = TokenUsage()
    for result in items.values():
        usage.input += result.token_usage.input
        usage.output += result.token_usage.output
        usage.total += result.token_usage.total
        usage.cost = round(usage.cost + result.token_usage.cost, 6)
    failed = sum(1 for item in results if item.error)
    return BatchTriageResponse(
        batch_id=f"batch_{uuid.uuid4().hex}",
        total=len(results),
        completed=len(results) - failed,
        failed=failed,
        results=list(results),
        token_usage=usage,
    )


class TriageMetricsResponse(BaseModel):
    period: str
    total_triaged: int
    decisions: dict[str, int]
    avg_confidence: float | None
    accuracy: dict[str, float] | None = Field(
        None, description="Needs agent feedback on triage results, which is not collected yet: null until it is."
    )
    intent_distribution: dict[str, int]
    priority_distribution: dict[str, int]
    avg_processing_time_ms: int | None
    token_usage: dict[str, float]


@router.get("/triage/metrics", response_model=TriageMetricsResponse, summary="Aggregated triage metrics")
async def triage_metrics(
    ledger: LedgerDep,
    tenant: TenantDep,
    period: Literal["1h", "24h", "7d", "30d"] = "24h",
    team: str | None = Query(None, max_length=128, description="Suggested team id, e.g. finance_team"),
) -> TriageMetricsResponse:
    """Decision, intent and priority distributions, average confidence, processing time (workflow
    start to result) and token usage of this tenant's triage runs in the period."""
    return TriageMetricsResponse(**await asyncio.to_thread(ledger.metrics, tenant, period, team))
