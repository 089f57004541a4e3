"""The full triage workflow with Neo4j as the graph store: graph content, related entities, a store outage."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import AsyncIterator

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from agents.graph_activities import entity_refs, index_knowledge_base, index_knowledge_base_in_background, ready_store
from agents.registry import TriageToolkit
from core.contracts import TriageRequest, TriageResult
from core.graph_contracts import GraphIndexOutcome
from core.settings import Settings
from tests.integration.neo4j_server import LocalNeo4j
from tools.graph import Neo4jGraphStore, link_articles
from tools.retrieval import load_documents
from workflows import TriageWorkflow, triage_workflow_id
from workflows.indexing import indexing_workflow_id

pytestmark = pytest.mark.integration

EMAIL = "marta.nowak@example.com"
PESEL = "44051401359"
FIRST = (
    f"Our reporting job fails with ORA-12541 TNS no listener when connecting to db-prod-01.corp.local. "
    f"Contact me at {EMAIL}, PESEL {PESEL}."
)
SECOND = "Again ORA-12541 from the billing export, the database db-prod-01.corp.local does not answer since the morning."


@pytest.fixture
async def neo4j_graph(toolkit: TriageToolkit, neo4j_server: LocalNeo4j, integration_settings: Settings) -> AsyncIterator[Neo4jGraphStore]:
    """The session's worker toolkit with Neo4j as its graph store (and fast indexing retries) for one test."""
    store = Neo4jGraphStore.connect(neo4j_server.uri, "neo4j", neo4j_server.password)
    previous, previous_interval = toolkit.graph, integration_settings.graph_index_max_interval_s
    toolkit.graph = store
    integration_settings.graph_index_max_interval_s = 2.0
    try:
        yield store
    finally:
        toolkit.graph = previous
        integration_settings.graph_index_max_interval_s = previous_interval
        await store.close()


async def triage(client: Client, settings: Settings, tenant: str, ticket_id: str, message: str) -> TriageResult:
    request = TriageRequest(tenant_id=tenant, ticket_id=ticket_id, raw_message=message, customer_name="Marta Nowak", customer_email=EMAIL)
    return await client.execute_workflow(
        TriageWorkflow.run, request, id=triage_workflow_id(tenant, ticket_id), task_queue=settings.task_queue, result_type=TriageResult
    )


async def indexed(client: Client, tenant: str, ticket_id: str, timeout_s: float = 60) -> GraphIndexOutcome:
    handle = client.get_workflow_handle(indexing_workflow_id(triage_workflow_id(tenant, ticket_id)), result_type=GraphIndexOutcome)
    return await asyncio.wait_for(handle.result(), timeout_s)


async def test_triage_builds_the_graph_and_returns_related_entities(
    temporal_client: Client, integration_settings: Settings, running_worker: None, toolkit: TriageToolkit, neo4j_graph: Neo4jGraphStore
) -> None:
    tenant = f"graph-{uuid.uuid4().hex[:6]}"
    first = await triage(temporal_client, integration_settings, tenant, "INC-1", FIRST)
    outcome = await indexed(temporal_client, tenant, "INC-1")
    assert outcome.entities >= 3 and outcome.new_mentions == outcome.entities
    # The indexing waits its start delay, so it never shares the worker with the end of its own triage.
    started = [e async for e in temporal_client.get_workflow_handle(indexing_workflow_id(triage_workflow_id(tenant, "INC-1"))).fetch_history_events()][0]
    backoff = started.workflow_execution_started_event_attributes.first_workflow_task_backoff.ToTimedelta()
    assert backoff.total_seconds() == integration_settings.graph_index_start_delay_s > 0

    stored = await neo4j_graph.ticket(tenant, "INC-1")
    assert stored is not None
    types = {e.type: e for e in stored.entities}
    assert {"error_code", "hostname", "email", "pesel"} <= set(types), types
    assert types["email"].hashed and types["email"].key.startswith("h:") and types["pesel"].hashed
    assert not types["hostname"].hashed and types["hostname"].key == "db-prod-01.corp.local"
    assert stored.team == first.routing.team and stored.customer_key.startswith("h:")
    counts = await neo4j_graph.counts(tenant)
    assert counts["Ticket"] == 1 and counts["Customer"] == 1 and counts["Team"] == 1 and counts["RAISED"] == 1 and counts["ROUTED_TO"] == 1
    assert counts["MENTIONS"] == len(stored.entities) and counts["CO_OCCURS"] == len(stored.entities) * (len(stored.entities) - 1) // 2
    dumped = json.dumps(await neo4j_graph.dump(tenant), default=str)
    assert EMAIL not in dumped and PESEL not in dumped and "marta" not in dumped.lower()
    assert first.related_entities == []  # nothing else in this tenant's graph yet

    second = await triage(temporal_client, integration_settings, tenant, "INC-2", SECOND)
    related = {(e.type, e.label): e for e in second.related_entities}
    # The second ticket shares the error code and host with INC-1, so INC-1's other entities are related.
    assert ("email", types["email"].label) in related and related["email", types["email"].label].hashed
    assert all(e.shared_tickets == 1 and e.last_seen is not None for e in second.related_entities)
    assert ("error_code", "ora-12541") not in related  # its own entities are not "related"
    await indexed(temporal_client, tenant, "INC-2")
    ora = next(r for r in entity_refs(toolkit.entity_keyer, [e.model_dump() for e in second.entities]) if r.type == "error_code")  # type: ignore[arg-type]
    host = next(r for r in entity_refs(toolkit.entity_keyer, [e.model_dump() for e in second.entities]) if r.type == "hostname")  # type: ignore[arg-type]
    assert await neo4j_graph.co_occurrence(tenant, ora, host) == 2


