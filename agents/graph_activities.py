"""Worker side of the entity graph: the triage graph's ``graph_context`` node, the indexing
activity of :class:`workflows.indexing.EntityIndexingWorkflow`, knowledge-base article linking,
and seed 000's ticket register row.

The graph store is optional at run time: when it is down, ``graph_context`` answers with an empty
context (and says why) so the triage goes on, while the indexing workflow keeps retrying.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Iterable

from temporalio import activity

from agents.registry import TriageToolkit, get_toolkit
from core.errors import StoreUnavailableError
from core.graph_contracts import GraphContext, GraphEntityRef, GraphIndexOutcome, TicketGraphRecord
from core.triage_state import TriageState, request_of
from tools.graph import EntityKeyer, GraphStore, LinkSummary, link_articles
from tools.graph.articles import confident_refs
from tools.drafting import ticket_identifiers
from tools.retrieval import load_documents
from tools.ticket_register import ai_response_text
from core.graphs import INDEX_TICKET_ACTIVITY

log = logging.getLogger("triage.graph")

CONTEXT_TIME_BUDGET_S = 2.0
"""Longest the triage waits for the graph; past it the draft goes on without graph context. Below the
activity heartbeat timeout (5 s): a store that is down must not look like a crashed worker."""

_ready: set[int] = set()
_ready_lock = asyncio.Lock()


async def ready_store(toolkit: TriageToolkit) -> GraphStore | None:
    """The toolkit's graph store, its schema set up once per process (retried while it fails)."""
    store = toolkit.graph
    if store is None or id(store) in _ready:
        return store
    async with _ready_lock:
        if id(store) not in _ready:
            await store.setup()
            _ready.add(id(store))
    return store


def entity_refs(keyer: EntityKeyer, entities: Iterable[dict[str, Any]]) -> list[GraphEntityRef]:
    """Graph references of extracted entities (``Entity`` dicts), confident ones only."""
    return confident_refs(keyer, ((e["type"], e["value"], e["confidence"]) for e in entities))


async def graph_context(state: TriageState) -> dict[str, Any]:
    """The ticket's entities as graph keys (personal ones hashed), and what the graph knows around
    them: related entities ranked by shared tickets and recency, related resolved tickets and articles."""
    toolkit = get_toolkit()
    if toolkit.graph is None or toolkit.entity_keyer is None:
        return {"graph_context": GraphContext().model_dump(mode="json")}
    request = request_of(state)
    keyer = toolkit.entity_keyer
    refs = entity_refs(keyer, state.get("entities", []))
    keys = {
        "entities": [r.model_dump() for r in refs],
        "customer_key": keyer.hash("email", request.customer_email) if request.customer_email else "",
        "retry_max_interval_s": toolkit.settings.graph_index_max_interval_s,
    }


    async def lookup() -> GraphContext:
        store = await ready_store(toolkit)
        assert store is not None
        return await store.context(request.tenant_id, refs, exclude_ticket=request.ticket_id, limit=toolkit.settings.graph_related_limit)

    try:
        context = await asyncio.wait_for(lookup(), CONTEXT_TIME_BUDGET_S)
    except (StoreUnavailableError, asyncio.TimeoutError) as exc:
        reason = str(exc) or "graph store did not answer in time"
        log.warning("graph context of %s skipped: %s", request.ticket_id, reason)
        context = GraphContext(error=reason)
    return {"graph_keys": keys, "graph_context": context.model_dump(mode="json")}


@activity.defn(name=INDEX_TICKET_ACTIVITY)
async def index_ticket_graph(record: TicketGraphRecord) -> GraphIndexOutcome:
    """Merge one triaged ticket into the graph store (idempotent; retried by the workflow while the store is down)."""
    store = await ready_store(get_toolkit())
    if store is None:
        return GraphIndexOutcome(ticket_id=record.ticket_id, entities=0, new_mentions=0)
    new = await store.upsert_ticket(record)
    return GraphIndexOutcome(ticket_id=record.ticket_id, entities=len(record.entities), new_mentions=new)


async def index_knowledge_base(toolkit: TriageToolkit, tenant_id: str | None = None) -> LinkSummary:
    """Link the demo knowledge-base articles to the entities they mention.

    Idempotent by content: an article whose text (and the extraction rules and hashing key) is
    unchanged since it was linked is skipped without running entity extraction again, so a worker
    restart costs one read of the stored hashes. The worker runs it in the background at start; a
    graph store that is down is logged and left for the next start (ticket indexing does not depend on it).
    """
    store = await ready_store(toolkit)
    keyer = toolkit.entity_keyer
    if store is None or keyer is None or not toolkit.settings.kb_dir.exists():
        return LinkSummary(linked=0, unchanged=0, mentions=0)
    tenant = tenant_id or toolkit.settings.default_tenant
    return await link_articles(store, keyer, toolkit.entity_extractor.extract, tenant, load_documents(toolkit.settings.kb_dir))


async def index_knowledge_base_in_background(toolkit: TriageToolkit) -> None:
    """:func:`index_knowledge_base` for ``worker.py``: failures are logged, never raised."""
    try:
        summary = await index_knowledge_base(toolkit)
        log.info("graph: knowledge-base articles linked to their entities: %d extracted, %d unchanged", summary.linked, summary.unchanged)
    except Exception as exc:  # noqa: BLE001 - a background task must not take the worker down
        log.warning("graph: knowledge-base articles not linked (%s: %s); the next start retries", type(exc).__name__, exc)


def register_ticket(state: TriageState, description_redacted: str) -> int:
    """Seed 000's numbered row for this ticket (record step); its number."""
    toolkit = get_toolkit()
    register = toolkit.ticket_register
    if register is None:
        return 0
    request = request_of(state)
    return register.record(
        tenant_id=request.tenant_id,
        ticket_id=request.ticket_id,
        user_description=description_redacted,
        category=state["classification"]["category"],
        ai_response=ai_response_text(
            state["answer_draft"],
            # the list names what the draft may name: nothing for a ticket without an error code or host of its own
            state.get("graph_context", {}).get("related_entities", []) if ticket_identifiers(state.get("entities", [])) else [],
            state["classification"].get("language", "en"),
        ),
        confidence_score=state["routing"]["confidence"],
    )


__all__ = ["graph_context", "index_knowledge_base", "index_knowledge_base_in_background", "index_ticket_graph", "register_ticket"]
