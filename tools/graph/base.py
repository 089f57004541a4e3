"""The ``GraphStore`` interface both backends implement, and the helpers they share.

Model (every node and relationship carries ``tenant_id``; one tenant's graph never links to
another's because every node id includes the tenant)::

    (Customer)-[:RAISED]->(Ticket)-[:MENTIONS {confidence}]->(Entity {type, key, label, hashed})
    (Article)-[:MENTIONS]->(Entity)          (Ticket)-[:RESOLVED_WITH]->(Article)
    (Ticket)-[:ROUTED_TO]->(Team)            (Entity)-[:CO_OCCURS {count, last_seen}]->(Entity)

Writes are idempotent: a re-indexed ticket adds only the mentions it did not have, and a
``CO_OCCURS`` count grows once per ticket that mentions both entities (only pairs with a new
mention are counted), so a retried indexing activity changes nothing.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Protocol, runtime_checkable

from core.graph_contracts import ArticleGraphRecord, GraphContext, GraphEntityRef, RelatedArticleRef, TicketGraphRecord

DEFAULT_LIMIT = 8
NODE_LABELS = ("Ticket", "Article", "Customer", "Entity", "Team")
RELATIONSHIP_TYPES = ("MENTIONS", "RAISED", "RESOLVED_WITH", "ROUTED_TO", "CO_OCCURS")
LINK_TYPES = frozenset({"error_code", "hostname", "software", "version"})
"""Entity types through which a ticket reaches other tickets, their entities and articles: what
identifies the *problem*. Personal identifiers identify the customer (every ticket of one customer
carries its email and name), and dates, amounts, organisations, places, order/ticket ids, URLs and
paths are shared by unrelated tickets (the customer's company, "today", a price), so a billing
ticket would inherit the VPN error code of the same customer's earlier ticket. Those entities are
still stored, and may appear among the related entities of a ticket linked by a problem identifier."""


@dataclass(frozen=True)
class TicketNeighbourhood:
    """One ticket as stored, with what it links to (for inspection and tests)."""

    ticket_id: str
    status: str
    team: str
    customer_key: str
    created_at: datetime | None
    entities: list[GraphEntityRef] = field(default_factory=list)
    resolved_with: list[str] = field(default_factory=list)


@runtime_checkable
class GraphStore(Protocol):
    """The entity graph of triaged tickets and knowledge-base articles."""

    backend: str

    async def setup(self) -> None:
        """Create constraints, indexes (or tables) idempotently; called once per process at start."""

    async def ping(self) -> None:
        """Raise :class:`core.errors.StoreUnavailableError` when the store cannot be reached."""

    async def upsert_ticket(self, record: TicketGraphRecord) -> int:
        """Merge the ticket, its customer, team, entities and resolving articles; returns the new mentions."""

    async def upsert_article(self, record: ArticleGraphRecord) -> int:
        """Merge an article and the entities it mentions (mentions it no longer has are removed, so a
        changed article is re-linked, not accumulated) and store its ``content_hash``; returns the new mentions."""

    async def article_hashes(self, tenant_id: str) -> dict[str, str]:
        """``doc_id -> content_hash`` of the tenant's linked articles (empty hash: created by a ticket, never linked)."""

    async def context(
        self, tenant_id: str, entities: list[GraphEntityRef], *, exclude_ticket: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> GraphContext:
        """The 1-2 hop neighbourhood of ``entities`` (their :func:`link_seeds`: problem identifiers,
        nothing personal): related entities ranked by shared tickets then recency, resolved tickets
        sharing them, and articles that mention them or resolved those tickets."""

    async def ticket(self, tenant_id: str, ticket_id: str) -> TicketNeighbourhood | None:
        """The stored ticket and its links, or ``None``."""

    async def co_occurrence(self, tenant_id: str, a: GraphEntityRef, b: GraphEntityRef) -> int:
        """How many tickets mention both entities (the ``CO_OCCURS`` count)."""

    async def counts(self, tenant_id: str) -> dict[str, int]:
        """Nodes per label and relationships per type of one tenant."""

    async def dump(self, tenant_id: str) -> list[dict[str, object]]:
        """Every property of every node and relationship of one tenant (audits: no clear PII)."""

    async def delete_tenant(self, tenant_id: str) -> None:
        """Remove one tenant's graph."""

    async def close(self) -> None:
        """Release connections."""


def node_uid(tenant_id: str, *parts: str) -> str:
    """Unambiguous id of a node within the whole store (tenant ids may contain any character)."""
    return json.dumps([tenant_id, *parts], ensure_ascii=False, separators=(",", ":"))


def entity_uid(tenant_id: str, entity: GraphEntityRef) -> str:
    return node_uid(tenant_id, "entity", entity.type, entity.key)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch (naive datetimes are taken as UTC): both backends store recency so."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def from_epoch_ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=timezone.utc)


def new_pairs(all_ids: Iterable[str], new_ids: set[str]) -> list[tuple[str, str]]:
    """Unordered pairs (as sorted tuples) of a ticket's entities that involve at least one new mention."""
    ordered = sorted(set(all_ids))
    return [(a, b) for a, b in itertools.combinations(ordered, 2) if a in new_ids or b in new_ids]


def distinct(entities: Iterable[GraphEntityRef]) -> list[GraphEntityRef]:
    """One reference per ``(type, key)``, the highest confidence kept."""
    found: dict[tuple[str, str], GraphEntityRef] = {}
    for entity in entities:
        known = found.get((entity.type, entity.key))
        if known is None or entity.confidence > known.confidence:
            found[(entity.type, entity.key)] = entity
    return list(found.values())


def link_seeds(entities: Iterable[GraphEntityRef]) -> list[GraphEntityRef]:
    """The entities a neighbourhood lookup starts from: :data:`LINK_TYPES` only, never a hashed
    (personal) one. Both backends apply it in ``context``, so neither can relate tickets through the customer."""
    return [e for e in entities if e.type in LINK_TYPES and not e.hashed]


def rank_articles(direct: Iterable[tuple[str, str, int]], via: Iterable[tuple[str, str, int]], limit: int) -> list[RelatedArticleRef]:
    """Articles ranked by the seed entities they mention plus the related tickets they resolved.

    ``direct`` and ``via`` are ``(doc_id, title, count)`` rows of the two backends' queries.
    """
    ranked: dict[str, RelatedArticleRef] = {}
    for doc_id, title, count in direct:
        ranked[doc_id] = RelatedArticleRef(doc_id=doc_id, title=title or "", shared_entities=count)
    for doc_id, title, count in via:
        known = ranked.get(doc_id) or RelatedArticleRef(doc_id=doc_id, title=title or "")
        ranked[doc_id] = known.model_copy(update={"via_tickets": count, "title": known.title or title or ""})
    return sorted(ranked.values(), key=lambda a: (-(a.shared_entities + a.via_tickets), a.doc_id))[:limit]
