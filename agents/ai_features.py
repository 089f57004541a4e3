"""Worker side of seed 004's AI procedures: the ``ai.feature`` activity (AIFeatureWorkflow).

Every procedure first computes its offline answer (deterministic scorers in :mod:`tools.assist`,
the classifier, the priority matrix, retrieval, the offline drafter). When a model is configured
(``TRIAGE_LLM_PROVIDER=openai``) and AI is on, the procedure's prompt (``prompts/ai_*.yaml``) is
sent with personal data replaced, and a checked answer replaces the offline one; any provider
error keeps the offline answer and records its code, like the triage's draft node. Each call is
one row of the ``llm_usage`` ledger (the offline answer too: model ``offline``, 0 tokens), which
is the tenant's AI usage counter and what ``ai.getTokenUsage`` reads.

Writes: summarizeTicket and analyzeTicket keep ``ai_summary`` (and analyzeTicket valid ``tags``)
on the ticket; generateTicketEmbedding re-embeds and stores the ticket. Stored ticket text is
redacted, so nothing written here holds personal data in clear.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from temporalio import activity
from temporalio.exceptions import ApplicationError

from agents.registry import TriageToolkit, get_toolkit
from agents.blocking import run_blocking
from core.ai_features import OPERATIONS, AIFeatureRequest, AIFeatureResult
from core.errors import NotFoundError
from core.graphs import AI_FEATURE_ACTIVITY, TICKET_NOT_FOUND
from tools.assist import llm as model
from tools.assist.assignee import ResolvedNeighbour, load_roster, suggest_assignee
from tools.assist.embedding import count_tokens
from tools.assist.prediction import predict_priority
from tools.assist.replies import offline_reply_suggestions
from tools.assist.sentiment import analyze_sentiment
from tools.assist.summary import extractive_summary
from tools.assist.tags import suggest_tags, vocabulary_names
from tools.classification import detect_language, detect_sentiment
from tools.drafting import SourceArticle, article_from_sections
from tools.llm import LLMCallRecord, ProviderError, call_cost, guard_text
from tools.llm.guard import GuardedText
from tools.retrieval.tickets import StoredTicket, TicketRecord, annotations_of, index_ticket, load_ticket

ROSTER_FILE = ("assist", "agents.yaml")


@dataclass
class _Call:
    """One procedure call in the worker: its toolkit, its run, and the usage rows it collects."""

    toolkit: TriageToolkit
    request: AIFeatureRequest
    workflow_id: str
    calls: list[LLMCallRecord] = field(default_factory=list)

    @property
    def use_model(self) -> bool:
        return bool(self.toolkit.llm.enabled and self.toolkit.settings.ai_enabled)

    def guard(self, text: str, redacted: bool = False) -> GuardedText:
        """Text safe for a prompt: Presidio's redaction (unless stored redacted already) and the guard's net."""
        if not self.toolkit.settings.redact_before_llm:
            return GuardedText(text, {})
        if redacted:
            return guard_text(text)
        redaction = self.toolkit.redactor.redact(text)
        return guard_text(redaction.text, mapping=dict(redaction.mapping))

    def ask(self, operation: str, offline: Any, ask_model: Callable[[Any], tuple[Any, Any]]) -> Any:
        """The model's checked answer, or ``offline`` (recorded either way)."""
        started = time.monotonic()
        if not self.use_model:
            self.calls.append(LLMCallRecord(operation, "offline", "offline", "offline", "", latency_ms=round((time.monotonic() - started) * 1000)))
            return offline
        prompt = model.prompt_for(operation)
        try:
            answer, result = ask_model(prompt)
        except ProviderError as error:
            self.calls.append(self._record(operation, prompt, error.input_tokens, error.output_tokens, round((time.monotonic() - started) * 1000), error.code))
            return offline
        self.calls.append(self._record(operation, prompt, result.input_tokens, result.output_tokens, result.latency_ms, "ok"))
        return answer

    def _record(self, operation: str, prompt: Any, input_tokens: int, output_tokens: int, latency_ms: int, outcome: str) -> LLMCallRecord:
        llm = self.toolkit.llm
        return LLMCallRecord(
            operation, llm.name, llm.model, prompt.prompt_id, prompt.content_hash, input_tokens, output_tokens,
            call_cost(llm.model, input_tokens, output_tokens, self.toolkit.settings.llm_prices), latency_ms, outcome,
        )

    def record_usage(self) -> None:
        if self.toolkit.usage_ledger is None:
            return
        for call in self.calls:
            self.toolkit.usage_ledger.record(tenant_id=self.request.tenant_id, ticket_id=self.request.ticket_id, workflow_id=self.workflow_id, call=call)


