"""What the entity graph adds to a draft and to seed 000's ai_response: the graph's articles become
citable, related entities are named in the ticket's language, and nothing personal (hash or clear
value) ever reaches customer-facing text; the model's draft prompt carries the same context."""

from __future__ import annotations

import re
from typing import Any, Callable

from tools.drafting import GraphArticle, OfflineDrafter, SourceArticle, related_entities_line, visible_entities
from tools.llm import load_prompt
from tools.llm.providers import LLMResult
from tools.llm.tasks import DraftRequest, llm_draft_body
from tools.ticket_register import ai_response_text

STEPS_EN = ["Check that the listener runs.", "Retry the connection."]
KB_1008 = SourceArticle(doc_id="KB-1008", title="ORA-12541 no listener", steps=STEPS_EN, escalation="")
KB_1008_PL = SourceArticle(doc_id="KB-1008", title="ORA-12541 no listener", steps=["Sprawdź listener.", "Połącz ponownie."], escalation="", language="pl")
KB_1001 = SourceArticle(doc_id="KB-1001", title="Duplicate Charge Resolution", steps=["Check your statement."], escalation="")
RELATED: list[dict[str, Any]] = [
    {"type": "email", "label": "email#3f2a1c0d", "hashed": True, "shared_tickets": 3},
    {"type": "error_code", "label": "ora-12505", "hashed": False, "shared_tickets": 2},
    {"type": "pesel", "label": "pesel#99aa00bb", "hashed": True, "shared_tickets": 2},
    {"type": "order_id", "label": "ord-555123", "hashed": False, "shared_tickets": 2},
    {"type": "hostname", "label": "db-prod-02.corp.local", "hashed": False, "shared_tickets": 1},
    {"type": "url", "label": "https://portal.example.com/reset?user=anna", "hashed": False, "shared_tickets": 1},
    {"type": "software", "label": "oracle", "hashed": False, "shared_tickets": 1},
]
LEAKS = re.compile(r"#[0-9a-f]{8}|h:[0-9a-f]|email|pesel|ord-555123|anna", re.IGNORECASE)


def _draft(**kwargs: Any) -> str:
    base: dict[str, Any] = {"customer_name": "", "sentiment": "neutral", "subcategory": "Database", "team": "IT Support", "sla_hours": 8}
    return OfflineDrafter().draft(**{**base, **kwargs}).body


def test_only_customer_safe_entities_are_visible() -> None:
    shown = visible_entities(RELATED, limit=10)
    assert [e["label"] for e in shown] == ["ora-12505", "db-prod-02.corp.local", "oracle"]


def test_graph_article_is_the_lead_when_retrieval_found_none_and_entities_are_named() -> None:
    body = _draft(article=None, graph_articles=[GraphArticle(KB_1008, resolved_tickets=2)], graph_entities=RELATED)
    assert "[KB-1008]" in body and "1. Check that the listener runs." in body
    assert "knowledge base does not cover" not in body and "within 8 hours" in body
    assert "ORA-12505, db-prod-02.corp.local, oracle" in body
    assert not LEAKS.search(body), body


def test_graph_article_beside_a_retrieved_one_is_a_related_line_with_the_resolved_count() -> None:
    body = _draft(article=KB_1001, graph_articles=[GraphArticle(KB_1008, resolved_tickets=3)])
    assert body.index("[KB-1001]") < body.index("[KB-1008]")
    assert 'Earlier tickets about the same problem (3) were resolved with "ORA-12541 no listener" [KB-1008].' in body
    same = _draft(article=KB_1008, graph_articles=[GraphArticle(KB_1008, resolved_tickets=3)])
    assert "Earlier tickets" not in same  # already the article the reply follows
    mentioned_only = _draft(article=KB_1001, graph_articles=[GraphArticle(KB_1008)])
    assert "point to our article" in mentioned_only


def test_polish_ticket_gets_polish_graph_lines() -> None:
    body = _draft(article=None, graph_articles=[GraphArticle(KB_1008_PL, 1)], graph_entities=RELATED, language="pl")
    assert "Nasz artykuł [KB-1008] pomógł rozwiązać wcześniejsze zgłoszenia" in body and "Sprawdź listener." in body
    assert "We wcześniejszych zgłoszeniach tego problemu pojawiały się też: ORA-12505" in body
    assert "Earlier" not in body and not LEAKS.search(body)


def test_without_graph_context_the_draft_is_unchanged() -> None:
    assert _draft(article=KB_1001) == _draft(article=KB_1001, graph_articles=[], graph_entities=[RELATED[0], RELATED[2]])


