"""Chat graph nodes: screen -> (refuse | retrieve -> answer) -> output_filter.

Module-level async functions (the Temporal LangGraph plugin names activities after them).
``screen``, ``refuse`` and ``output_filter`` are pure computations on the state and run inside the
workflow; ``retrieve`` and ``answer`` do store and model work and run as activities.

Events of a turn (retrieval, tokens) go to the conversation workflow's stream, topic
:data:`core.chat.CHAT_TOPIC`. Inside an activity they are published with
``WorkflowStreamClient.from_within_activity``; run in-process (tests, ``bench/chat.py``) they go to
LangGraph's custom stream (``get_stream_writer``). The plugin's own ``streaming_topic`` is not used:
it is plugin-wide, so every workflow on the worker (``TriageWorkflow`` too) would have to host a
stream and every triage activity would open a stream client.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, AsyncIterator, Callable

from langgraph.config import get_stream_writer
from temporalio import activity
from temporalio.contrib.workflow_streams import WorkflowStreamClient

from agents.chat.actions import create_ticket_action, suggested_actions, team_name
from agents.chat.model import AnswerRequest, compose_answer, is_follow_up
from agents.chat.services import get_chat_services
from agents.registry import get_toolkit
from core.chat import CHAT_TOPIC, ChatState, ConversationOwner, Refusal
from core.contracts import Citation, TokenUsage
from tools.chat_screening import refusal_text, screen_turn
from tools.classification import detect_language
from tools.drafting import article_from_sections, strip_citations, unknown_citations

STREAM_BATCH_INTERVAL = timedelta(milliseconds=30)
"""How often an activity flushes buffered tokens to the workflow (the first token is flushed at once)."""
HEARTBEAT_EVERY_TOKENS = 20

Publish = Callable[..., None]


@asynccontextmanager
async def event_publisher() -> AsyncIterator[Publish]:
    """``publish(event, force_flush=False)`` onto the turn's stream (see module docstring)."""
    if activity.in_activity():
        async with WorkflowStreamClient.from_within_activity(batch_interval=STREAM_BATCH_INTERVAL) as client:
            topic = client.topic(CHAT_TOPIC)
            yield lambda event, force_flush=False: topic.publish(event, force_flush=force_flush)
    else:
        try:
            writer = get_stream_writer()
        except RuntimeError:  # called outside a graph run
            writer = lambda _event: None  # noqa: E731
        yield lambda event, force_flush=False: writer(event)


async def _thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(functools.partial(function, *args, **kwargs))


def _owner(state: ChatState) -> ConversationOwner:
    return ConversationOwner.model_validate(state["owner"])


def contextual_query(message: str, history: list[dict[str, Any]]) -> str:
    """The search text: a follow-up ("it still fails") is searched together with the previous user turn."""
    if history and is_follow_up(message):
        previous = next((m["content"] for m in reversed(history) if m.get("role") == "user" and not m.get("refusal")), "")
        if previous:
            return f"{previous}\n{message}"
    return message


# ---------------------------------------------------------------- workflow nodes (pure)
async def screen(state: ChatState) -> dict[str, Any]:
    """Classify the turn: prompt injection, abuse, out of scope (refused), or answerable; and its language."""
    refusal = screen_turn(state["message"])
    return {"screen": {"refusal": refusal.model_dump() if refusal else None, "language": detect_language(state["message"])}}


async def after_screen(state: ChatState) -> str:
    return "refuse" if state["screen"]["refusal"] else "retrieve"


async def refuse(state: ChatState) -> dict[str, Any]:
    """The typed refusal: a fixed answer in the turn's language, no model call, no tokens."""
    refusal = Refusal.model_validate(state["screen"]["refusal"])
    language = state["screen"].get("language", "en")
    actions = [] if refusal.kind == "abusive" else [create_ticket_action(language)]
    return {
        "answer": refusal_text(refusal.kind, language),
        "refusal": refusal.model_dump(),
        "citations": [],
        "suggested_actions": actions,
        "token_usage": TokenUsage().model_dump(),
    }