# ------------------------------------------------------------------------------------------- stored tickets
def _load(call: _Call) -> StoredTicket:
    try:
        return load_ticket(call.toolkit.retrieval.collection("tickets"), call.request.ticket_id, call.request.tenant_id)
    except NotFoundError as exc:
        raise ApplicationError(str(exc), type=TICKET_NOT_FOUND, non_retryable=True) from exc


def _store(call: _Call, ticket: StoredTicket, annotations: dict[str, str], vector_refresh: bool = False) -> None:
    """Re-index the stored ticket with new annotations (its text, status and resolution unchanged)."""
    meta = ticket.metadata
    record = TicketRecord(
        ticket_id=ticket.ticket_id,
        tenant_id=call.request.tenant_id,
        title=ticket.title,
        description=ticket.description,
        status=str(meta.get("status") or "open"),  # type: ignore[arg-type]
        category=str(meta.get("category", "")),
        subcategory=str(meta.get("subcategory", "")),
        priority=str(meta.get("priority", "")),
        resolution=str(meta.get("resolution", "")),
        resolved_by=str(meta.get("resolved_by", "")),
        resolved_at=str(meta.get("resolved_at", "")),
        annotations={**annotations_of(meta), **annotations},
    )
    # Stored text is redacted already; the resolution was redacted when it was stored (redacting again keeps placeholders).
    index_ticket(call.toolkit.retrieval.collection("tickets"), call.toolkit.redactor, record, text_redacted=True)


def _parts(ticket: StoredTicket) -> tuple[str, str, list[str]]:
    """Subject, description and later texts (the resolution) of a stored ticket."""
    resolution = str(ticket.metadata.get("resolution") or "")
    return ticket.title, ticket.description, [resolution] if resolution else []


# ------------------------------------------------------------------------------------------- procedures
def _summary(call: _Call, subject: str, description: str, extra: list[str]) -> str:
    offline = extractive_summary(subject, description, extra)
    text = "\n\n".join(part for part in (subject, description, *[f"Resolution: {e}" for e in extra]) if part)
    guarded = call.guard(text, redacted=True)
    return call.ask("ticket_summary", offline, lambda prompt: model.model_summary(call.toolkit.llm, prompt, ticket=guarded.text, language=detect_language(text)))


def _sentiment(call: _Call, text: str, redacted: bool = False) -> dict[str, Any]:
    offline = analyze_sentiment(text).as_seed()
    if not call.use_model:
        return call.ask("sentiment_analysis", offline, lambda prompt: (offline, None))
    guarded = call.guard(text, redacted)
    return call.ask("sentiment_analysis", offline, lambda prompt: model.model_sentiment(call.toolkit.llm, prompt, text=guarded.text))


def _priority(call: _Call, subject: str, description: str, redacted: bool = False) -> dict[str, Any]:
    prediction = predict_priority(call.toolkit.priority_matrix, subject, description)
    offline = prediction.as_seed()
    if not call.use_model:
        return call.ask("priority_prediction", offline, lambda prompt: (offline, None))
    guarded = call.guard(f"{subject}\n\n{description}", redacted)
    hint = f"{prediction.priority} ({prediction.reasoning})"
    return call.ask("priority_prediction", offline, lambda prompt: model.model_priority(call.toolkit.llm, prompt, ticket=guarded.text, hint=hint))


def _offline_tags(call: _Call, text: str) -> tuple[list[str], Any]:
    outcome = call.toolkit.classifier.classify(text)
    software = [e.value for e in call.toolkit.entity_extractor.extract(text) if e.type.lower() == "software"]
    return suggest_tags(text, subcategory=outcome.subcategory, classifier_confidence=outcome.confidence, software=software), outcome


