"""Triage graph nodes.

Each node is a module-level async function (the Temporal LangGraph plugin names the activity
after it and rejects closures). Nodes read their clients from :mod:`agents.registry`, do their
CPU-bound work in a thread while the event loop heartbeats (so a crashed worker's node is retried
elsewhere within seconds), and return only the state keys they own. prioritize, policy_check and
route run inside the workflow: they must stay pure computations on the state and the toolkit's
static configuration (taxonomy, thresholds), with no I/O, clock or randomness.
"""

from __future__ import annotations

import asyncio
import functools
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio import activity
from temporalio.exceptions import WorkflowAlreadyStartedError

from agents.blocking import run_blocking
from agents.graph_activities import register_ticket
from agents import graph_activities
from agents.registry import get_toolkit
from core.graph_contracts import ticket_graph_record
from core.graphs import ENTITY_INDEXING_WORKFLOW, indexing_workflow_id
from core.triage_state import TriageState, request_of
from core.contracts import (
    AIUsage,
    AnswerDraft,
    Citation,
    Classification,
    Entity,
    Intent,
    IntentAlternative,
    NodeTokenUsage,
    PolicyCheck,
    Priority,
    Routing,
    SimilarTicket,
    TokenUsage,
    TriageRequest,
    slug,
)
from tools.classification import ClassificationOutcome, detect_language, detect_sentiment
from tools.embeddings import embed_queries
from tools.pii.entities import ExtractedEntity
from tools.drafting import (
    GraphArticle,
    graph_article_fits,
    named_graph_entities,
    ticket_identifiers,
    SourceArticle,
    article_from_sections,
    entity_display,
    strip_citations,
    unknown_citations,
)
from tools.llm import GuardedText, LLMCallRecord, Prompt, ProviderError, call_cost, guard_text, load_prompt
from tools.llm.classify import allowed_intents, build_candidates, llm_classify, merge_outcome
from tools.llm.tasks import DraftRequest, llm_draft_body, llm_policy_findings
from tools.llm.usage import ensure_within_cap
from tools.retrieval.tickets import TicketRecord, index_ticket, resolution_fields, ticket_title
from tools.triage_ledger import TriageRun

async def _ticket_vector(text: str) -> Any:
    """The ticket's one embedding: classify, retrieve and record ask for the same text, and the
    toolkit's caching embedder computes it once per worker (the first caller computes, others wait)."""
    return (await run_blocking(embed_queries, get_toolkit().embedder, [text]))[0]


@functools.lru_cache(maxsize=2048)
def _redacted_example(redactor: Any, text: str) -> str:
    """A labeled example as it may appear in a prompt (names too); examples repeat, so once each."""
    return redactor.redact(text).text


async def classify(state: TriageState) -> dict[str, Any]:
    """Category, subcategory and intent from the classifier head over the labeled examples; sentiment
    and language. With a model (and ``TRIAGE_LLM_CLASSIFY``), the model then chooses among the head's
    top pairs and the nearest labeled examples' labels, with those examples in its prompt; an answer
    outside the candidates, a provider failure or the tenant's cost cap keeps the offline labels, with
    the reason in ``ai_fallbacks``. The call goes to ``llm_calls`` (draft sums the run's usage)."""
    toolkit = get_toolkit()
    request = request_of(state)
    text = request.raw_message
    vector = await _ticket_vector(text)
    outcome = await run_blocking(functools.partial(toolkit.classifier.classify, text, vector=vector))
    calls: list[LLMCallRecord] = []
    if _model_on() and toolkit.settings.llm_classify:
        outcome, call = await run_blocking(_model_classify, request, vector, outcome)
        calls.append(call)
        if toolkit.usage_ledger is not None:
            await run_blocking(_record_usage, toolkit.usage_ledger, state, request, calls)
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
    update: dict[str, Any] = {"classification": classification.model_dump()}
    if calls:
        update["llm_calls"] = [call.as_dict() for call in calls]
        update["ai_fallbacks"] = [{"node": "classify", "operation": c.operation, "reason": c.outcome} for c in calls if c.outcome != "ok"]
    return update


def _model_on() -> bool:
    toolkit = get_toolkit()
    return bool(toolkit.llm.enabled and toolkit.settings.ai_enabled)


