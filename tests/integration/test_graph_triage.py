"""The full triage workflow with Neo4j as the graph store: graph content, related entities, a store outage."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import AsyncIterator

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from agents.graph_activities import entity_refs, index_knowledge_base
from agents.registry import TriageToolkit
from core.contracts import TriageRequest, TriageResult
from core.graph_contracts import GraphIndexOutcome
from core.settings import Settings
from tests.integration.neo4j_server import LocalNeo4j
from tools.graph import Neo4jGraphStore
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
    assert await index_knowledge_base(toolkit, tenant_id=tenant) > 30
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