def _tags(call: _Call, subject: str, description: str, redacted: bool = False) -> list[str]:
    text = f"{subject}\n{description}".strip()
    offline, _ = _offline_tags(call, text)
    if not call.use_model:
        return call.ask("tag_suggestions", offline, lambda prompt: (offline, None))
    guarded = call.guard(text, redacted)
    return call.ask("tag_suggestions", offline, lambda prompt: model.model_tags(call.toolkit.llm, prompt, ticket=guarded.text, vocabulary=vocabulary_names()))


def _articles(call: _Call, text: str, language: str, limit: int = 3) -> list[SourceArticle]:
    toolkit = call.toolkit
    hits = toolkit.kb_store.search(text, limit * 4, {"status": "published", "tenant_id": call.request.tenant_id})
    articles: list[SourceArticle] = []
    for hit in hits:
        if not hit.relevant(toolkit.settings.retrieval_min_score, toolkit.settings.retrieval_min_score_with_words) or any(a.doc_id == hit.doc_id for a in articles):
            continue
        sections = toolkit.kb_store.document_sections(hit.doc_id, call.request.tenant_id)
        articles.append(article_from_sections(hit.doc_id, hit.title, sections, language=language))
        if len(articles) == limit:
            break
    return articles


def _replies(call: _Call, ticket: StoredTicket) -> list[dict[str, str]]:
    toolkit = call.toolkit
    text = ticket.text
    language = detect_language(text)
    outcome = toolkit.classifier.classify(text)
    category = toolkit.taxonomy.category(outcome.category)
    sentiment = detect_sentiment(text)
    sla_hours = toolkit.priority_matrix.assess(text, category_sla_hours=category.sla_hours, sentiment=sentiment).sla_hours
    articles = _articles(call, text, language)
    offline = offline_reply_suggestions(
        toolkit.drafter, sentiment=sentiment, subcategory=outcome.subcategory, team=category.team, sla_hours=sla_hours, articles=articles, language=language
    )
    if not call.use_model:
        return call.ask("reply_suggestions", offline, lambda prompt: (offline, None))
    from tools.llm.tasks import articles_block  # the draft prompt's article listing: same format

    variables = {
        "language_name": model.LANGUAGE_NAMES.get(language, "English"),
        "team": category.team,
        "sla_hours": sla_hours,
        "category": outcome.category,
        "subcategory": outcome.subcategory,
        "sentiment": sentiment,
        "ticket": call.guard(text, redacted=True).text,
        "articles": articles_block(articles),
    }
    allowed = {a.doc_id for a in articles}
    return call.ask("reply_suggestions", offline, lambda prompt: model.model_replies(toolkit.llm, prompt, variables=variables, allowed=allowed))


def _assignee(call: _Call) -> dict[str, Any] | None:
    toolkit = call.toolkit
    request = call.request
    text = f"{request.subject}\n{request.description}".strip()
    redacted = False
    if request.ticket_id:
        text = f"{text}\n\n{_load(call).text}"  # the stored ticket adds context (it is redacted; the new text is not)
    tags, outcome = _offline_tags(call, text)
    team = toolkit.taxonomy.category(outcome.category).team
    hits = toolkit.retrieval.collection("tickets").search(text, 30, {"status": "resolved", "tenant_id": request.tenant_id})
    neighbours: list[ResolvedNeighbour] = []
    for hit in hits:
        if hit.doc_id != request.ticket_id and hit.metadata.get("resolved_by") and all(n.ticket_id != hit.doc_id for n in neighbours):
            neighbours.append(ResolvedNeighbour(hit.doc_id, str(hit.metadata["resolved_by"]), hit.similarity))
        if len(neighbours) == 10:
            break
    roster = load_roster(toolkit.settings.content_dir.joinpath(*ROSTER_FILE))
    suggestion = suggest_assignee(roster, tags=tags, team=team, neighbours=neighbours)
    offline = suggestion.as_seed() if suggestion else None
    if not call.use_model:
        return call.ask("assignee_suggestion", offline, lambda prompt: (offline, None))
    eligible = {a.id: a.name for a in roster if a.role in ("agent", "admin")}
    candidates = "\n".join(
        f"- {a.id}: team {a.team}; expertise {', '.join(a.expertise) or '-'}; "
        f"resolved similar tickets: {sum(1 for n in neighbours if n.resolved_by == a.id)}"
        for a in roster
        if a.id in eligible
    )
    guarded = call.guard(text, redacted)
    return call.ask(
        "assignee_suggestion",
        offline,
        lambda prompt: model.model_assignee(toolkit.llm, prompt, ticket=guarded.text, category=outcome.category, candidates=candidates, eligible=eligible),
    )