def _guarded_ticket(request: TriageRequest, entities: list[dict[str, Any]]) -> GuardedText:
    """The ticket as it may leave for a model: the entities found, the customer's name and email,
    and the guard's pattern net replaced by placeholders (unless TRIAGE_REDACT_BEFORE_LLM=false)."""
    toolkit = get_toolkit()
    redact = toolkit.settings.redact_before_llm
    return guard_text(
        request.raw_message,
        redactor=toolkit.redactor if redact else None,
        entities=entities if redact else [],
        people=[request.customer_name] if redact else [],
        emails=[request.customer_email] if redact else [],
    )


def _model_classify(request: TriageRequest, vector: Any, offline: ClassificationOutcome) -> tuple[ClassificationOutcome, LLMCallRecord]:
    """The model's choice among the candidates, or the offline outcome with the reason. Blocking: run in a thread.

    classify runs beside extract_entities, so it finds the entities for redaction itself (only when
    a model is on: the offline path pays nothing for it).
    """
    toolkit = get_toolkit()
    settings = toolkit.settings
    prompt = load_prompt("classify_ticket")
    started = time.monotonic()
    try:
        ensure_within_cap(toolkit.usage_ledger, settings.monthly_cost_cap(request.tenant_id), request.tenant_id)
        found = toolkit.entity_extractor.extract(request.raw_message) if settings.redact_before_llm else []
        entities = [{"type": e.type, "value": e.value, "confidence": e.confidence, "position": e.start, "end": e.end, "valid": e.valid} for e in found]
        guarded = _guarded_ticket(request, entities)
        candidates = build_candidates(
            toolkit.classifier, request.raw_message, vector, pairs=settings.llm_classify_candidates, examples=settings.llm_classify_examples
        )
        answer, result = llm_classify(
            toolkit.llm, prompt, ticket=guarded.text, candidates=candidates,
            intents=allowed_intents(toolkit.taxonomy, toolkit.classifier), taxonomy=toolkit.taxonomy,
            redact_example=functools.partial(_redacted_example, toolkit.redactor),
        )
    except ProviderError as error:
        return offline, _call_record("classify", prompt, error.input_tokens, error.output_tokens, round((time.monotonic() - started) * 1000), error.code)
    return merge_outcome(offline, answer), _call_record("classify", prompt, result.input_tokens, result.output_tokens, result.latency_ms, "ok")


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
    found = await run_blocking(toolkit.entity_extractor.extract, request_of(state).raw_message)
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
    vector = await _ticket_vector(request.raw_message)  # shared by both searches (and classify, record)
    hits = await run_blocking(
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
        if hit.doc_id in seen or not hit.relevant(settings.retrieval_min_score, settings.retrieval_min_score_with_words):
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
    hits = await run_blocking(
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
        if hit.doc_id == request.ticket_id or not hit.relevant(settings.retrieval_min_score, settings.retrieval_min_score_with_words) or any(t["id"] == hit.doc_id for t in similar):
            continue
        similar.append(
            SimilarTicket(id=hit.doc_id, title=hit.title, similarity=hit.similarity, **resolution_fields(hit)).model_dump()
        )
        if len(similar) == settings.similar_tickets_top_k:
            break
    return similar


async def draft(state: TriageState) -> dict[str, Any]:
    """Reply draft in the ticket's language, grounded in the cited articles' customer-facing steps
    (never their agent procedure).

    The offline draft is always written first: it is the result whenever no model is configured,
    AI is switched off, or the model fails (timeout, 429/5xx after retries, garbage, a draft citing
    none of the articles); the failure's code goes to ``ai_fallbacks``, never a failed ticket. With
    a model, personal data is replaced before the prompt leaves and put back into the answer, and a
    second call may add policy findings (``model_findings``). Any [DOC-ID] not in the citations is
    dropped and recorded in ``dropped_citations`` so the policy check still sees it.
    """
    toolkit = get_toolkit()
    # The graph neighbourhood of the ticket's entities is gathered here, with the articles, rather
    # than in a node of its own: after extract_entities it would add a fourth hop to the critical path.
    graph_update = await graph_activities.graph_context(state)
    state = {**state, **graph_update}  # type: ignore[typeddict-item]
    request = request_of(state)
    classification = state["classification"]
    language = classification.get("language", "en")
    citations = state.get("citations", [])
    team = toolkit.taxonomy.category(classification["category"]).team
    articles: list[SourceArticle] = []
    for citation in citations[: 1 if not toolkit.llm.enabled else 3]:
        sections = await run_blocking(toolkit.kb_store.document_sections, citation["doc_id"], request.tenant_id)
        articles.append(article_from_sections(citation["doc_id"], citation["title"], sections, language=language))
    graph = state.get("graph_context", {})
    identifiers = ticket_identifiers(state.get("entities", []))  # its own error codes and hosts
    graph_articles = await run_blocking(
        _graph_articles, graph, request.tenant_id, {c["doc_id"] for c in citations}, language, 1 if not toolkit.llm.enabled else 2,
        classification["category"], identifiers,
    )
    graph_entities = named_graph_entities(graph.get("related_entities", []), identifiers)
    result = toolkit.drafter.draft(
        customer_name=request.customer_name,
        sentiment=classification["sentiment"],
        subcategory=classification["subcategory"],
        team=team,
        sla_hours=state["priority"]["sla_hours"],
        article=articles[0] if articles else None,
        related=[(c["doc_id"], c["title"]) for c in citations[1:]],
        language=language,
        graph_articles=graph_articles,
        graph_entities=graph_entities,
    )
    body = result.body
    calls: list[LLMCallRecord] = []
    findings: list[tuple[str, str]] = []
    if _model_on():
        body, calls, findings = await run_blocking(
            _model_draft, state, request, result.body, result.tone, team, articles, graph_articles, graph_entities
        )
    graph_citations = [g.article.doc_id for g in graph_articles]
    allowed = {c["doc_id"] for c in citations} | set(graph_citations)
    dropped = unknown_citations(body, allowed)
    body = strip_citations(body, dropped)
    answer = AnswerDraft(greeting=result.greeting, body=body, closing=result.closing, tone=result.tone)  # type: ignore[arg-type]
    if calls and toolkit.usage_ledger is not None:
        await run_blocking(_record_usage, toolkit.usage_ledger, state, request, calls)
    run_calls = [LLMCallRecord(**call) for call in state.get("llm_calls", [])] + calls  # classify's call first
    return {
        **graph_update,
        "answer_draft": answer.model_dump(),
        "graph_citations": graph_citations,
        "dropped_citations": dropped,
        "token_usage": TokenUsage(
            input=sum(c.input_tokens for c in run_calls),
            output=sum(c.output_tokens for c in run_calls),
            total=sum(c.input_tokens + c.output_tokens for c in run_calls),
            cost=round(sum(c.cost for c in run_calls), 8),
        ).model_dump(),
        "ai_usage": _ai_usage(run_calls, ai_enabled=toolkit.settings.ai_enabled).model_dump(),
        "llm_calls": [call.as_dict() for call in run_calls],
        "ai_fallbacks": [
            *state.get("ai_fallbacks", []),
            *({"node": "draft", "operation": c.operation, "reason": c.outcome} for c in calls if c.outcome != "ok"),
        ],
        "model_findings": [[code, text] for code, text in findings],
    }


def _graph_articles(
    graph: dict[str, Any], tenant_id: str, retrieved: set[str], language: str, limit: int, category: str = "", identifiers: list[str] | None = None
) -> list[GraphArticle]:
    """The graph's related articles the draft may cite: not already retrieved, published in the
    tenant's knowledge base (the graph may know an article that was since withdrawn), in the ticket's
    category or naming one of its error codes or hosts (:func:`tools.drafting.graph_article_fits`), best first.
    Articles that resolved earlier tickets sharing the ticket's entities count those tickets. Blocking."""
    kb = get_toolkit().kb_store
    found: list[GraphArticle] = []
    for related in graph.get("related_articles", []):
        if len(found) == limit:
            break
        doc_id = related["doc_id"]
        if doc_id in retrieved:
            continue
        chunks = kb.document_chunks(doc_id, tenant_id)
        if not chunks or chunks[0].metadata.get("status") != "published":
            continue
        if not graph_article_fits(category, str(chunks[0].metadata.get("category", "")), "\n".join(c.text for c in chunks), identifiers or []):
            continue  # another topic (tools.drafting.graph_article_fits)
        sections = kb.document_sections(doc_id, tenant_id)
        article = article_from_sections(doc_id, chunks[0].title or related.get("title", ""), sections, language=language)
        if not article.steps:  # nothing a customer could do with it
            continue
        found.append(GraphArticle(article=article, resolved_tickets=int(related.get("via_tickets", 0))))
    return found


def _model_draft(
    state: TriageState,
    request: TriageRequest,
    offline_body: str,
    tone: str,
    team: str,
    articles: list[SourceArticle],
    graph_articles: list[GraphArticle],
    graph_entities: list[dict[str, Any]],
) -> tuple[str, list[LLMCallRecord], list[tuple[str, str]]]:
    """The model's body (or the offline one, with the reason), and its policy findings. Blocking: run in a thread."""
    toolkit = get_toolkit()
    settings = toolkit.settings
    classification = state["classification"]
    guarded = _guarded_ticket(request, state.get("entities", []))
    calls: list[LLMCallRecord] = []
    body, sent_body = offline_body, offline_body
    prompt = load_prompt("draft_reply")
    cap = settings.monthly_cost_cap(request.tenant_id)
    started = time.monotonic()
    try:
        ensure_within_cap(toolkit.usage_ledger, cap, request.tenant_id)
        body, sent_body, answer = llm_draft_body(
            toolkit.llm,
            prompt,
            DraftRequest(
                ticket=guarded.text,
                language=classification.get("language", "en"),
                category=classification["category"],
                subcategory=classification["subcategory"],
                sentiment=classification["sentiment"],
                team=team,
                sla_hours=state["priority"]["sla_hours"],
                tone=tone,
                articles=articles,
                graph_articles=[(g.article, g.resolved_tickets) for g in graph_articles],
                graph_entities=[entity_display(e) for e in graph_entities],
            ),
            guarded.mapping,
            on_token=_heartbeat_on_token,
        )
        calls.append(_call_record("draft", prompt, answer.input_tokens, answer.output_tokens, answer.latency_ms, "ok"))
    except ProviderError as error:
        calls.append(_call_record("draft", prompt, error.input_tokens, error.output_tokens, round((time.monotonic() - started) * 1000), error.code))
        sent_body = guard_text(offline_body, people=[request.customer_name], emails=[request.customer_email], mapping=guarded.mapping).text
    findings: list[tuple[str, str]] = []
    if settings.llm_policy_review:
        review_prompt = load_prompt("policy_review")
        started = time.monotonic()
        try:
            ensure_within_cap(toolkit.usage_ledger, cap, request.tenant_id)
            findings, review = llm_policy_findings(
                toolkit.llm, review_prompt, ticket=guarded.text, draft=sent_body,
                doc_ids=[a.doc_id for a in articles] + [g.article.doc_id for g in graph_articles],
            )
            calls.append(_call_record("policy_review", review_prompt, review.input_tokens, review.output_tokens, review.latency_ms, "ok"))
        except ProviderError as error:
            calls.append(_call_record("policy_review", review_prompt, error.input_tokens, error.output_tokens, round((time.monotonic() - started) * 1000), error.code))
    return body, calls, findings


def _heartbeat_on_token(_piece: str) -> None:
    """Streaming tokens prove the call is alive; the node's thread wrapper heartbeats meanwhile."""


def _call_record(operation: str, prompt: Prompt, input_tokens: int, output_tokens: int, latency_ms: int, outcome: str) -> LLMCallRecord:
    toolkit = get_toolkit()
    model = toolkit.llm.model
    return LLMCallRecord(
        operation=operation,
        provider=toolkit.llm.name,
        model=model,
        prompt_id=prompt.prompt_id,
        prompt_hash=prompt.content_hash,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost=call_cost(model, input_tokens, output_tokens, toolkit.settings.llm_prices),
        latency_ms=latency_ms,
        outcome=outcome,
    )


def _ai_usage(calls: list[LLMCallRecord], *, ai_enabled: bool) -> AIUsage:
    """Per operation usage and fallback reasons (the offline provider makes no calls: nothing to list)."""
    spent = [call for call in calls if call.outcome == "ok"]
    return AIUsage(
        model=spent[0].model if spent else "offline",
        ai_enabled=ai_enabled,
        by_node={
            call.operation: NodeTokenUsage(
                input=call.input_tokens,
                output=call.output_tokens,
                total=call.input_tokens + call.output_tokens,
                cost=call.cost,
                model=call.model,
                prompt_id=call.prompt_id,
                latency_ms=call.latency_ms,
                fallback=None if call.outcome == "ok" else call.outcome,
            )
            for call in calls
        },
    )


def _record_usage(ledger: Any, state: TriageState, request: TriageRequest, calls: list[LLMCallRecord]) -> None:
    workflow_id = state.get("run", {}).get("workflow_id") or f"inprocess-{request.tenant_id}-{request.ticket_id}"
    for call in calls:
        ledger.record(tenant_id=request.tenant_id, ticket_id=request.ticket_id, workflow_id=workflow_id, call=call)


async def policy_check(state: TriageState) -> dict[str, Any]:
    """Refund promises, SLA mentions, escalation need, unknown citations (the ones the draft node
    dropped, read from ``dropped_citations``, plus any still in the body) and manipulation of the
    assistant in the ticket (prompt injection, hidden instructions, written-refund and credential
    requests) -> overall compliance. Findings the model added in the draft node (``model_findings``)
    are appended: they can make the outcome stricter, never clear a deterministic finding. Runs in
    the workflow: pure computation on the state."""
    toolkit = get_toolkit()
    answer = state["answer_draft"]
    text = "\n".join((answer["greeting"], answer["body"], answer["closing"]))
    allowed = {c["doc_id"] for c in state.get("citations", [])} | set(state.get("graph_citations", []))
    unknown = list(dict.fromkeys([*state.get("dropped_citations", []), *unknown_citations(answer["body"], allowed)]))
    outcome = toolkit.policy_checker.check(
        text,
        priority_level=state["priority"]["level"],
        sentiment=state["classification"]["sentiment"],
        citations_count=len(state.get("citations", [])),
        security_flag="security" in state["priority"].get("adjustments", []),
        unknown_citations=unknown,
        ticket_text=request_of(state).raw_message,
        extra_findings=[(str(code), str(text)) for code, text in state.get("model_findings", [])],
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
    """The run's one write step: index the ticket (redacted) in the ``tickets`` collection so
    similar-ticket search finds it, and enter the run in the triage ledger (metrics).

    An auto-resolved ticket goes in as resolved, with the draft as its resolution. A ticket an agent
    already moved on (in progress, resolved) keeps its state: re-triaging must not reopen it or
    drop its resolution. Both writes are idempotent, so a retried attempt changes nothing, and
    the ledger row is keyed by the ticket's workflow, so a reset run replaces the earlier figures.
    """
    toolkit = get_toolkit()
    request = request_of(state)
    finished_at = datetime.now(timezone.utc)
    redacted, kept_status = await asyncio.gather(
        run_blocking(_redacted_message, state, request),  # one redaction for the tickets collection and seed 000's row
        run_blocking(_status_kept, request),
    )
    vector = await _ticket_vector(request.raw_message)
    status = kept_status or ("resolved" if state["routing"]["decision"] == "auto_resolve" else "open")
    update = {"ticket_status": status, "finished_at": finished_at.isoformat()}
    # Independent idempotent steps (Chroma over HTTP, two SQL rows, the graph-indexing start RPC) overlap
    # instead of queueing: this step is on every run's critical path.
    await asyncio.gather(
        run_blocking(_index_ticket, state, request, vector, redacted) if kept_status is None else _nothing(),
        run_blocking(toolkit.ledger.record, ledger_entry(state, finished_at)),
        run_blocking(register_ticket, state, redacted),  # seed 000's numbered ticket row
        _start_graph_indexing({**state, **update}),  # type: ignore[arg-type]
    )
    return update


async def _nothing() -> None:
    return None


def _status_kept(request: TriageRequest) -> str | None:
    """The stored ticket's state when an agent already moved it on (in progress, resolved): re-triaging
    must not reopen it or drop its resolution, so the run leaves that entry as it is."""
    tickets = get_toolkit().retrieval.collection("tickets")
    stored = tickets.document_chunks(request.ticket_id, request.tenant_id)
    if stored and stored[0].metadata.get("status") in ("in_progress", "resolved"):
        return str(stored[0].metadata["status"])
    return None


async def _start_graph_indexing(state: TriageState) -> None:
    """Start the ticket's EntityIndexingWorkflow (seed 000's background graph job) and return at once.

    Started from this activity with the worker's own client rather than as a child of the triage
    workflow: a child start costs the triage a workflow-task round trip (~100 ms measured), and the
    indexing must never delay the result. Its first task waits ``graph_index_start_delay_s`` (1 s):
    started at once, its workflow task and graph writes ran on this worker beside the rest of this
    very run (the record writes, the final workflow task) and slowed them ~2-3x (bench/pipeline.py --timeline). A retried attempt or a reset run finds the workflow
    running (ignored) or finished (indexed again: the graph writes are idempotent).
    """
    record = ticket_graph_record(dict(state))
    if record is None or not activity.in_activity():
        return
    workflow_id = indexing_workflow_id(state.get("run", {}).get("workflow_id") or triage_workflow_id_of(state))
    delay = get_toolkit().settings.graph_index_start_delay_s
    try:
        await activity.client().start_workflow(
            ENTITY_INDEXING_WORKFLOW,
            record,
            id=workflow_id,
            task_queue=activity.info().task_queue,
            static_summary=f"Graph {record.ticket_id}",
            start_delay=timedelta(seconds=delay) if delay > 0 else None,
        )
    except WorkflowAlreadyStartedError:
        pass


def triage_workflow_id_of(state: TriageState) -> str:
    request = state["request"]
    return f"inprocess-{request['tenant_id']}-{request['ticket_id']}"


def _found_entities(state: TriageState) -> list[ExtractedEntity]:
    return [
        ExtractedEntity(e["type"], e["value"], e["confidence"], e["position"], e["end"], e.get("valid"))
        for e in state.get("entities", [])
        if e.get("end") is not None
    ]


def _redacted_message(state: TriageState, request: TriageRequest) -> str:
    """The ticket text redacted with the entities extract_entities found (no second Presidio pass)."""
    return get_toolkit().redactor.redact_found(request.raw_message, _found_entities(state)).text


def _redacted_resolution(state: TriageState, request: TriageRequest, draft: str) -> str:
    """The draft as an auto-resolved ticket's stored resolution, with personal data replaced.

    The draft is made from the ticket, so the personal values it can hold are the ticket's entities
    and the customer's name and email (the greeting); the guard's pattern net catches the rest.
    No Presidio pass: that was ~20 % of the worker's CPU per auto-resolved ticket.
    """
    by_value = get_toolkit().redactor.redact_known(draft, _found_entities(state))
    return guard_text(
        by_value.text, people=[request.customer_name], emails=[request.customer_email], mapping=by_value.mapping
    ).text


def _index_ticket(state: TriageState, request: TriageRequest, vector: Any, redacted: str) -> None:
    toolkit = get_toolkit()
    classification = state["classification"]
    resolved = state["routing"]["decision"] == "auto_resolve"
    tickets = toolkit.retrieval.collection("tickets")
    record = TicketRecord(
        ticket_id=request.ticket_id,
        tenant_id=request.tenant_id,
        title=ticket_title(redacted),
        description=redacted,
        status="resolved" if resolved else "open",
        category=classification["category"],
        subcategory=classification.get("subcategory") or "",
        priority=state["priority"]["level"],
        resolution=_redacted_resolution(state, request, state["answer_draft"]["body"]) if resolved else "",
        resolved_by="triage-desk (auto_resolve)" if resolved else "",
    )
    # A symmetric model's ticket vector is also its stored vector; an asymmetric one (e5) embeds the passage side.
    stored_vector = None if getattr(toolkit.embedder, "asymmetric", False) else vector
    index_ticket(tickets, toolkit.redactor, record, vector=stored_vector, text_redacted=True, resolution_redacted=True)


def ledger_entry(state: TriageState, finished_at: datetime) -> TriageRun:
    """The ledger row of this run: labels and numbers only, never ticket text or entities."""
    request = request_of(state)
    run = state.get("run", {})
    started = datetime.fromisoformat(run["started_at"]) if run.get("started_at") else None
    usage = TokenUsage.model_validate(state.get("token_usage", {}))
    return TriageRun(
        workflow_id=run.get("workflow_id") or f"inprocess-{request.tenant_id}-{request.ticket_id}",
        tenant_id=request.tenant_id,
        ticket_id=request.ticket_id,
        finished_at=finished_at,
        decision=state["routing"]["decision"],
        confidence=state["routing"]["confidence"],
        intent=state["classification"]["intent"]["type"],
        priority=state["priority"]["level"],
        team=slug(state["routing"]["team"]),
        processing_ms=round((finished_at - started).total_seconds() * 1000) if started else None,
        tokens_input=usage.input,
        tokens_output=usage.output,
        cost=usage.cost,
    )


__all__ = ["classify", "draft", "extract_entities", "policy_check", "prioritize", "record_ticket", "retrieve", "route"]
