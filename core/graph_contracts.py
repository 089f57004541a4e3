"""Contracts of the entity graph (GraphRAG), shared by the triage graph, the indexing workflow and the stores.

They live in core/ because ``workflows/indexing.py`` builds an :class:`TicketGraphRecord` from the
final triage state without importing anything of the worker. Entities arrive here already keyed:
a personal identifier (email, phone, PESEL, NIP, IBAN...) is a keyed hash computed on the worker
(:mod:`tools.graph.keys`), so neither Temporal history nor the graph store ever holds it in clear.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from core.contracts import RelatedEntity


class GraphEntityRef(BaseModel):
    """One entity as the graph knows it: ``(tenant, type, key)`` identifies the node."""

    type: str
    key: str = Field(description="Normalised value, or `h:<keyed hash>` for personal identifiers")
    label: str = Field(description="What a reader sees: the normalised value, or `<type>#<hash prefix>` when hashed")
    hashed: bool = False
    confidence: float = Field(1.0, ge=0, le=1)


class TicketGraphRecord(BaseModel):
    """Input of ``EntityIndexingWorkflow``: one triaged ticket and what it links to."""

    tenant_id: str
    ticket_id: str
    created_at: datetime
    status: str = "open"
    team: str = ""
    customer_key: str = Field("", description="Keyed hash of the customer's email; empty when unknown")
    entities: list[GraphEntityRef] = []
    resolved_with: list[str] = Field([], description="Article ids the ticket was resolved with")
    retry_max_interval_s: float = Field(60.0, gt=0, description="Longest wait between indexing attempts (the worker's setting)")


class ArticleGraphRecord(BaseModel):
    """A knowledge-base article and the entities it mentions."""

    tenant_id: str
    doc_id: str
    title: str = ""
    entities: list[GraphEntityRef] = []
    content_hash: str = Field("", description="What the entities were extracted from (text, extraction rules, hashing key): "
                              "an article whose stored hash matches is not extracted again")


class RelatedTicketRef(BaseModel):
    """A ticket that shares entities with this one."""

    ticket_id: str
    status: str
    shared_entities: int
    created_at: datetime | None = None
    resolved_with: list[str] = []


class RelatedArticleRef(BaseModel):
    """An article that mentions this ticket's entities, or resolved tickets that share them."""

    doc_id: str
    title: str = ""
    shared_entities: int = 0
    via_tickets: int = 0


class GraphContext(BaseModel):
    """What the graph knows around a ticket's entities (the ``graph_context`` node's output)."""

    related_entities: list[RelatedEntity] = []
    related_tickets: list[RelatedTicketRef] = []
    related_articles: list[RelatedArticleRef] = []
    error: str | None = Field(None, description="Why the graph could not be read (the triage goes on without it)")


class GraphIndexOutcome(BaseModel):
    """Result of ``EntityIndexingWorkflow``."""

    ticket_id: str
    entities: int
    new_mentions: int


def ticket_graph_record(state: dict[str, Any]) -> TicketGraphRecord | None:
    """The indexing input from a finished triage state; ``None`` when the graph step did not run.

    Pure (runs inside the workflow): every value comes from the state the nodes wrote.
    """
    graph = state.get("graph_keys")
    if not graph:
        return None
    request = state["request"]
    routing = state.get("routing", {})
    resolved = state.get("ticket_status") == "resolved"
    run = state.get("run", {})
    return TicketGraphRecord(
        tenant_id=request["tenant_id"],
        ticket_id=request["ticket_id"],
        created_at=datetime.fromisoformat(run.get("started_at") or state["finished_at"]),
        status=state.get("ticket_status") or "open",
        team=routing.get("team", ""),
        customer_key=graph.get("customer_key", ""),
        entities=[GraphEntityRef.model_validate(e) for e in graph.get("entities", [])],
        resolved_with=[c["doc_id"] for c in state.get("citations", [])[:1]] if resolved else [],
        retry_max_interval_s=graph.get("retry_max_interval_s", 60.0),
    )