async def output_filter(state: ChatState) -> dict[str, Any]:
    """Layer-D filter on the whole answer: citations neither retrieved nor cited earlier are removed; an answer that
    promises a refund or shows a national id / account number is replaced by a safe one."""
    toolkit = get_toolkit()
    answer = state.get("answer", "")
    # Articles cited earlier in the conversation may be named again ("the steps from [KB-1006]").
    earlier = {c["doc_id"] for m in state.get("history", []) for c in m.get("citations") or []}
    allowed = {c["doc_id"] for c in state.get("citations", [])} | earlier
    issues: list[str] = []
    unknown = unknown_citations(answer, allowed)
    if unknown:
        answer = strip_citations(answer, unknown)
        issues.append("unknown_citation: " + ", ".join(unknown))
    outcome = toolkit.policy_checker.check(
        answer, priority_level="P4", sentiment="neutral", citations_count=len(allowed), security_flag=False
    )
    if outcome.refund_promise or "pii_in_draft" in outcome.codes:
        issues.extend(i for i in outcome.issues if i.startswith(("refund_promise", "pii_in_draft")))
        language = state.get("screen", {}).get("language", "en")
        answer = (
            "Tę sprawę musi rozpatrzyć nasz zespół: utwórz proszę zgłoszenie."
            if language == "pl"
            else "This needs a person from our team to decide: please create a ticket and they will follow up."
        )
    return {"answer": answer, "filter_issues": issues}


# ---------------------------------------------------------------- activity nodes
async def retrieve(state: ChatState) -> dict[str, Any]:
    """Knowledge-base articles for the turn (a follow-up is searched with the previous user turn),
    the conversation's category and team, and related earlier turns from the conversation memory."""
    toolkit = get_toolkit()
    services = get_chat_services()
    settings = toolkit.settings
    owner = _owner(state)
    history = state.get("history", [])
    query = contextual_query(state["message"], history)
    vector = (await _thread(toolkit.embedder.embed, [query]))[0]
    hits = await _thread(
        toolkit.kb_store.search, query, settings.retrieval_top_k * 4, {"status": "published", "tenant_id": owner.tenant_id}, vector=vector
    )
    citations: list[dict[str, Any]] = []
    for hit in hits:
        if not hit.relevant(settings.retrieval_min_score, settings.retrieval_min_score_with_words) or any(c["doc_id"] == hit.doc_id for c in citations):
            continue
        citations.append(Citation(doc_id=hit.doc_id, chunk_id=hit.chunk_id, title=hit.title, score=hit.similarity, url=hit.url).model_dump())
        if len(citations) == settings.retrieval_top_k:
            break
    takes_vector = "vector" in inspect.signature(toolkit.classifier.classify).parameters
    outcome = await (_thread(toolkit.classifier.classify, query, vector=vector) if takes_vector else _thread(toolkit.classifier.classify, query))
    category = toolkit.taxonomy.category(outcome.category)
    earlier = await _thread(services.memory.recall, owner, vector, 2, state["turn_id"])
    async with event_publisher() as publish:
        publish({"type": "retrieval", "turn_id": state["turn_id"], "citations": citations}, force_flush=True)
    return {
        "citations": citations,
        "classification": {
            "category": outcome.category,
            "subcategory": outcome.subcategory,
            "confidence": round(float(outcome.confidence), 4),
            "team": category.team,
        },
        "earlier": earlier,
    }


async def answer(state: ChatState) -> dict[str, Any]:
    """The grounded answer, streamed token by token (``{"type": "token", "seq", "text"}``).

    ``seq`` numbers the tokens of this answer from 0: a retried attempt streams from 0 again and
    readers drop what they have seen. The final text goes through ``output_filter`` and the
    workflow's final ``message`` event is authoritative.
    """
    toolkit = get_toolkit()
    services = get_chat_services()
    owner = _owner(state)
    language = state["screen"].get("language", "en")
    citations = state.get("citations", [])
    articles = []
    for citation in citations:
        sections = await _thread(toolkit.kb_store.document_sections, citation["doc_id"], owner.tenant_id)
        articles.append(article_from_sections(citation["doc_id"], citation["title"], sections, language=language))
    grounded = compose_answer(
        message=state["message"],
        language=language,
        articles=articles,
        related=[(c["doc_id"], c["title"]) for c in citations],
        history=state.get("history", []),
        team=team_name(state["classification"]["team"], language),
    )
    request = AnswerRequest(
        message=state["message"], language=language, grounded_answer=grounded, history=state.get("history", []), citations=citations
    )
    pieces: list[str] = []
    async with event_publisher() as publish:
        async for token in services.model.stream(request):
            publish({"type": "token", "turn_id": state["turn_id"], "seq": len(pieces), "text": token}, force_flush=not pieces)
            pieces.append(token)
            if activity.in_activity() and len(pieces) % HEARTBEAT_EVERY_TOKENS == 0:
                activity.heartbeat(len(pieces))
    text = "".join(pieces)
    return {
        "answer": text,
        "token_usage": services.model.usage(request, text).model_dump(),
        "suggested_actions": suggested_actions(citations, state["classification"], language),
        "refusal": None,
    }


__all__ = ["after_screen", "answer", "output_filter", "refuse", "retrieve", "screen"]
