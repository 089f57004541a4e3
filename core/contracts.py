"""Pydantic contracts shared by the API, the workflows and the graph.

Two families live here: the internal triage result (what a workflow returns, richest form) and
the public shapes of the seed APIs (``/api/v1/tickets/process`` from seed 001), which are views
of the internal result built by :func:`to_ticket_output`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

PriorityLevel = Literal["P1", "P2", "P3", "P4", "P5"]
Severity = Literal["critical", "high", "medium", "low"]
Decision = Literal["auto_resolve", "agent_assist", "escalate"]
Compliance = Literal["passed", "warning", "failed"]
Tone = Literal["empathetic_professional", "formal", "casual"]


def slug(label: str) -> str:
    """``Finance Team`` -> ``finance_team``: the seed-002 form of team and category ids."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


# ---------------------------------------------------------------- workflow input
class TriageRequest(BaseModel):
    """Input of ``TriageWorkflow``: one ticket, already validated by the API."""

    tenant_id: str
    ticket_id: str
    raw_message: str
    customer_name: str = ""
    customer_email: str = ""


# ---------------------------------------------------------------- triage parts
class IntentAlternative(BaseModel):
    type: str
    confidence: float = Field(ge=0, le=1)


class Intent(BaseModel):
    type: str
    confidence: float = Field(ge=0, le=1)
    alternatives: list[IntentAlternative] = []


class Classification(BaseModel):
    category: str
    subcategory: str
    confidence: float = Field(ge=0, le=1)
    intent: Intent
    sentiment: str
    language: str = "en"


class Priority(BaseModel):
    level: PriorityLevel
    impact: Severity
    urgency: Severity
    sla_target: int = Field(description="SLA target in minutes")
    sla_hours: int = Field(ge=1, le=168)
    adjustments: list[str] = Field(default_factory=list, description="VIP/security bumps applied")


class Entity(BaseModel):
    type: str
    value: str
    confidence: float = Field(ge=0, le=1)
    position: int = Field(ge=0, description="Start offset in the ticket text")
    end: int = Field(ge=0, description="End offset (exclusive)")
    valid: bool | None = Field(None, description="Checksum validity where the type has one")


class Citation(BaseModel):
    doc_id: str
    chunk_id: str
    title: str
    score: float = Field(ge=0, le=1)
    url: str


class AnswerDraft(BaseModel):
    greeting: str
    body: str
    closing: str
    tone: Tone = "empathetic_professional"


class PolicyCheck(BaseModel):
    refund_promise: bool
    sla_mentioned: bool
    escalation_needed: bool
    compliance: Compliance
    issues: list[str] | None = None


class Routing(BaseModel):
    decision: Decision
    confidence: float = Field(ge=0, le=1)
    team: str
    assignee: str | None = None
    reasons: list[str] = []


class TokenUsage(BaseModel):
    """Tokens and USD a run spent on models, summed over nodes (seed 002 shape; ``offline``: all 0)."""

    input: int = 0
    output: int = 0
    total: int = 0
    cost: float = 0.0


class NodeTokenUsage(TokenUsage):
    """One model operation of a run; ``fallback`` is why its node kept the offline result, if it did."""

    model: str = "offline"
    prompt_id: str | None = None
    latency_ms: int = 0
    fallback: str | None = Field(None, description="Error code (llm_timeout, llm_bad_output...) when the node fell back to offline")


class AIUsage(BaseModel):
    """How a run used models: which one, per operation, and whether AI was switched off."""

    model: str = Field("offline", description="Model of the run's calls; offline when none was made")
    ai_enabled: bool = Field(True, description="False when TRIAGE_AI_ENABLED=false made every node take its offline path")
    by_node: dict[str, NodeTokenUsage] = Field(default_factory=dict, description="Per operation (draft, policy_review)")


class SimilarTicket(BaseModel):
    """A resolved ticket like this one (seed 002 ``similar_tickets``); text is stored redacted."""

    id: str
    title: str
    similarity: float = Field(ge=0, le=1)
    resolution: str | None = None
    resolved_at: str | None = None
    resolved_by: str | None = None


class RelatedEntity(BaseModel):
    """An entity the graph links to this ticket's entities (seed 000's related graph entities).

    Personal identifiers are stored as keyed hashes, so their ``label`` is ``<type>#<hash prefix>``.
    """

    type: str
    label: str
    hashed: bool = False
    shared_tickets: int = Field(ge=0, description="Other tickets mentioning it together with this ticket's entities")
    last_seen: datetime | None = Field(None, description="Newest of those tickets")


