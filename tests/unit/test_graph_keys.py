"""Graph keys: normalisation, keyed hashes for personal identifiers, the indexing record, the ticket register."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from core.graph_contracts import ticket_graph_record
from tools.graph import EntityKeyer, normalise
from tools.graph.base import new_pairs
from tools.ticket_register import TicketRegister, ai_response_text, seed_status

KEYER = EntityKeyer(b"unit-test-graph-key-0123456789ab")


@pytest.mark.parametrize(
    ("entity_type", "a", "b"),
    [
        ("error_code", "ORA-12541", "ora-12541"),
        ("iban", "PL61 1090 1014 0000 0712 1981 2874", "PL61109010140000071219812874"),
        ("phone", "+48 600 100 200", "600-100-200"),
        ("email", "Anna.Kowalska@Example.com", "anna.kowalska@example.com"),
        ("hostname", "DB-PROD-01.corp.local ", "db-prod-01.corp.local"),
    ],
)
def test_equal_things_meet_on_one_key(entity_type: str, a: str, b: str) -> None:
    assert normalise(entity_type, a) == normalise(entity_type, b)
    assert KEYER.ref(entity_type, a).key == KEYER.ref(entity_type, b).key  # type: ignore[union-attr]


def test_personal_identifiers_are_keyed_hashes() -> None:
    pesel = KEYER.ref("pesel", "44051401359")
    assert pesel is not None and pesel.hashed and pesel.key.startswith("h:") and "44051401359" not in pesel.key + pesel.label
    assert EntityKeyer(b"another-key-0123456789abcdefghij").hash("pesel", "44051401359") != pesel.key  # keyed, not a plain hash
    host = KEYER.ref("hostname", "db-prod-01")
    assert host is not None and not host.hashed and host.label == "db-prod-01"
    with pytest.raises(ValueError):
        EntityKeyer(b"short")


def test_refs_are_distinct_with_the_highest_confidence() -> None:
    refs = KEYER.refs([("error_code", "ORA-12541", 0.6), ("error_code", "ora-12541", 0.9), ("hostname", "", 1.0)])
    assert [(r.key, r.confidence) for r in refs] == [("ora-12541", 0.9)]


def test_new_pairs_count_only_pairs_with_a_new_mention() -> None:
    assert new_pairs(["a", "b", "c"], {"c"}) == [("a", "c"), ("b", "c")]
    assert new_pairs(["b", "a"], set()) == []


def test_ticket_graph_record_from_the_final_state() -> None:
    started = datetime(2026, 11, 1, tzinfo=timezone.utc)
    state = {
        "request": {"tenant_id": "acme", "ticket_id": "INC-1"},
        "run": {"started_at": started.isoformat()},
        "graph_keys": {"entities": [KEYER.ref("error_code", "ORA-1").model_dump()], "customer_key": "h:1", "retry_max_interval_s": 5},  # type: ignore[union-attr]
        "routing": {"team": "IT Support"},
        "citations": [{"doc_id": "KB-1"}, {"doc_id": "KB-2"}],
        "ticket_status": "resolved",
    }
    record = ticket_graph_record(state)
    assert record is not None
    assert (record.created_at, record.status, record.team, record.resolved_with, record.retry_max_interval_s) == (started, "resolved", "IT Support", ["KB-1"], 5)
    assert ticket_graph_record({**state, "graph_keys": {}}) is None
    assert ticket_graph_record({**state, "ticket_status": "open"}).resolved_with == []  # type: ignore[union-attr]


def test_ticket_register_numbers_and_filters(tmp_path) -> None:  # type: ignore[no-untyped-def]
    register = TicketRegister(sa.create_engine(f"sqlite:///{tmp_path / 'r.db'}"))
    t0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
    first = register.record(tenant_id="acme", ticket_id="web-1", user_description="a", category="Billing", ai_response="x", confidence_score=0.8, now=t0)
    second = register.record(tenant_id="acme", ticket_id="web-2", user_description="b", category="Technical", ai_response="y", confidence_score=0.4, now=t0 + timedelta(hours=1))
    again = register.record(tenant_id="acme", ticket_id="web-1", user_description="a", category="Billing", ai_response="z", confidence_score=0.5, now=t0 + timedelta(hours=2))
    assert second > first == again
    row = register.get("acme", first)
    assert row is not None and (row.status, row.created_at, row.updated_at, row.ai_response) == ("pending_agent", t0, t0 + timedelta(hours=2), "z")
    assert register.get("other", first) is None
    rows, total = register.list("acme", category="technical")
    assert total == 1 and rows[0].id == second
    rows, total = register.list("acme", created_from=t0 + timedelta(minutes=30), limit=1)
    assert total == 1 and rows[0].ticket_id == "web-2"
    assert [r.id for r in register.list("acme")[0]] == [second, first]
    assert (seed_status(0.7), seed_status(0.69)) == ("ai_resolved", "pending_agent")


def test_ai_response_lists_related_entities_but_never_hashed_ones() -> None:
    text = ai_response_text(
        {"greeting": "Hi,", "body": "Do this.", "closing": "Bye"},
        [{"type": "hostname", "label": "db-1", "hashed": False}, {"type": "email", "label": "email#ab", "hashed": True}],
    )
    assert text.endswith("Related graph entities: db-1 (host)") and "email#" not in text
