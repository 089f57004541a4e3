"""Triage graph nodes.

Each node is a module-level async function (the Temporal LangGraph plugin names the activity
after it and rejects closures). Nodes read their clients from :mod:`agents.registry`, do their
CPU-bound work in a thread so the worker's event loop keeps heartbeating, and return only the
state keys they own.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from agents.registry import get_toolkit
from agents.triage.state import TriageState, request_of
from core.contracts import (
    AnswerDraft,
    Citation,
    Classification,
    Entity,
    Intent,
    IntentAlternative,
    PolicyCheck,
    Priority,
    Routing,
    SimilarTicket,
    TokenUsage,
    TriageRequest,
)
from tools.classification import detect_language, detect_sentiment
from tools.retrieval.tickets import TicketRecord, index_ticket, resolution_fields, ticket_title
from tools.drafting import article_from_sections, strip_citations, unknown_citations


async def classify(state: TriageState) -> dict[str, Any]:
    """Category, subcategory and intent from the nearest labeled examples; sentiment and language."""
    toolkit = get_toolkit()
    text = request_of(state).raw_message
    outcome = await asyncio.to_thread(toolkit.classifier.classify, text)
    classification = Classification(
        category=outcome.category,
        subcategory=outcome.subcategory,
        confidence=round(outcome.confidence, 4),
        intent=Intent(
            type=outcome.intent,
            confidence=round(outcome.intent_confidence, 4),
            alternatives=[IntentAlternative(type=name, confidence=round(p, 4)) for name, p in outcome.intent_alternatives],
        ),
        sentiment=detect_sentiment(text),
        language=detect_language(text),
    )
    return {"classification": classification.model_dump()}


async def prioritize(state: TriageState) -> dict[str, Any]:
    """Impact x urgency -> P1..P5 with SLA, bumped for VIP customers and security tickets."""
    toolkit = get_toolkit()
    request = request_of(state)
    classification = state["classification"]
    category = toolkit.taxonomy.category(classification["category"])
    assessment = toolkit.priority_matrix.assess(
        request.raw_message,
        category_sla_hours=category.sla_hours,
        customer_email=request.customer_email,
        sentiment=classification["sentiment"],
    )
    priority = Priority(
        level=assessment.level,  # type: ignore[arg-type]
        impact=assessment.impact,  # type: ignore[arg-type]
        urgency=assessment.urgency,  # type: ignore[arg-type]
        sla_target=assessment.sla_target,
        sla_hours=assessment.sla_hours,
        adjustments=assessment.adjustments,
    )
    return {"priority": priority.model_dump()}


async def extract_entities(state: TriageState) -> dict[str, Any]:
    """Entities (emails, phones, IBANs, PESELs, IPs, URLs...) with type, value, confidence and offsets."""
    toolkit = get_toolkit()
    found = await asyncio.to_thread(toolkit.entity_extractor.extract, request_of(state).raw_message)
    entities = [
        Entity(type=e.type, value=e.value, confidence=e.confidence, position=e.start, end=e.end, valid=e.valid).model_dump()
        for e in found
    ]
    return {"entities": entities}


async def retrieve(state: TriageState) -> dict[str, Any]:
    """Published articles of the ticket's tenant by hybrid search (dense + BM25, RRF): one citation
    per document, best chunk wins. Order follows the fused rank; the citation score is the cosine
    similarity, an absolute relevance that routing can trust (a fused rank is always high at the top)."""
    toolkit = get_toolkit()
    settings = toolkit.settings
    request = request_of(state)
    vector = await asyncio.to_thread(toolkit.kb_store.embed_query, request.raw_message)  # shared by both searches
    hits = await asyncio.to_thread(
        functools.partial(
            toolkit.kb_store.search,
            request.raw_message,
            settings.retrieval_top_k * 4,
            {"status": "published", "tenant_id": request.tenant_id},
            vector=vector,
        )
    )
    citations: list[dict[str, Any]] = []
    seen: set[str] = set()
    for hit in hits:
        if hit.doc_id in seen or hit.similarity < settings.retrieval_min_score:
            continue
        seen.add(hit.doc_id)
        citations.append(
            Citation(doc_id=hit.doc_id, chunk_id=hit.chunk_id, title=hit.title, score=hit.similarity, url=hit.url).model_dump()
        )
        if len(citations) == settings.retrieval_top_k:
            break
    return {"citations": citations, "similar_tickets": await _similar_resolved_tickets(request, vector)}


async def _similar_resolved_tickets(request: TriageRequest, vector: Any) -> list[dict[str, Any]]:
    """The tenant's resolved tickets most like this one, by hybrid search, at least min-score similar."""
    toolkit = get_toolkit()
    settings = toolkit.settings
    hits = await asyncio.to_thread(
        functools.partial(
            toolkit.retrieval.collection("tickets").search,
            request.raw_message,
            settings.similar_tickets_top_k * 3,
            {"status": "resolved", "tenant_id": request.tenant_id},
            vector=vector,
        )
    )
    similar: list[dict[str, Any]] = []
    for hit in hits:
        if hit.doc_id == request.ticket_id or hit.similarity < settings.retrieval_min_score or any(t["id"] == hit.doc_id for t in similar):
            continue
        similar.append(
            SimilarTicket(id=hit.doc_id, title=hit.title, similarity=hit.similarity, **resolution_fields(hit)).model_dump()
        )
        if len(similar) == settings.similar_tickets_top_k:
            break
    return similar