async def test_knowledge_base_articles_link_to_their_entities(toolkit: TriageToolkit, neo4j_graph: Neo4jGraphStore) -> None:
    tenant = f"kb-{uuid.uuid4().hex[:6]}"
    assert (await index_knowledge_base(toolkit, tenant_id=tenant)).linked > 30
    counts = await neo4j_graph.counts(tenant)
    assert counts["Article"] > 30 and counts["MENTIONS"] > 30
    ora = toolkit.entity_keyer.ref("error_code", "ORA-12541")  # type: ignore[union-attr]
    assert ora is not None
    context = await neo4j_graph.context(tenant, [ora])
    assert "KB-1008" in [a.doc_id for a in context.related_articles]


async def test_ticket_triaged_while_neo4j_is_down_reaches_the_graph_when_it_is_back(
    temporal_client: Client, integration_settings: Settings, running_worker: None, neo4j_server: LocalNeo4j, neo4j_graph: Neo4jGraphStore
) -> None:
    tenant = f"down-{uuid.uuid4().hex[:6]}"
    neo4j_server.stop()
    try:
        result = await triage(temporal_client, integration_settings, tenant, "INC-1", FIRST)
        assert result.routing.decision and result.related_entities == []  # triaged without the graph
        handle = temporal_client.get_workflow_handle(indexing_workflow_id(triage_workflow_id(tenant, "INC-1")))
        for _ in range(100):  # the UI shows it running, its activity failing and retried
            description = await handle.describe()
            pending = description.raw_description.pending_activities
            if pending and pending[0].attempt >= 2:
                break
            await asyncio.sleep(0.2)
        assert description.status == WorkflowExecutionStatus.RUNNING
        assert pending and pending[0].attempt >= 2 and "unavailable" in pending[0].last_failure.message.lower()
    finally:
        neo4j_server.start()
    outcome = await indexed(temporal_client, tenant, "INC-1", timeout_s=90)
    assert outcome.entities >= 3
    assert (await neo4j_graph.counts(tenant))["Ticket"] == 1


ARTICLE = """---
doc_id: KB-9471
title: Licence server LIC-9 refuses checkouts
url: https://kb.triage-desk.example/licences/lic-9
category: Technical
status: published
---
# Licence server LIC-9 refuses checkouts

The licence service stops handing out seats with ERR-4711 after its certificate expires.

## Customer steps
1. Close the application on your computer.
2. Wait five minutes, then start it again.

## Kroki dla klienta
1. Zamknij aplikację na swoim komputerze.
2. Odczekaj pięć minut i uruchom ją ponownie.

## Agent procedure
1. Renew the certificate in the licence console.
"""
EARLIER = f"Payroll sync fails with ERR-4711 on host payroll-db-07.corp.local after upgrading to version 7.4.2. Contact me at {EMAIL}, PESEL {PESEL}."
LATER_PL = "Znowu błąd ERR-4711 przy synchronizacji list płac, nic nie działa od rana."


