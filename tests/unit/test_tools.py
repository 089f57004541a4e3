"""Pure tools: priority matrix, router thresholds, citations, chunking, ingestion idempotency."""

from __future__ import annotations

import uuid

import pytest

from tools.drafting import cited_ids, strip_citations, unknown_citations
from core.errors import InvalidInputError
from tools.priority import MATRIX, SLA_MINUTES, PriorityMatrix
from tools.retrieval import ChromaKnowledgeStore, chunk_document, open_chroma_client, parse_markdown_document
from tools.routing import Router

ARTICLE = """---
doc_id: KB-9001
title: Test Article
url: https://kb.example/test
category: Technical
status: published
---
# Test Article

Lead paragraph.

## Steps
1. Do one thing.
2. Do another.

## When to escalate
Escalate if it fails.
"""


def test_matrix_is_monotonic() -> None:
    order = ["critical", "high", "medium", "low"]
    for i, impact in enumerate(order):
        for j, urgency in enumerate(order):
            level = int(MATRIX[impact][urgency][1])
            if i + 1 < len(order):
                assert int(MATRIX[order[i + 1]][urgency][1]) >= level
            if j + 1 < len(order):
                assert int(MATRIX[impact][order[j + 1]][1]) >= level
    assert list(SLA_MINUTES.values()) == sorted(SLA_MINUTES.values())


def test_sla_hours_is_tighter_of_category_and_priority() -> None:
    assessment = PriorityMatrix().assess("Production is down for everyone, fix immediately", category_sla_hours=8)
    assert assessment.level == "P1" and assessment.sla_hours == 1
    relaxed = PriorityMatrix().assess("Just a question about invoices, no rush", category_sla_hours=24)
    assert relaxed.level == "P5" and relaxed.sla_hours == 24


@pytest.mark.parametrize(
    "confidence, expected", [(0.95, "auto_resolve"), (0.7, "auto_resolve"), (0.69, "agent_assist"), (0.5, "agent_assist"), (0.49, "escalate")]
)
def test_router_thresholds(confidence: float, expected: str) -> None:
    outcome = Router().route(confidence=confidence, team="T", compliance="passed", escalation_needed=False, priority_level="P3")
    assert outcome.decision == expected


def test_router_never_auto_resolves_a_flagged_draft() -> None:
    assert Router().route(confidence=0.9, team="T", compliance="warning", escalation_needed=False, priority_level="P3").decision == "agent_assist"
    assert Router().route(confidence=0.9, team="T", compliance="passed", escalation_needed=False, priority_level="P1").decision == "escalate"


def test_citation_helpers() -> None:
    body = "See [KB-1001] and [KB-1002], again [KB-1001], not [RB-2001]."
    assert cited_ids(body) == ["KB-1001", "KB-1002", "RB-2001"]
    assert unknown_citations(body, {"KB-1001", "KB-1002"}) == ["RB-2001"]
    assert "RB-2001" not in strip_citations(body, ["RB-2001"])


def test_chunking_by_headings_with_stable_ids() -> None:
    document = parse_markdown_document(ARTICLE)
    chunks = chunk_document(document, tenant_id="demo")
    assert [c.chunk_id for c in chunks] == ["KB-9001-c-0", "KB-9001-c-1", "KB-9001-c-2"]
    assert [c.section for c in chunks] == ["Summary", "Steps", "When to escalate"]
    assert chunks[1].metadata["tenant_id"] == "demo" and chunks[1].metadata["status"] == "published"


def test_bad_article_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="front matter"):
        parse_markdown_document("no front matter here")
    with pytest.raises(InvalidInputError, match="doc_id"):
        parse_markdown_document("---\ntitle: x\n---\nbody")


def test_ingest_is_idempotent_and_replaces_changed_documents() -> None:
    from tests.unit.conftest import HashingEmbedder

    store = ChromaKnowledgeStore(open_chroma_client("embedded", None), HashingEmbedder(), f"kb_{uuid.uuid4().hex[:8]}")
    first = store.ingest([parse_markdown_document(ARTICLE)], tenant_id="demo")
    assert (first.added, first.chunks_written) == (1, 3)
    again = store.ingest([parse_markdown_document(ARTICLE)], tenant_id="demo")
    assert (again.unchanged, again.chunks_written) == (1, 0)
    changed = store.ingest([parse_markdown_document(ARTICLE.replace("## When to escalate\nEscalate if it fails.\n", ""))], tenant_id="demo")
    assert changed.replaced == 1 and store.count() == 2
    sections = store.document_sections("KB-9001")
    assert "Do one thing." in sections["Steps"]


