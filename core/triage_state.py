"""Triage graph state and the assembly of the final result.

It lives in core/ because both sides read it: the worker's graph nodes write it, the workflow
assembles its result from it without importing anything of the graph.

State crosses every activity boundary as JSON, so each field holds plain data (dicts of the
``core.contracts`` models, dumped); parallel nodes write disjoint keys, so no reducers are needed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from core.contracts import (
    AIUsage,
    AnswerDraft,
    Citation,
    Classification,
    Entity,
    PolicyCheck,
    Priority,
    RelatedEntity,
    Routing,
    SimilarTicket,
    TokenUsage,
    TriageRequest,
    TriageResult,
)


class TriageState(TypedDict, total=False):
    request: dict[str, Any]
    """The ticket (``TriageRequest`` dumped); written once at the start."""
    run: dict[str, Any]
    """The run as the workflow sees it: ``workflow_id``, ``run_id``, ``started_at`` (ISO); written once at the start."""
    classification: dict[str, Any]
    """``Classification``: category, subcategory, intent with alternatives, sentiment, language (classify)."""
    entities: list[dict[str, Any]]
    """``Entity`` list sorted by position (extract_entities)."""
    citations: list[dict[str, Any]]
    """``Citation`` list, best first; only ids and short fields, never article bodies (retrieve)."""
    similar_tickets: list[dict[str, Any]]
    """``SimilarTicket`` list: the tenant's resolved tickets most like this one (retrieve)."""
    priority: dict[str, Any]
    """``Priority``: P1..P5, impact, urgency, SLA (prioritize)."""
    answer_draft: dict[str, Any]
    """``AnswerDraft`` citing [DOC-ID]s from ``citations`` only (draft)."""
    graph_citations: list[str]
    """Ids of the published articles the entity graph linked to the ticket (beyond ``citations``)
    that the draft was given and may cite (draft)."""
    dropped_citations: list[str]
    """Ids the draft cited that retrieval did not return; removed from the body (draft)."""
    policy_check: dict[str, Any]
    """``PolicyCheck`` (policy_check)."""
    routing: dict[str, Any]
    """``Routing``: decision, overall confidence, team, assignee (route)."""
    token_usage: dict[str, Any]
    """``TokenUsage`` summed over the run's LLM calls, classify's included (draft)."""
    ai_usage: dict[str, Any]
    """``AIUsage``: model, AI switch, usage and fallback reason per operation of the run (draft, which sums classify's too)."""
    llm_calls: list[dict[str, Any]]
    """``LLMCallRecord`` dicts of the run's model calls and fallbacks (classify writes its own; draft appends its
    calls to them); the usage ledger holds the same rows."""
    ai_fallbacks: list[dict[str, Any]]
    """``{"node", "operation", "reason"}`` for each model call that failed or was not made (``cost_cap_reached``)
    and left the offline result in place (classify, then draft appends)."""
    model_findings: list[list[str]]
    """``[code, description]`` findings the model added about the draft; policy_check only adds them (draft)."""
    graph_keys: dict[str, Any]
    """The ticket's graph references: ``entities`` (``GraphEntityRef`` list, personal ones as keyed hashes),
    ``customer_key`` and ``retry_max_interval_s`` for the indexing workflow (graph_context)."""
    graph_context: dict[str, Any]
    """``GraphContext``: related entities, resolved tickets and articles around the ticket's entities (graph_context)."""
    ticket_status: str
    """Status the ticket was indexed with in the tickets collection: open or resolved (record_ticket)."""
    finished_at: str
    """When record_ticket wrote the run to the tickets collection and the triage ledger (ISO)."""


def request_of(state: TriageState) -> TriageRequest:
    return TriageRequest.model_validate(state["request"])


def assemble_result(state: TriageState, timestamp: datetime, workflow_id: str) -> TriageResult:
    """Build the workflow result from the final graph state (pure: runs inside the workflow)."""
    request = request_of(state)
    return TriageResult(
        tenant_id=request.tenant_id,
        ticket_id=request.ticket_id,
        timestamp=timestamp,
        classification=Classification.model_validate(state["classification"]),
        priority=Priority.model_validate(state["priority"]),
        entities=[Entity.model_validate(e) for e in state.get("entities", [])],
        citations=[Citation.model_validate(c) for c in state.get("citations", [])],
        similar_tickets=[SimilarTicket.model_validate(t) for t in state.get("similar_tickets", [])],
        related_entities=[RelatedEntity.model_validate(e) for e in state.get("graph_context", {}).get("related_entities", [])],
        answer_draft=AnswerDraft.model_validate(state["answer_draft"]),
        policy_check=PolicyCheck.model_validate(state["policy_check"]),
        routing=Routing.model_validate(state["routing"]),
        token_usage=TokenUsage.model_validate(state.get("token_usage", {})),
        ai_usage=AIUsage.model_validate(state.get("ai_usage", {})),
        workflow_id=workflow_id,
    )
