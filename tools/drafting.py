"""Reply drafting grounded in retrieved articles, and the [DOC-ID] citation check.

The ``offline`` provider needs no model: it writes the reply from the best article's
customer-facing steps, so every sentence of advice is traceable to a cited document. Articles
separate what the customer may read (``## Customer steps``, in Polish ``## Kroki dla klienta``)
from what only an agent may do (``## Agent procedure``): the draft is sent to the customer, so it
never quotes the agent procedure (billing consoles, reason codes, admin tools).

Templates exist per language (``en``, ``pl``): a Polish ticket gets a Polish greeting, body, SLA
promise and closing, with the article's Polish customer steps where the article has them.

The entity graph adds what earlier tickets know (seed 000: answers enriched with related graph
entities): an article that resolved earlier tickets sharing this ticket's error codes or systems
becomes citable (:class:`GraphArticle`; it is the main article when retrieval found none), and
related entities of customer-safe types (:data:`CUSTOMER_VISIBLE_TYPES`) are named in one line.
Personal identifiers never reach a draft from the graph: they are stored as keyed hashes, and
hashed or personal entities are filtered out before any text is written.

The draft may cite only documents in the retrieval result and the graph's checked articles;
:func:`unknown_citations` finds any other ``[DOC-ID]`` so the graph can drop it and the policy
check can flag it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

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
    graph_intro: str
    graph_resolved: str
    graph_related: str
    graph_entities: str
    entity_types: dict[str, str]


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
        graph_intro='Earlier tickets with the same error codes or systems were solved with our article "{title}" [{doc_id}]; here are its steps:',
        graph_resolved='Earlier tickets about the same problem ({count}) were resolved with "{title}" [{doc_id}].',
        graph_related='Earlier tickets with the same error codes or systems point to our article "{title}" [{doc_id}].',
        graph_entities="Earlier reports of this problem also mentioned {entities}; if any of these apply to you, please tell us in your reply.",
        entity_types={"error_code": "error code", "software": "software", "version": "version", "hostname": "host"},
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
        graph_intro="Nasz artykuł [{doc_id}] pomógł rozwiązać wcześniejsze zgłoszenia z tymi samymi kodami błędów lub systemami; oto jego kroki:",
        graph_resolved="Podobne wcześniejsze zgłoszenia ({count}) rozwiązano dzięki artykułowi [{doc_id}].",
        graph_related="Wcześniejsze zgłoszenia z tymi samymi kodami błędów lub systemami wskazują na nasz artykuł [{doc_id}].",
        graph_entities=(
            "We wcześniejszych zgłoszeniach tego problemu pojawiały się też: {entities}. "
            "Jeśli któreś z nich dotyczy również Ciebie, napisz o tym w odpowiedzi."
        ),
        entity_types={"error_code": "kod błędu", "software": "oprogramowanie", "version": "wersja", "hostname": "host"},
    ),
}


CUSTOMER_VISIBLE_TYPES = ("error_code", "software", "version", "hostname")
"""Entity types the graph may name in customer-facing text. Related entities come from *other*
tickets: personal identifiers are hashed in the graph and never shown, and the other non-personal
types stay out too (order and ticket ids, URLs, file paths, organisations, places, amounts and
dates of other customers' tickets say something about those customers, and help nobody here)."""


@dataclass(frozen=True)
class GraphArticle:
    """A published article the entity graph links to the ticket: it mentions the ticket's entities
    or resolved earlier tickets that share them (``resolved_tickets``)."""

    article: SourceArticle
    resolved_tickets: int = 0


GRAPH_IDENTIFIER_TYPES = ("error_code", "hostname")
"""Entity types specific enough that an article naming one of the ticket's values is about its
problem whatever the categories say (the same ERR-4711 in a payroll ticket and a licence article)."""


def ticket_identifiers(entities: Iterable[dict[str, Any]]) -> list[str]:
    """The ticket's own :data:`GRAPH_IDENTIFIER_TYPES` values (extracted ``Entity`` dicts), case-folded."""
    return sorted({str(e["value"]).strip().casefold() for e in entities if e.get("type") in GRAPH_IDENTIFIER_TYPES and str(e.get("value", "")).strip()})


def graph_article_fits(ticket_category: str, article_category: str, article_text: str, identifiers: Iterable[str]) -> bool:
    """Whether the draft may cite an article the entity graph found: it is in the ticket's category,
    or it names one of the ticket's error codes or hosts. A shared product name is not enough: a
    billing ticket that mentions the VPN it pays for must not be answered with the VPN troubleshooting
    article an earlier ticket was resolved with (retrieval, which scores the text, cites such an
    article on its own when it fits)."""
    if ticket_category and article_category and ticket_category.strip().casefold() == article_category.strip().casefold():
        return True
    text = article_text.casefold()
    return any(re.search(rf"(?<![\w.-]){re.escape(value)}(?![\w-]|\.\w)", text) for value in identifiers if value)


def named_graph_entities(related: Iterable[dict[str, Any]], identifiers: Iterable[str], limit: int = 3) -> list[dict[str, Any]]:
    """The related entities a draft (and seed 000's list in ``ai_response``) may name: the
    :func:`visible_entities`, and only for a ticket with an error code or host of its own. "Earlier
    reports of this problem also mentioned ..." needs an identified problem: linked by a product
    name alone (a billing ticket about a VPN licence, a VPN ticket with error 809), the earlier
    ticket's codes and hosts are noise. The API's ``related_entities`` still lists what the graph relates."""
    return visible_entities(related, limit) if any(identifiers) else []


def visible_entities(related: Iterable[dict[str, Any]], limit: int = 3) -> list[dict[str, Any]]:
    """Related graph entities that customer-facing text may name: never hashed (a personal type is
    always hashed in the graph), only :data:`CUSTOMER_VISIBLE_TYPES`; in the graph's rank order."""
    shown = [
        e for e in related
        if not e.get("hashed") and e.get("type") in CUSTOMER_VISIBLE_TYPES and e.get("label") and not str(e["label"]).startswith("h:")
    ]
    return shown[:limit]


def entity_display(entity: dict[str, Any]) -> str:
    """How an entity reads in text: error codes in capitals (the graph keeps values case-folded)."""
    label = str(entity["label"])
    return label.upper() if entity.get("type") == "error_code" else label


def related_entities_line(related: Iterable[dict[str, Any]], language: str, limit: int = 5) -> str:
    """Seed 000's list of related graph entities in the ticket's language, e.g.
    ``Related graph entities: ORA-12505 (error code), oracle (software)``; empty when none may be shown."""
    template = TEMPLATES[template_language(language)]
    shown = visible_entities(related, limit)
    if not shown:
        return ""
    prefix = "Powiązane elementy z grafu zgłoszeń" if template_language(language) == "pl" else "Related graph entities"
    return prefix + ": " + ", ".join(f"{entity_display(e)} ({template.entity_types.get(e['type'], e['type'])})" for e in shown)


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
        graph_articles: list[GraphArticle] | None = None,
        graph_entities: list[dict[str, Any]] | None = None,
    ) -> Draft:
        """A reply in ``language`` (``en`` or ``pl``; others get English) from the article's customer steps.

        ``graph_articles`` (published, checked by the caller) and ``graph_entities`` (the graph's
        related entities; filtered here by :func:`visible_entities`) add what earlier tickets know:
        without a retrieved article, the first graph article with steps is the one the reply follows.
        """
        language = template_language(language)
        template = TEMPLATES[language]
        name = customer_name.strip()
        greeting = template.greeting_named.format(name=name) if name else template.greeting_anonymous
        parts = [template.openers.get(sentiment, template.openers["neutral"])]
        sla = sla_phrase(sla_hours, language)
        pending = [g for g in graph_articles or [] if g.article.steps]  # a pointer without customer steps helps nobody
        if article and article.steps:
            parts.append(template.intro.format(title=article.title, doc_id=article.doc_id, subcategory=subcategory.lower()))
            parts.append("\n".join(f"{i}. {step}" for i, step in enumerate(article.steps, start=1)))
            for doc_id, title in (related or [])[:2]:
                parts.append(template.related.format(title=title, doc_id=doc_id))
            cited = {article.doc_id, *(doc_id for doc_id, _ in (related or [])[:2])}
            pending = [g for g in pending if g.article.doc_id not in cited]
        elif pending:
            article = pending.pop(0).article
            parts.append(template.graph_intro.format(title=article.title, doc_id=article.doc_id))
            parts.append("\n".join(f"{i}. {step}" for i, step in enumerate(article.steps, start=1)))
            pending = [g for g in pending if g.article.doc_id != article.doc_id]
        if pending:
            extra = pending[0]
            line = template.graph_resolved if extra.resolved_tickets else template.graph_related
            parts.append(line.format(title=extra.article.title, doc_id=extra.article.doc_id, count=extra.resolved_tickets))
        shown = visible_entities(graph_entities or [])
        if shown:
            parts.append(template.graph_entities.format(entities=", ".join(entity_display(e) for e in shown)))
        if article and article.steps:
            parts.append(template.follow_up.format(team=team, sla=sla))
        else:
            parts.append(template.no_article.format(team=team, sla=sla))
        tone = "empathetic_professional" if sentiment in ("angry", "frustrated", "neutral") else "casual"
        return Draft(greeting=greeting, body="\n\n".join(parts), closing=template.closing, tone=tone, language=language)