async def test_draft_uses_the_graph_context_of_an_earlier_ticket(
    temporal_client: Client, integration_settings: Settings, running_worker: None, toolkit: TriageToolkit,
    neo4j_graph: Neo4jGraphStore, tmp_path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    """A Polish ticket sharing an error code with an earlier English one: the draft follows the
    article the graph links to that code (retrieval does not find it: the texts are not alike),
    names the earlier ticket's host and version, in Polish, and nothing personal."""
    # The shared error code is also a word match, which lets retrieval cite a low-cosine article;
    # this test is about the graph supplying what retrieval misses, so retrieval needs cosine alone.
    monkeypatch.setattr(toolkit.settings, "retrieval_min_score_with_words", toolkit.settings.retrieval_min_score)
    tenant = f"draft-{uuid.uuid4().hex[:6]}"
    (tmp_path / "KB-9471.md").write_text(ARTICLE, encoding="utf-8")
    documents = load_documents(tmp_path)
    toolkit.kb_store.ingest(documents, tenant_id=tenant)
    assert (await link_articles(neo4j_graph, toolkit.entity_keyer, toolkit.entity_extractor.extract, tenant, documents)).linked == 1  # type: ignore[arg-type]

    await triage(temporal_client, integration_settings, tenant, "INC-1", EARLIER)
    await indexed(temporal_client, tenant, "INC-1")
    later = await triage(temporal_client, integration_settings, tenant, "INC-2", LATER_PL)

    assert later.classification.language == "pl"
    assert "KB-9471" not in [c.doc_id for c in later.citations]  # only the graph links it
    body = later.answer_draft.body
    assert "Nasz artykuł [KB-9471] pomógł rozwiązać wcześniejsze zgłoszenia" in body and "Zamknij aplikację" in body, body
    assert "We wcześniejszych zgłoszeniach tego problemu pojawiały się też:" in body
    assert "payroll-db-07.corp.local" in body and "7.4.2" in body
    text = "\n".join((later.answer_draft.greeting, body, later.answer_draft.closing))
    labels = [e.label for e in later.related_entities if e.hashed]
    assert labels and not any(label in text for label in labels)  # the earlier ticket's email/PESEL are related, never shown
    assert EMAIL not in text and PESEL not in text and not re.search(r"#[0-9a-f]{8}|\bh:[0-9a-f]{8}", text)
    assert not any(issue.startswith("draft cites unknown") for issue in later.policy_check.issues or [])

    row = toolkit.ticket_register.by_ticket_id(tenant, "INC-2")  # type: ignore[union-attr]
    assert row is not None and row.ai_response.startswith(later.answer_draft.greeting)
    last = row.ai_response.rsplit("\n\n", 1)[1]
    assert last.startswith("Powiązane elementy z grafu zgłoszeń: ") and "payroll-db-07.corp.local (host)" in last and "7.4.2 (wersja)" in last
    assert EMAIL not in row.ai_response and PESEL not in row.ai_response and not re.search(r"#[0-9a-f]{8}|\bh:[0-9a-f]{8}", row.ai_response)


async def test_knowledge_base_linking_extracts_each_article_once(
    toolkit: TriageToolkit, neo4j_graph: Neo4jGraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker start links the articles; the next start finds their content hashes and runs no
    entity extraction at all; a changed article is the only one extracted again."""
    tenant = f"kbonce-{uuid.uuid4().hex[:6]}"
    monkeypatch.setattr(toolkit.settings, "default_tenant", tenant)
    extracted: list[str] = []
    extract = toolkit.entity_extractor.extract

    def counting(text: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        extracted.append(text.split("\n", 1)[0])
        return extract(text, *args, **kwargs)

    monkeypatch.setattr(toolkit.entity_extractor, "extract", counting)
    await index_knowledge_base_in_background(toolkit)  # what worker.py starts
    articles = len(extracted)
    assert articles > 30 and (await neo4j_graph.counts(tenant))["Article"] == articles
    extracted.clear()
    await index_knowledge_base_in_background(toolkit)  # a second start
    assert extracted == []
    summary = await index_knowledge_base(toolkit)
    assert (summary.linked, summary.unchanged) == (0, articles)

    documents = load_documents(toolkit.settings.kb_dir)
    changed = [documents[0].__class__(**{**documents[0].__dict__, "body": documents[0].body + "\nSee also ORA-12560."}), *documents[1:]]
    summary = await link_articles(neo4j_graph, toolkit.entity_keyer, toolkit.entity_extractor.extract, tenant, changed)  # type: ignore[arg-type]
    assert (summary.linked, summary.unchanged) == (1, articles - 1) and extracted == [documents[0].title]
    ora = toolkit.entity_keyer.ref("error_code", "ORA-12560")  # type: ignore[union-attr]
    assert documents[0].doc_id in [a.doc_id for a in (await neo4j_graph.context(tenant, [ora])).related_articles]  # type: ignore[list-item]


CUSTOMER = "anna.kowalska@example.com"
VPN_TICKET = f"My VPN connection fails with error 809 when I connect to vpn-gw-01.acme.local from home. Anna Kowalska, {CUSTOMER}"
BILLING_TICKET = f"I was charged twice for my subscription this month, please refund the duplicate charge of 49.99 EUR. Anna Kowalska, {CUSTOMER}"
HR_TICKET_PL = "Dzień dobry, moje hasło do portalu kadrowego wygasło i nie mogę się zalogować. Pozdrawiam, Anna Kowalska"
VPN_AGAIN = "Error 809 again on my laptop, the VPN drops after a minute."
VPN_LICENCE_BILLING = "We were charged twice for our VPN licences this month, please refund one of the two payments."


async def test_one_customers_unrelated_tickets_do_not_share_graph_context(
    temporal_client: Client, integration_settings: Settings, running_worker: None, toolkit: TriageToolkit
) -> None:
    """The demo stack's tickets all come from one customer: its email and name are in every ticket.
    A billing ticket and a Polish HR ticket after a VPN error 809 ticket get no related entities and
    no VPN article from the graph (SQL store); a later ticket with the same error code does."""
    tenant = f"cust-{uuid.uuid4().hex[:6]}"
    vpn_article = [d for d in load_documents(toolkit.settings.kb_dir) if d.doc_id == "KB-1006"]
    toolkit.kb_store.ingest(vpn_article, tenant_id=tenant)
    store = await ready_store(toolkit)  # the session's default graph store: SQL
    assert store is not None and store.backend == "sql"
    await link_articles(store, toolkit.entity_keyer, toolkit.entity_extractor.extract, tenant, vpn_article)  # type: ignore[arg-type]

    async def run(ticket_id: str, message: str) -> TriageResult:
        request = TriageRequest(tenant_id=tenant, ticket_id=ticket_id, raw_message=message, customer_name="Anna Kowalska", customer_email=CUSTOMER)
        return await temporal_client.execute_workflow(
            TriageWorkflow.run, request, id=triage_workflow_id(tenant, ticket_id), task_queue=integration_settings.task_queue, result_type=TriageResult
        )

    await run("INC-1", VPN_TICKET)
    await indexed(temporal_client, tenant, "INC-1")
    stored = await store.ticket(tenant, "INC-1")
    assert stored is not None and {"error_code", "hostname", "software", "email", "person"} <= {e.type for e in stored.entities}

    for ticket_id, message in (("INC-2", BILLING_TICKET), ("INC-3", HR_TICKET_PL)):
        result = await run(ticket_id, message)
        assert result.related_entities == [], (ticket_id, result.related_entities)
        body = result.answer_draft.body
        assert not re.search(r"809|vpn|KB-1006", body, re.IGNORECASE), (ticket_id, body)
        row = toolkit.ticket_register.by_ticket_id(tenant, ticket_id)  # type: ignore[union-attr]
        assert row is not None and "809" not in row.ai_response and "vpn" not in row.ai_response.lower(), row.ai_response
        await indexed(temporal_client, tenant, ticket_id)

    # Linked through the product alone (software "vpn"), a billing ticket names none of the VPN
    # ticket's codes or hosts and is not answered with the (Technical) VPN article from the graph.
    licence = await run("INC-5", VPN_LICENCE_BILLING)
    assert licence.classification.category != "Technical"
    assert ("error_code", "809") in {(e.type, e.label) for e in licence.related_entities}  # the graph does relate them
    body = licence.answer_draft.body
    assert not re.search(r"809|vpn-gw-01|Earlier reports|Earlier tickets", body, re.IGNORECASE), body
    assert "KB-1006" not in body or "KB-1006" in [c.doc_id for c in licence.citations]  # only retrieval may cite it
    row = toolkit.ticket_register.by_ticket_id(tenant, "INC-5")  # type: ignore[union-attr]
    assert row is not None and "Related graph entities" not in row.ai_response and "809" not in row.ai_response, row.ai_response

    again = await run("INC-4", VPN_AGAIN)
    related = {(e.type, e.label) for e in again.related_entities}
    assert ("hostname", "vpn-gw-01.acme.local") in related, related  # through error 809 (and the software)
    assert all(e.shared_tickets == 1 for e in again.related_entities)  # INC-1 only: the customer's other tickets are no link
    assert "vpn-gw-01.acme.local" in again.answer_draft.body