async def draft(state: TriageState) -> dict[str, Any]:
    """Reply draft built from the best cited article; any [DOC-ID] not in the citations is dropped."""
    toolkit = get_toolkit()
    request = request_of(state)
    classification = state["classification"]
    citations = state.get("citations", [])
    team = toolkit.taxonomy.category(classification["category"]).team
    article = None
    if citations:
        best = citations[0]
        sections = await asyncio.to_thread(toolkit.kb_store.document_sections, best["doc_id"], request.tenant_id)
        article = article_from_sections(best["doc_id"], best["title"], sections)
    result = toolkit.drafter.draft(
        customer_name=request.customer_name,
        sentiment=classification["sentiment"],
        subcategory=classification["subcategory"],
        team=team,
        sla_hours=state["priority"]["sla_hours"],
        article=article,
        related=[(c["doc_id"], c["title"]) for c in citations[1:]],
    )
    allowed = {c["doc_id"] for c in citations}
    dropped = unknown_citations(result.body, allowed)
    body = strip_citations(result.body, dropped)
    answer = AnswerDraft(greeting=result.greeting, body=body, closing=result.closing, tone=result.tone)  # type: ignore[arg-type]
    return {"answer_draft": answer.model_dump(), "dropped_citations": dropped, "token_usage": TokenUsage().model_dump()}


async def policy_check(state: TriageState) -> dict[str, Any]:
    """Refund promises, SLA mentions, escalation need and overall compliance of the draft."""
    toolkit = get_toolkit()
    answer = state["answer_draft"]
    text = "\n".join((answer["greeting"], answer["body"], answer["closing"]))
    outcome = toolkit.policy_checker.check(
        text,
        priority_level=state["priority"]["level"],
        sentiment=state["classification"]["sentiment"],
        citations_count=len(state.get("citations", [])),
        security_flag="security" in state["priority"].get("adjustments", []),
        unknown_citations=unknown_citations(answer["body"], {c["doc_id"] for c in state.get("citations", [])}),
    )
    check = PolicyCheck(
        refund_promise=outcome.refund_promise,
        sla_mentioned=outcome.sla_mentioned,
        escalation_needed=outcome.escalation_needed,
        compliance=outcome.compliance,  # type: ignore[arg-type]
        issues=outcome.issues or None,
    )
    return {"policy_check": check.model_dump()}


async def route(state: TriageState) -> dict[str, Any]:
    """auto_resolve / agent_assist / escalate from overall confidence, policy and priority; team from taxonomy."""
    toolkit = get_toolkit()
    classification = state["classification"]
    citations = state.get("citations", [])
    confidence = toolkit.router.overall_confidence(
        classification["confidence"], citations[0]["score"] if citations else 0.0
    )
    outcome = toolkit.router.route(
        confidence=confidence,
        team=toolkit.taxonomy.category(classification["category"]).team,
        compliance=state["policy_check"]["compliance"],
        escalation_needed=state["policy_check"]["escalation_needed"],
        priority_level=state["priority"]["level"],
    )
    routing = Routing(
        decision=outcome.decision,  # type: ignore[arg-type]
        confidence=outcome.confidence,
        team=outcome.team,
        assignee=outcome.assignee,
        reasons=outcome.reasons,
    )
    return {"routing": routing.model_dump()}


async def record_ticket(state: TriageState) -> dict[str, Any]:
    """Index the ticket (redacted) in the ``tickets`` collection so similar-ticket search finds it;
    an auto-resolved ticket goes in as resolved, with the draft as its resolution. A ticket an agent
    already moved on (in progress, resolved) keeps its state: re-triaging must not reopen it or
    drop its resolution."""
    toolkit = get_toolkit()
    request = request_of(state)
    classification = state["classification"]
    resolved = state["routing"]["decision"] == "auto_resolve"
    tickets = toolkit.retrieval.collection("tickets")
    stored = await asyncio.to_thread(tickets.document_chunks, request.ticket_id, request.tenant_id)
    if stored and stored[0].metadata.get("status") in ("in_progress", "resolved"):
        return {"ticket_status": str(stored[0].metadata["status"])}
    record = TicketRecord(
        ticket_id=request.ticket_id,
        tenant_id=request.tenant_id,
        title=ticket_title(request.raw_message),
        description=request.raw_message,
        status="resolved" if resolved else "open",
        category=classification["category"],
        subcategory=classification.get("subcategory") or "",
        priority=state["priority"]["level"],
        resolution=state["answer_draft"]["body"] if resolved else "",
        resolved_by="triage-desk (auto_resolve)" if resolved else "",
    )
    await asyncio.to_thread(index_ticket, tickets, toolkit.redactor, record)
    return {"ticket_status": record.status}


__all__ = ["classify", "draft", "extract_entities", "policy_check", "prioritize", "record_ticket", "retrieve", "route"]
