"""Reply drafting grounded in retrieved articles, and the [DOC-ID] citation check.

The ``offline`` provider needs no model: it writes the reply from the best article's steps, so
every sentence of advice is traceable to a cited document. The draft may cite only documents in
the retrieval result; :func:`unknown_citations` finds any other ``[DOC-ID]`` so the graph can
drop or flag it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CITATION = re.compile(r"\[([A-Z]{2,5}-\d{2,6})\]")
_STEP = re.compile(r"^\s*(?:\d+[.)]|[-*])\s+(.*\S)\s*$", re.MULTILINE)

_OPENERS = {
    "angry": "I'm sorry for the trouble this has caused, and I understand your frustration.",
    "frustrated": "I'm sorry you have run into this, and I understand how frustrating it is.",
    "positive": "Thank you for getting in touch.",
    "neutral": "Thank you for contacting us about this.",
}


@dataclass(frozen=True)
class Draft:
    greeting: str
    body: str
    closing: str
    tone: str


@dataclass(frozen=True)
class SourceArticle:
    doc_id: str
    title: str
    steps: list[str]
    escalation: str


def cited_ids(text: str) -> list[str]:
    """Document ids cited as ``[DOC-ID]``, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _CITATION.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def unknown_citations(text: str, allowed: set[str]) -> list[str]:
    return [doc_id for doc_id in cited_ids(text) if doc_id not in allowed]


def strip_citations(text: str, doc_ids: list[str]) -> str:
    """Remove ``[DOC-ID]`` markers for the given ids (used to drop citations we cannot back)."""
    for doc_id in doc_ids:
        text = text.replace(f" [{doc_id}]", "").replace(f"[{doc_id}]", "")
    return text


def article_from_sections(doc_id: str, title: str, sections: dict[str, str], max_steps: int = 5) -> SourceArticle:
    """Pull the numbered steps and the escalation note out of an article's sections."""
    steps_text = next((text for heading, text in sections.items() if heading.lower().startswith(("steps", "kroki", "procedure", "resolution"))), "")
    steps = [m.group(1) for m in _STEP.finditer(steps_text)][:max_steps]
    escalation = next((text.strip() for heading, text in sections.items() if "escalat" in heading.lower()), "")
    return SourceArticle(doc_id=doc_id, title=title, steps=steps, escalation=escalation)


class OfflineDrafter:
    """Deterministic, retrieval-grounded drafting with zero tokens."""

    def draft(
        self,
        *,
        customer_name: str,
        sentiment: str,
        subcategory: str,
        team: str,
        sla_hours: int,
        article: SourceArticle | None,
        related: list[tuple[str, str]] | None = None,
    ) -> Draft:
        name = customer_name.strip() or "there"
        greeting = f"Dear {name}," if name != "there" else "Hello,"
        opener = _OPENERS.get(sentiment, _OPENERS["neutral"])
        parts = [opener]
        if article and article.steps:
            parts.append(f'Based on our article "{article.title}" [{article.doc_id}], here is what resolves most {subcategory.lower()} cases:')
            parts.append("\n".join(f"{i}. {step}" for i, step in enumerate(article.steps, start=1)))
            for doc_id, title in (related or [])[:2]:
                parts.append(f'You may also find "{title}" [{doc_id}] useful.')
            parts.append(
                f"If this does not solve it, reply to this message and our {team} will follow up within {sla_hours} hours."
            )
        else:
            parts.append(
                "Our knowledge base does not cover this exact situation, so I have passed your ticket to our "
                f"{team}, who will get back to you within {sla_hours} hours."
            )
        tone = "empathetic_professional" if sentiment in ("angry", "frustrated", "neutral") else "casual"
        closing = "Thank you for your patience.\n\nBest regards,\nCustomer Support Team"
        return Draft(greeting=greeting, body="\n\n".join(parts), closing=closing, tone=tone)