class TriageResult(BaseModel):
    """Everything one triage run produced; the workflow's result."""

    tenant_id: str
    ticket_id: str
    timestamp: datetime
    classification: Classification
    priority: Priority
    entities: list[Entity]
    citations: list[Citation]
    similar_tickets: list[SimilarTicket] = []
    related_entities: list[RelatedEntity] = []
    answer_draft: AnswerDraft
    policy_check: PolicyCheck
    routing: Routing
    token_usage: TokenUsage
    ai_usage: AIUsage = Field(default_factory=AIUsage)
    workflow_id: str = ""


# ---------------------------------------------------------------- seed 001 shapes
class TicketInput(BaseModel):
    """Input model for incoming support tickets (seed 001)."""

    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "ticket_id": "TKT-2025-001",
                    "raw_message": "I was charged twice for my subscription this month. Please help!",
                    "customer_name": "John Doe",
                    "customer_email": "john.doe@example.com",
                }
            ]
        },
    )

    ticket_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")
    raw_message: str = Field(min_length=10, max_length=100_000)
    customer_name: str = Field(min_length=1, max_length=200)
    customer_email: EmailStr


class TriageOutput(BaseModel):
    """Triage classification output (seed 001)."""

    category: str
    subcategory: str
    priority: str = Field(pattern=r"^P[1-3]$")
    sla_hours: int = Field(ge=1, le=168)
    suggested_team: str
    sentiment: str
    confidence: float = Field(ge=0, le=1)


class TicketOutput(BaseModel):
    """Complete output model for a processed ticket (seed 001)."""

    ticket_id: str
    timestamp: str
    triage: TriageOutput
    answer_draft: AnswerDraft
    citations: list[Citation]
    policy_check: PolicyCheck


class ProcessResponse(BaseModel):
    """Response of ``POST /api/v1/tickets/process`` (seed 001)."""

    success: bool
    ticket_id: str
    result: TicketOutput
    ai_usage: AIUsage | None = Field(
        None,
        description="Not in seed 001 (beside ``result``, which keeps the seed's shape): tokens and cost per model operation, "
        "fallback reasons, and ai_enabled=false when TRIAGE_AI_ENABLED=false. Offline: model offline, no operations.",
    )


def seed_priority(level: PriorityLevel) -> str:
    """Collapse P1..P5 to the P1..P3 scale of the seed-001 contract (P4/P5 read as P3)."""
    return level if level in ("P1", "P2", "P3") else "P3"


def to_ticket_output(result: TriageResult) -> TicketOutput:
    """The seed-001 view of an internal triage result."""
    return TicketOutput(
        ticket_id=result.ticket_id,
        timestamp=result.timestamp.isoformat(),
        triage=TriageOutput(
            category=result.classification.category,
            subcategory=result.classification.subcategory,
            priority=seed_priority(result.priority.level),
            sla_hours=result.priority.sla_hours,
            suggested_team=result.routing.team,
            sentiment=result.classification.sentiment,
            confidence=round(result.classification.confidence, 4),
        ),
        answer_draft=result.answer_draft,
        citations=result.citations,
        policy_check=result.policy_check,
    )


# ---------------------------------------------------------------- ticket updates (TicketUpdateWorkflow)
TicketStatus = Literal["open", "in_progress", "resolved"]


class TicketChange(BaseModel):
    """Input of ``TicketUpdateWorkflow``: what an agent changes on one stored ticket."""

    tenant_id: str
    ticket_id: str
    status: TicketStatus
    resolution: str = ""
    resolved_by: str = ""
    category: str = ""


class TicketState(BaseModel):
    """A stored ticket's status and resolution as the tickets collection holds them (redacted)."""

    ticket_id: str
    status: str
    category: str | None = None
    resolution: str | None = None
    resolved_at: str | None = None
    resolved_by: str | None = None


# ---------------------------------------------------------------- personal data (PersonalDataWorkflow)
class StoreMapping(BaseModel):
    """A redaction mapping to keep (encrypted, with a TTL) so a reply can be re-hydrated later."""

    tenant_id: str
    mapping: dict[str, str]


class RehydrationEvent(BaseModel):
    """Who re-hydrated which mapping, and how it went; never the values or the text."""

    tenant_id: str
    key_id: str
    user_id: str | None = None
    role: str
    mapping_id: str
    outcome: Literal["rehydrated", "not_found", "forbidden"]
    replaced: int = 0
    request_id: str | None = None

