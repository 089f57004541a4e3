"""The model's part of the draft and policy_check nodes, behind the offline results.

Each function either returns a usable answer or raises a :class:`ProviderError`; the node then
keeps its offline result and records the error code as the fallback reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from tools.drafting import SourceArticle, cited_ids, strip_citations, unknown_citations
from tools.llm.errors import ProviderOutputError
from tools.llm.prompts import Prompt
from tools.llm.providers import ChatProvider, LLMResult, charged
from tools.llm.schemas import PolicyReview
from tools.pii.redaction import rehydrate

LANGUAGE_NAMES = {"en": "English", "pl": "Polish"}
# Identifiers a reply never needs to repeat: re-hydrated, they would put the customer's PESEL or account
# number into the draft (SmolLM2-135M echoes the whole ticket when no article is given). Names, e-mail,
# phone numbers, IP addresses and order ids may appear in a reply.
_IDENTIFIER_PLACEHOLDER = re.compile(r"<(PESEL|IBAN|CREDIT_CARD|NIP|REGON|PL_ID_CARD)_\d+>")
_GREETING_START = ("dear ", "hello", "hi ", "dzień dobry", "szanown", "witam")


@dataclass(frozen=True)
class DraftRequest:
    """Everything the draft prompt needs; ``ticket`` is already guarded (no personal data)."""

    ticket: str
    language: str
    category: str
    subcategory: str
    sentiment: str
    team: str
    sla_hours: int
    tone: str
    articles: list[SourceArticle]
    graph_articles: list[tuple[SourceArticle, int]] = field(default_factory=list)
    """Published articles the entity graph links to the ticket, with the earlier resolved tickets they solved."""
    graph_entities: list[str] = field(default_factory=list)
    """Related entities of earlier tickets a customer may read (error codes, software, versions, hosts; never personal)."""


def articles_block(articles: list[SourceArticle], graph_articles: list[tuple[SourceArticle, int]] | None = None) -> str:
    """Retrieved articles, then the entity graph's (``resolved`` -1 marks a retrieved one)."""
    blocks = []
    for article, resolved in [(a, -1) for a in articles] + list(graph_articles or []):
        steps = "\n".join(f"  - {step}" for step in article.steps) or "  (no customer-facing steps)"
        origin = ""
        if resolved > 0:
            origin = f" (entity graph: resolved {resolved} earlier ticket(s) with the same error codes or systems)"
        elif resolved == 0:
            origin = " (entity graph: mentions this ticket's error codes or systems)"
        blocks.append(f"[{article.doc_id}] {article.title}{origin}\n{steps}")
    return "\n".join(blocks) or "(none: say that the team will follow up)"


def _graph_block(request: DraftRequest) -> str:
    if not request.graph_entities:
        return "(nothing)"
    return ", ".join(request.graph_entities)


def llm_draft_body(
    provider: ChatProvider,
    prompt: Prompt,
    request: DraftRequest,
    mapping: dict[str, str],
    on_token: Callable[[str], None] | None = None,
) -> tuple[str, str, LLMResult]:
    """(re-hydrated body, guarded body as the model wrote it, call result), streamed.

    The body must cite at least one of the articles when there are any (an answer that cites none
    is not grounded); unknown ids are stripped, the greeting line a model adds anyway is dropped.
    """
    allowed = {article.doc_id for article in request.articles} | {article.doc_id for article, _ in request.graph_articles}
    first = request.articles[0] if request.articles else (request.graph_articles[0][0] if request.graph_articles else None)
    result = provider.complete(
        prompt,
        {
            "language_name": LANGUAGE_NAMES.get(request.language, "English"),
            "first_doc_id": first.doc_id if first else "KB-1234",
            "team": request.team,
            "sla_hours": request.sla_hours,
            "tone": request.tone,
            "category": request.category,
            "subcategory": request.subcategory,
            "sentiment": request.sentiment,
            "ticket": request.ticket,
            "articles": articles_block(request.articles, request.graph_articles),
            "graph_entities": _graph_block(request),
        },
        stream=True,
        on_token=on_token,
    )
    lines = result.text.strip().splitlines()
    while lines and (not lines[0].strip() or lines[0].strip().lower().startswith(_GREETING_START)):
        lines.pop(0)
    guarded = "\n".join(lines).strip()
    with charged(result):
        if not guarded:
            raise ProviderOutputError("the model returned no body")
        if allowed and not set(cited_ids(guarded)) & allowed:
            raise ProviderOutputError("the draft cites none of the retrieved articles")
        echoed = sorted(set(_IDENTIFIER_PLACEHOLDER.findall(guarded)))
        if echoed:
            raise ProviderOutputError(f"the draft repeats the customer's identifiers ({', '.join(echoed)})")
    guarded = strip_citations(guarded, unknown_citations(guarded, allowed))
    return rehydrate(guarded, mapping), guarded, result


def llm_policy_findings(provider: ChatProvider, prompt: Prompt, *, ticket: str, draft: str, doc_ids: list[str]) -> tuple[list[tuple[str, str]], LLMResult]:
    """The model's findings about a (guarded) draft: ``(code, description)`` pairs, maybe none."""
    result = provider.complete(prompt, {"ticket": ticket, "draft": draft, "doc_ids": ", ".join(doc_ids) or "(none)"})
    review = result.parsed
    if not isinstance(review, PolicyReview):
        raise ProviderOutputError("the review is not a PolicyReview").spent(result.input_tokens, result.output_tokens)
    return [(finding.code, f"model: {finding.description}") for finding in review.findings], result
