"""One conformance suite for both graph backends: the embedded SQL store and Neo4j over Bolt."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import pytest
import sqlalchemy as sa

from core.graph_contracts import ArticleGraphRecord, GraphEntityRef, TicketGraphRecord
from tests.integration.neo4j_server import LocalNeo4j
from tools.graph import EntityKeyer, GraphStore, Neo4jGraphStore, SqlGraphStore

KEYER = EntityKeyer(b"conformance-suite-key-0123456789")
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def ref(entity_type: str, value: str, confidence: float = 0.9) -> GraphEntityRef:
    found = KEYER.ref(entity_type, value, confidence)
    assert found is not None
    return found


VPN = ref("software", "GlobalProtect")
ORA = ref("error_code", "ORA-12541")
HOST = ref("hostname", "db-prod-01.corp.local")
HTTP = ref("error_code", "HTTP 503")
EMAIL = ref("email", "anna.kowalska@example.com")
PESEL = ref("pesel", "44051401359")


@pytest.fixture(params=["sql", "neo4j"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[GraphStore]:  # type: ignore[no-untyped-def]
    if request.param == "sql":
        graph: GraphStore = SqlGraphStore(sa.create_engine(f"sqlite:///{tmp_path / 'graph.db'}"))
    else:
        server: LocalNeo4j = request.getfixturevalue("neo4j_server")
        graph = Neo4jGraphStore.connect(server.uri, "neo4j", server.password)
    await graph.setup()
    await graph.setup()  # idempotent
    try:
        yield graph
    finally:
        await graph.close()


def ticket(tenant: str, ticket_id: str, entities: list[GraphEntityRef], *, hours: int = 0, **fields) -> TicketGraphRecord:  # type: ignore[no-untyped-def]
    return TicketGraphRecord(tenant_id=tenant, ticket_id=ticket_id, created_at=T0 + timedelta(hours=hours), entities=entities, **fields)


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


async def test_ticket_nodes_and_relationships(store: GraphStore, tenant: str) -> None:
    record = ticket(
        tenant, "INC-1", [VPN, ORA, EMAIL], status="resolved", team="IT Support", customer_key=KEYER.hash("email", "anna.kowalska@example.com"),
        resolved_with=["KB-1006"],
    )
    assert await store.upsert_ticket(record) == 3
    counts = await store.counts(tenant)
    assert {k: counts[k] for k in ("Ticket", "Entity", "Customer", "Team", "Article")} == {"Ticket": 1, "Entity": 3, "Customer": 1, "Team": 1, "Article": 1}
    assert {k: counts[k] for k in ("MENTIONS", "RAISED", "ROUTED_TO", "RESOLVED_WITH", "CO_OCCURS")} == {
        "MENTIONS": 3, "RAISED": 1, "ROUTED_TO": 1, "RESOLVED_WITH": 1, "CO_OCCURS": 3,
    }
    stored = await store.ticket(tenant, "INC-1")
    assert stored is not None
    assert (stored.status, stored.team, stored.resolved_with, stored.created_at) == ("resolved", "IT Support", ["KB-1006"], T0)
    assert {(e.type, e.key) for e in stored.entities} == {(e.type, e.key) for e in (VPN, ORA, EMAIL)}
    assert await store.ticket(tenant, "INC-404") is None


async def test_upsert_is_idempotent_and_co_occurrence_counts_tickets(store: GraphStore, tenant: str) -> None:
    await store.upsert_ticket(ticket(tenant, "INC-1", [VPN, ORA]))
    before = await store.counts(tenant)
    assert await store.upsert_ticket(ticket(tenant, "INC-1", [VPN, ORA])) == 0  # a retried activity
    assert await store.counts(tenant) == before
    assert await store.co_occurrence(tenant, VPN, ORA) == 1
    await store.upsert_ticket(ticket(tenant, "INC-2", [ORA, VPN, HOST], hours=1))
    assert await store.co_occurrence(tenant, ORA, VPN) == 2
    assert await store.co_occurrence(tenant, VPN, HOST) == 1
    assert await store.co_occurrence(tenant, HOST, HTTP) == 0
    # A re-indexed ticket that gained an entity counts only the new pairs.
    assert await store.upsert_ticket(ticket(tenant, "INC-1", [VPN, ORA, HOST])) == 1
    assert (await store.co_occurrence(tenant, VPN, ORA), await store.co_occurrence(tenant, VPN, HOST)) == (2, 2)


async def test_context_ranks_by_shared_tickets_then_recency(store: GraphStore, tenant: str) -> None:
    await store.upsert_ticket(ticket(tenant, "INC-1", [ORA, HOST], hours=0, status="resolved", resolved_with=["KB-1008"]))
    await store.upsert_ticket(ticket(tenant, "INC-2", [ORA, HOST, VPN], hours=1, status="open"))
    await store.upsert_ticket(ticket(tenant, "INC-3", [ORA, HTTP], hours=5, status="resolved", resolved_with=["KB-1009"]))
    await store.upsert_article(ArticleGraphRecord(tenant_id=tenant, doc_id="KB-1008", title="ORA-12541", entities=[ORA]))
    await store.upsert_article(ArticleGraphRecord(tenant_id=tenant, doc_id="KB-1100", title="Unrelated", entities=[VPN]))
    # The new ticket mentions ORA; INC-9 is itself and must not count.
    await store.upsert_ticket(ticket(tenant, "INC-9", [ORA, HTTP], hours=9))
    context = await store.context(tenant, [ORA], exclude_ticket="INC-9")
    assert [(e.label, e.shared_tickets) for e in context.related_entities] == [
        (HOST.label, 2),  # two tickets share it
        (HTTP.label, 1),  # then by recency: INC-3 (5 h) is newer than INC-2 (1 h)
        (VPN.label, 1),
    ]
    assert context.related_entities[0].last_seen == T0 + timedelta(hours=1)
    assert [(t.ticket_id, t.resolved_with) for t in context.related_tickets] == [("INC-3", ["KB-1009"]), ("INC-1", ["KB-1008"])]
    articles = {a.doc_id: (a.shared_entities, a.via_tickets) for a in context.related_articles}
    assert articles == {"KB-1008": (1, 1), "KB-1009": (0, 1)}
    assert context.related_articles[0].doc_id == "KB-1008"
    assert (await store.context(tenant, [], exclude_ticket="INC-9")).related_entities == []
    limited = await store.context(tenant, [ORA], exclude_ticket="INC-9", limit=1)
    assert len(limited.related_entities) == 1 and len(limited.related_tickets) == 1


async def test_tenants_never_meet(store: GraphStore, tenant: str) -> None:
    other = tenant + "-other"
    await store.upsert_ticket(ticket(other, "INC-1", [ORA, HOST], status="resolved"))
    await store.upsert_ticket(ticket(tenant, "INC-1", [ORA]))
    context = await store.context(tenant, [ORA], exclude_ticket="INC-2")
    assert context.related_entities == [] and context.related_tickets == []
    assert (await store.counts(tenant))["Entity"] == 1
    await store.delete_tenant(other)
    assert (await store.counts(other))["Ticket"] == 0
    assert (await store.counts(tenant))["Ticket"] == 1


async def test_personal_identifiers_are_stored_as_keyed_hashes(store: GraphStore, tenant: str) -> None:
    customer = KEYER.hash("email", "anna.kowalska@example.com")
    await store.upsert_ticket(ticket(tenant, "INC-1", [EMAIL, PESEL, ORA], customer_key=customer))
    dumped = json.dumps(await store.dump(tenant), default=str)
    for raw in ("anna.kowalska", "example.com", "44051401359"):
        assert raw not in dumped
    assert EMAIL.key in dumped and PESEL.key.startswith("h:") and "ora-12541" in dumped
    stored = await store.ticket(tenant, "INC-1")
    assert stored is not None and {e.label for e in stored.entities if e.hashed} == {EMAIL.label, PESEL.label}


async def test_article_hashes_and_a_changed_article_is_relinked(store: GraphStore, tenant: str) -> None:
    await store.upsert_ticket(ticket(tenant, "INC-1", [ORA], status="resolved", resolved_with=["KB-1009"]))
    assert await store.article_hashes(tenant) == {"KB-1009": ""}  # known through a ticket, never linked
    await store.upsert_article(ArticleGraphRecord(tenant_id=tenant, doc_id="KB-1008", title="Listener", entities=[ORA, HOST], content_hash="a1"))
    assert await store.article_hashes(tenant) == {"KB-1008": "a1", "KB-1009": ""}
    assert await store.article_hashes(tenant + "-other") == {}
    # The article changed: it now mentions HTTP 503 and no longer the host; the old mention goes.
    new = await store.upsert_article(ArticleGraphRecord(tenant_id=tenant, doc_id="KB-1008", title="Listener", entities=[ORA, HTTP], content_hash="b2"))
    assert new == 1 and (await store.article_hashes(tenant))["KB-1008"] == "b2"
    assert [a.doc_id for a in (await store.context(tenant, [HOST])).related_articles] == []
    assert [a.doc_id for a in (await store.context(tenant, [HTTP])).related_articles] == ["KB-1008"]
    assert (await store.counts(tenant))["MENTIONS"] == 3  # INC-1 -> ORA, KB-1008 -> ORA, HTTP


async def test_sql_store_made_before_article_hashes_gets_the_column(tmp_path, tenant: str) -> None:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE graph_articles (uid VARCHAR(600) PRIMARY KEY, tenant_id VARCHAR(128) NOT NULL, doc_id VARCHAR(200) NOT NULL, title VARCHAR(500) NOT NULL)"))
        connection.execute(sa.text("INSERT INTO graph_articles VALUES ('x', :t, 'KB-1', 'Old')"), {"t": tenant})
    store = SqlGraphStore(engine)
    await store.setup()
    await store.setup()
    assert await store.article_hashes(tenant) == {"KB-1": ""}
    await store.upsert_article(ArticleGraphRecord(tenant_id=tenant, doc_id="KB-2", entities=[ORA], content_hash="c3"))
    assert (await store.article_hashes(tenant))["KB-2"] == "c3"


async def test_only_the_problems_own_identifiers_link_tickets(store: GraphStore, tenant: str) -> None:
    """Tickets of one customer share its email and name (and often a date, an amount, the company):
    none of these may relate a billing ticket to the customer's VPN ticket, its entities or the
    article that resolved it. Error codes, hosts, software and versions still link."""
    name, amount, company = ref("person", "Anna Kowalska"), ref("money", "49.99 EUR"), ref("organization", "Acme")
    code, gateway = ref("error_code", "809"), ref("hostname", "vpn-gw-01.acme.local")
    await store.upsert_article(ArticleGraphRecord(tenant_id=tenant, doc_id="KB-1006", title="VPN", entities=[VPN, code]))
    await store.upsert_article(ArticleGraphRecord(tenant_id=tenant, doc_id="KB-2000", title="About Acme", entities=[company, amount]))
    customer = KEYER.hash("email", "anna.kowalska@example.com")
    await store.upsert_ticket(ticket(tenant, "INC-1", [VPN, code, gateway, EMAIL, name, company], status="resolved", customer_key=customer, resolved_with=["KB-1006"]))

    billing = await store.context(tenant, [EMAIL, name, amount, company], exclude_ticket="INC-2")
    assert (billing.related_entities, billing.related_tickets, billing.related_articles) == ([], [], [])

    again = await store.context(tenant, [code, name], exclude_ticket="INC-3")
    related = {(e.type, e.label) for e in again.related_entities}
    assert {("hostname", gateway.label), ("software", VPN.label), ("email", EMAIL.label)} <= related  # reached through 809 only
    assert ("person", name.label) not in related  # its own entities are never "related", seeds or not
    assert all(e.shared_tickets == 1 for e in again.related_entities)
    assert [t.ticket_id for t in again.related_tickets] == ["INC-1"] and again.related_tickets[0].shared_entities == 1
    assert {a.doc_id: (a.shared_entities, a.via_tickets) for a in again.related_articles} == {"KB-1006": (1, 1)}