def _analyze(call: _Call, ticket: StoredTicket) -> dict[str, Any]:
    """Summary, priority, tags and sentiment at once (four threads: with a model they are four calls in flight)."""
    subject, description, extra = _parts(ticket)
    with ThreadPoolExecutor(max_workers=4) as pool:
        summary = pool.submit(_summary, call, subject, description, extra)
        priority = pool.submit(_priority, call, subject, description, True)
        tags = pool.submit(_tags, call, subject, description, True)
        sentiment = pool.submit(_sentiment, call, ticket.text, True)
        result = {"summary": summary.result(), "priority": priority.result(), "tags": tags.result(), "sentiment": sentiment.result()}
    annotations = {"ai_summary": result["summary"]}
    if result["tags"]:
        annotations["tags"] = ",".join(result["tags"])
    _store(call, ticket, annotations)
    return result


def _embedding(call: _Call, ticket: StoredTicket) -> dict[str, Any]:
    """Embed the ticket again with the configured model and store it; tokens go to the ledger."""
    toolkit = call.toolkit
    started = time.monotonic()
    chunks = toolkit.retrieval.collection("tickets").document_chunks(ticket.ticket_id, call.request.tenant_id)
    tokens = sum(count_tokens(toolkit.embedder, chunk.text)[0] for chunk in chunks)
    model_id = toolkit.embedder.model_id
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    _store(call, ticket, {"embedded_at": now, "embedding_model": model_id})  # new metadata: the store embeds the chunks again
    provider = "openai" if toolkit.settings.embedding_provider == "openai" else "local"
    call.calls.append(
        LLMCallRecord(
            OPERATIONS["generateTicketEmbedding"], provider, model_id, "embedding", "", tokens, 0,
            call_cost(model_id, tokens, 0, toolkit.settings.llm_prices), round((time.monotonic() - started) * 1000), "ok",
        )
    )
    return {"success": True, "tokenCount": tokens, "embeddingDimensions": toolkit.embedder.dimension}


def run_procedure(request: AIFeatureRequest, workflow_id: str) -> dict[str, Any]:
    """The seed's ``result.data.json`` of one call. Blocking: run in a thread."""
    call = _Call(get_toolkit(), request, workflow_id)
    procedure = request.procedure
    if procedure == "summarizeTicket":
        ticket = _load(call)
        summary = _summary(call, *_parts(ticket))
        _store(call, ticket, {"ai_summary": summary})
        data: dict[str, Any] = {"summary": summary}
    elif procedure == "analyzeSentiment":
        data = _sentiment(call, request.text)
    elif procedure == "predictPriority":
        data = _priority(call, request.subject, request.description)
    elif procedure == "suggestTags":
        data = {"tags": _tags(call, request.subject, request.description)}
    elif procedure == "suggestAssignee":
        data = {"suggestion": _assignee(call)}
    elif procedure == "generateReplySuggestions":
        data = {"suggestions": _replies(call, _load(call))}
    elif procedure == "analyzeTicket":
        data = _analyze(call, _load(call))
    elif procedure == "generateTicketEmbedding":
        data = _embedding(call, _load(call))
    else:  # pragma: no cover - the request model admits only the procedures above
        raise ApplicationError(f"unknown procedure {procedure!r}", non_retryable=True)
    call.record_usage()
    return data


@activity.defn(name=AI_FEATURE_ACTIVITY)
async def run_ai_feature(request: AIFeatureRequest) -> AIFeatureResult:
    """One seed 004 procedure; an unknown ticket is the non-retryable ``ticket_not_found``."""
    workflow_id = activity.info().workflow_id if activity.in_activity() else f"inprocess-{request.tenant_id}-{request.procedure}"
    return AIFeatureResult(data=await run_blocking(run_procedure, request, workflow_id))
