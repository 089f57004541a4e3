"""Reply drafting grounded in retrieved articles, and the [DOC-ID] citation check.

The ``offline`` provider needs no model: it writes the reply from the best article's
customer-facing steps, so every sentence of advice is traceable to a cited document. Articles
separate what the customer may read (``## Customer steps``, in Polish ``## Kroki dla klienta``)
from what only an agent may do (``## Agent procedure``): the draft is sent to the customer, so it
never quotes the agent procedure (billing consoles, reason codes, admin tools).

Templates exist per language (``en``, ``pl``): a Polish ticket gets a Polish greeting, body, SLA
promise and closing, with the article's Polish customer steps where the article has them.

The draft may cite only documents in the retrieval result; :func:`unknown_citations` finds any
other ``[DOC-ID]`` so the graph can drop it and the policy check can flag it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CITATION = re.compile(r"\[([A-Z]{2,5}-\d{2,6})\]")
_STEP = re.compile(r"^\s*(?:\d+[.)]|[-*])\s+(.*\S)\s*$", re.MULTILINE)

LANGUAGES = ("en", "pl")
CUSTOMER_SECTIONS: dict[str, tuple[str, ...]] = {
    "en": ("customer steps", "customer-facing steps", "what you can do"),
    "pl": ("kroki dla klienta", "co możesz zrobić"),
}
"""Section headings (lower case, prefix match) whose steps may be shown to a customer, per language."""
AGENT_SECTIONS = ("agent procedure", "procedura agenta", "steps", "procedure", "resolution", "kroki")
"""Headings of agent-facing steps (``Steps`` is the old, unsplit form): never quoted to a customer."""


@dataclass(frozen=True)
class Draft:
    greeting: str
    body: str
    closing: str
    tone: str
    language: str = "en"


@dataclass(frozen=True)
class SourceArticle:
    """The customer-facing part of one article, in the language the steps are written in."""

    doc_id: str
    title: str
    steps: list[str]
    escalation: str
    language: str = "en"
    agent_steps: list[str] = field(default_factory=list)
    """For agents (and for the policy check's grounding); never put in a customer draft."""


@dataclass(frozen=True)
class DraftTemplate:
    """Fixed wording of an offline draft in one language."""

    greeting_named: str
    greeting_anonymous: str
    openers: dict[str, str]
    intro: str
    related: str
    follow_up: str
    no_article: str
    closing: str


TEMPLATES: dict[str, DraftTemplate] = {
    "en": DraftTemplate(
        greeting_named="Dear {name},",
        greeting_anonymous="Hello,",
        openers={
            "angry": "I'm sorry for the trouble this has caused, and I understand your frustration.",
            "frustrated": "I'm sorry you have run into this, and I understand how frustrating it is.",
            "positive": "Thank you for getting in touch.",
            "neutral": "Thank you for contacting us about this.",
        },
        intro='Based on our article "{title}" [{doc_id}], here is what resolves most {subcategory} cases:',
        related='You may also find "{title}" [{doc_id}] useful.',
        follow_up="If this does not solve it, reply to this message and our {team} will follow up within {sla}.",
        no_article=(
            "Our knowledge base does not cover this exact situation, so I have passed your ticket to our "
            "{team}, who will get back to you within {sla}."
        ),
        closing="Thank you for your patience.\n\nBest regards,\nCustomer Support Team",
    ),
    "pl": DraftTemplate(
        greeting_named="Dzień dobry, {name},",
        greeting_anonymous="Dzień dobry,",
        openers={
            "angry": "Bardzo przepraszamy za kłopot i rozumiemy Twoje zdenerwowanie.",
            "frustrated": "Przykro nam, że pojawił się ten problem, i rozumiemy, jak bardzo jest to uciążliwe.",
            "positive": "Dziękujemy za kontakt.",
            "neutral": "Dziękujemy za zgłoszenie tej sprawy.",
        },
        intro="Na podstawie naszego artykułu [{doc_id}] oto kroki, które zwykle rozwiązują ten problem:",
        related="Pomocny może być również artykuł [{doc_id}].",
        follow_up="Jeśli to nie rozwiąże problemu, odpowiedz na tę wiadomość, a nasz zespół ({team}) odezwie się w ciągu {sla}.",
        no_article=(
            "Nasza baza wiedzy nie opisuje dokładnie tej sytuacji, dlatego Twoje zgłoszenie trafiło do zespołu "
            "{team}, który odpowie w ciągu {sla}."
        ),
        closing="Dziękujemy za cierpliwość.\n\nZ pozdrowieniami,\nZespół Obsługi Klienta",
    ),
}


def template_language(language: str) -> str:
    """The template language for a detected ticket language (English for any we have no template for)."""
    return language if language in TEMPLATES else "en"


def sla_phrase(hours: int, language: str) -> str:
    """``8 hours`` / ``8 godzin`` (Polish: genitive after "w ciągu": 1 godziny, otherwise godzin)."""
    if language == "pl":
        return f"{hours} {'godziny' if hours == 1 else 'godzin'}"
    return f"{hours} {'hour' if hours == 1 else 'hours'}"


def cited_ids(text: str) -> list[str]:
    """Document ids cited as ``[DOC-ID]``, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _CITATION.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def unknown_citations(text: str, allowed: set[str]) -> list[str]:
    """Ids cited in ``text`` that are not in ``allowed`` (the retrieval result)."""
    return [doc_id for doc_id in cited_ids(text) if doc_id not in allowed]


def strip_citations(text: str, doc_ids: list[str]) -> str:
    """Remove ``[DOC-ID]`` markers for the given ids (used to drop citations we cannot back)."""
    for doc_id in doc_ids:
        text = text.replace(f" [{doc_id}]", "").replace(f"[{doc_id}]", "")
    return text


def _steps(text: str, max_steps: int) -> list[str]:
    return [m.group(1) for m in _STEP.finditer(text)][:max_steps]


_ALL_CUSTOMER = tuple(prefix for prefixes in CUSTOMER_SECTIONS.values() for prefix in prefixes)


def _section(sections: dict[str, str], prefixes: tuple[str, ...], exclude: tuple[str, ...] = ()) -> str:
    return next(
        (text for heading, text in sections.items() if heading.lower().startswith(prefixes) and not heading.lower().startswith(exclude or ("\0",))),
        "",
    )


def article_from_sections(
    doc_id: str, title: str, sections: dict[str, str], max_steps: int = 5, language: str = "en"
) -> SourceArticle:
    """The customer-facing steps (in ``language`` where the article has them, else English) and the
    escalation note of an article. Agent procedure is kept apart in ``agent_steps``; an article with
    no customer section gives no customer steps at all rather than its agent procedure."""
    language = template_language(language)
    steps_language = language
    customer = _section(sections, CUSTOMER_SECTIONS[language])
    if not customer and language != "en":
        customer, steps_language = _section(sections, CUSTOMER_SECTIONS["en"]), "en"
    agent = _section(sections, AGENT_SECTIONS, exclude=_ALL_CUSTOMER)
    escalation = next((text.strip() for heading, text in sections.items() if "escalat" in heading.lower()), "")
    return SourceArticle(
        doc_id=doc_id,
        title=title,
        steps=_steps(customer, max_steps),
        escalation=escalation,
        language=steps_language,
        agent_steps=_steps(agent, 20),
    )


class OfflineDrafter:
    """Deterministic, retrieval-grounded drafting with zero tokens."""

    model = "offline"

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
        language: str = "en",
    ) -> Draft:
        """A reply in ``language`` (``en`` or ``pl``; others get English) from the article's customer steps."""
        language = template_language(language)
        template = TEMPLATES[language]
        name = customer_name.strip()
        greeting = template.greeting_named.format(name=name) if name else template.greeting_anonymous
        parts = [template.openers.get(sentiment, template.openers["neutral"])]
        sla = sla_phrase(sla_hours, language)
        if article and article.steps:
            parts.append(template.intro.format(title=article.title, doc_id=article.doc_id, subcategory=subcategory.lower()))
            parts.append("\n".join(f"{i}. {step}" for i, step in enumerate(article.steps, start=1)))
            for doc_id, title in (related or [])[:2]:
                parts.append(template.related.format(title=title, doc_id=doc_id))
            parts.append(template.follow_up.format(team=team, sla=sla))
        else:
            parts.append(template.no_article.format(team=team, sla=sla))
        tone = "empathetic_professional" if sentiment in ("angry", "frustrated", "neutral") else "casual"
        return Draft(greeting=greeting, body="\n\n".join(parts), closing=template.closing, tone=tone, language=language)