def test_ai_response_lists_readable_related_entities_never_hashes_or_personal_values() -> None:
    draft = {"greeting": "Hi,", "body": "Do this.", "closing": "Bye"}
    text = ai_response_text(draft, RELATED)
    assert text.endswith("Related graph entities: ORA-12505 (error code), db-prod-02.corp.local (host), oracle (software)")
    assert not LEAKS.search(text), text
    polish = ai_response_text(draft, RELATED, "pl")
    assert polish.endswith("Powiązane elementy z grafu zgłoszeń: ORA-12505 (kod błędu), db-prod-02.corp.local (host), oracle (oprogramowanie)")
    only_personal = ai_response_text(draft, [RELATED[0], RELATED[2], RELATED[3]])
    assert only_personal == "Hi,\n\nDo this.\n\nBye" and related_entities_line([], "en") == ""


class _Recording:
    """A provider that records the rendered prompt and answers with a body citing ``cite``."""

    name, model, enabled = "recording", "fake", True

    def __init__(self, cite: str) -> None:
        self.cite = cite
        self.messages: tuple[str, str] = ("", "")

    def complete(self, prompt: Any, variables: dict[str, Any], *, stream: bool = False, on_token: Callable[[str], None] | None = None) -> LLMResult:
        self.messages = prompt.render(**variables)
        return LLMResult(f"Please follow [{self.cite}] and [KB-9999].", None, 10, 5, "fake", 1, 1)


def test_model_prompt_gets_the_graph_articles_and_entities_and_may_cite_them() -> None:
    provider = _Recording("KB-1008")
    request = DraftRequest(
        ticket="ORA-12541 again", language="en", category="Technical", subcategory="Database", sentiment="neutral",
        team="IT Support", sla_hours=8, tone="empathetic_professional", articles=[KB_1001],
        graph_articles=[(KB_1008, 2)], graph_entities=["ORA-12505", "oracle"],
    )
    body, _, _ = llm_draft_body(provider, load_prompt("draft_reply"), request, {})
    _, user = provider.messages
    assert "[KB-1008] ORA-12541 no listener (entity graph: resolved 2 earlier ticket(s)" in user
    assert "Related entities from earlier tickets (entity graph): ORA-12505, oracle" in user
    assert "[KB-1008]" in body and "KB-9999" not in body  # graph article allowed, unknown id stripped


def test_graph_articles_are_cited_only_for_the_tickets_topic() -> None:
    """The graph reaches an article through an earlier ticket; the draft cites it when it is in the
    ticket's category or names the ticket's own error code or host, not for a shared product name."""
    from tools.drafting import graph_article_fits, ticket_identifiers

    vpn_article = "VPN Cannot Connect\nSummary\nThe GlobalProtect client shows error 809 when vpn-gw-01.acme.local is unreachable."
    assert graph_article_fits("Technical", "Technical", vpn_article, [])
    assert graph_article_fits("technical ", "Technical", vpn_article, [])
    assert not graph_article_fits("Billing", "Technical", vpn_article, [])  # a duplicate charge is not a VPN problem
    assert not graph_article_fits("Account", "Technical", vpn_article, ticket_identifiers([{"type": "software", "value": "VPN"}]))
    assert graph_article_fits("Account", "Technical", vpn_article, ticket_identifiers([{"type": "error_code", "value": "809"}]))
    assert graph_article_fits("Other", "", vpn_article, ticket_identifiers([{"type": "hostname", "value": "VPN-GW-01.acme.local"}]))
    assert not graph_article_fits("Billing", "Technical", vpn_article, ["80"])  # whole identifiers only
    assert not graph_article_fits("Billing", "Technical", vpn_article, ["acme.local"])
    assert not graph_article_fits("Billing", "Technical", "error 18090", ["809"])
    assert ticket_identifiers([{"type": "email", "value": "a@b.pl"}, {"type": "error_code", "value": " ERR-4711 "}, {"type": "money", "value": "49.99"}]) == ["err-4711"]


def test_related_entities_are_named_only_for_a_ticket_with_its_own_error_code_or_host() -> None:
    from tools.drafting import named_graph_entities

    assert [e["label"] for e in named_graph_entities(RELATED, ["ora-12541"])] == ["ora-12505", "db-prod-02.corp.local", "oracle"]
    assert named_graph_entities(RELATED, []) == []  # linked by a product name alone: no "earlier reports of this problem"