def test_settings_fail_fast_on_inconsistent_values() -> None:
    from pydantic import ValidationError

    from core.settings import Settings

    with pytest.raises(ValidationError, match="AGENT_ASSIST_THRESHOLD"):
        Settings(auto_resolve_threshold=0.4, agent_assist_threshold=0.6)
    with pytest.raises(ValidationError, match="OPENAI"):
        Settings(embedding_provider="openai")


async def test_codec_round_trip_and_key_rotation() -> None:
    from temporalio.api.common.v1 import Payload

    from core.errors import ConfigurationError
    from workflows.codec import codec_from_keys, generate_key

    old_key, new_key = generate_key(), generate_key()
    old = codec_from_keys({"k1": old_key}, "k1")
    rotated = codec_from_keys({"k1": old_key, "k2": new_key}, "k2")
    payload = Payload(metadata={"encoding": b"json/plain"}, data=b'{"pesel": "44051401359"}')
    sealed_old = await old.encode([payload])
    assert b"44051401359" not in sealed_old[0].data and sealed_old[0].metadata["encryption-key-id"] == b"k1"
    assert (await rotated.decode(sealed_old))[0] == payload  # old payloads still readable after rotation
    assert (await rotated.encode([payload]))[0].metadata["encryption-key-id"] == b"k2"
    with pytest.raises(ConfigurationError, match="unknown key id"):
        await old.decode(await rotated.encode([payload]))
    with pytest.raises(ConfigurationError, match="16, 24 or 32 bytes"):
        codec_from_keys({"k": "c2hvcnQ="}, "k")


def test_workflow_ids_never_collide_across_tenants() -> None:
    """Tenant ``acme-x`` / ticket ``1`` and tenant ``acme`` / ticket ``x-1`` once both became ``triage-acme-x-1``."""
    from workflows.ids import tenant_workflow_prefix, triage_workflow_id

    assert triage_workflow_id("acme-x", "1") != triage_workflow_id("acme", "x-1")
    pairs = [("a", "b-c"), ("a-b", "c"), ("a~2Db", "c"), ("a", "b~2Dc"), ("ą", "1"), ("a b", "1"), ("a_b", "1"), ("a", "_b")]
    assert len({triage_workflow_id(t, k) for t, k in pairs}) == len(pairs)
    assert triage_workflow_id("acme", "TKT-1").startswith(tenant_workflow_prefix("triage", "acme"))
    assert not triage_workflow_id("acme-x", "1").startswith(tenant_workflow_prefix("triage", "acme"))


@pytest.mark.parametrize(
    "polish, english",
    [
        ("Serwer produkcyjny nie działa. Wszyscy klienci nie mogą się zalogować, system produkcyjny leży.",
         "Production server is down, all customers cannot log in."),
        ("Baza danych produkcyjna padła, stoimy, nikt nie może pracować!", "Production database crashed, everyone is blocked, emergency!"),
        ("Pilne: nie mogę pracować, konto zablokowane.", "Urgent: I cannot work, my account is blocked."),
        ("Drukarka w biurze nie działa, proszę o pomoc w wolnej chwili.", "Printer on floor 2 does not work, no rush."),
        ("Pytanie: jak mogę zmienić hasło?", "Question: how do I change my password?"),
    ],
)
def test_a_polish_ticket_gets_the_priority_of_its_english_twin(polish: str, english: str) -> None:
    matrix = PriorityMatrix()
    pl, en = matrix.assess(polish, 8), matrix.assess(english, 8)
    assert (pl.level, pl.impact, pl.urgency) == (en.level, en.impact, en.urgency)


def test_language_detection_on_the_labeled_bank_does_not_regress(tmp_path) -> None:
    """The bank's reference language per example (``language`` field); short ASCII Polish included."""
    from core.settings import get_settings
    from tools.evaluation.language_eval import evaluate_language

    report = evaluate_language(tmp_path, get_settings().labeled_tickets_path, sources=("own",))
    for language, (correct, total) in report["own"].items():
        assert total > 300 and correct / total >= 0.98, (language, correct, total)
