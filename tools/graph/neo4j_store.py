"""The Neo4j graph backend over Bolt, with the official async ``neo4j`` driver.

Parameterised Cypher only (no value is ever formatted into a query), ``MERGE`` for idempotent
writes, and managed transactions (``execute_write``/``execute_read``), which the driver retries on
transient errors (deadlocks, leader switches) for up to ``max_transaction_retry_time``. A store that
cannot be reached surfaces as :class:`core.errors.StoreUnavailableError`, which Temporal retries
with the indexing workflow's policy.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, TypeVar

import neo4j
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from core.contracts import RelatedEntity
from core.errors import ConfigurationError, StoreUnavailableError
from core.graph_contracts import (
    ArticleGraphRecord,
    GraphContext,
    GraphEntityRef,
    RelatedTicketRef,
    TicketGraphRecord,
)
from tools.graph.base import (
    DEFAULT_LIMIT,
    NODE_LABELS,
    RELATIONSHIP_TYPES,
    TicketNeighbourhood,
    distinct,
    entity_uid,
    epoch_ms,
    link_seeds,
    from_epoch_ms,
    new_pairs,
    node_uid,
    rank_articles,
)

T = TypeVar("T")

SCHEMA = [
    *(f"CREATE CONSTRAINT {label.lower()}_uid IF NOT EXISTS FOR (n:{label}) REQUIRE n.uid IS UNIQUE" for label in NODE_LABELS),
    *(f"CREATE INDEX {label.lower()}_tenant IF NOT EXISTS FOR (n:{label}) ON (n.tenant_id)" for label in NODE_LABELS),
    "CREATE INDEX ticket_created IF NOT EXISTS FOR (n:Ticket) ON (n.created_at)",
]

_MERGE_TICKET = """
MERGE (t:Ticket {uid: $uid})
ON CREATE SET t.tenant_id = $tenant, t.ticket_id = $ticket_id, t.created_at = $created_at
SET t.status = $status, t.team = $team, t.customer_key = $customer_key
"""
_MERGE_CUSTOMER = """
MATCH (t:Ticket {uid: $uid})
MERGE (c:Customer {uid: $customer_uid})
ON CREATE SET c.tenant_id = $tenant, c.key = $customer_key
MERGE (c)-[r:RAISED]->(t)
ON CREATE SET r.tenant_id = $tenant
"""
_MERGE_TEAM = """
MATCH (t:Ticket {uid: $uid})
OPTIONAL MATCH (t)-[old:ROUTED_TO]->(other:Team) WHERE other.uid <> $team_uid
DELETE old
MERGE (m:Team {uid: $team_uid})
ON CREATE SET m.tenant_id = $tenant, m.name = $team
MERGE (t)-[r:ROUTED_TO]->(m)
ON CREATE SET r.tenant_id = $tenant
"""
_MERGE_MENTIONS = """
MATCH (s:{label} {{uid: $source_uid}})
UNWIND $entities AS e
MERGE (n:Entity {{uid: e.uid}})
ON CREATE SET n.tenant_id = $tenant, n.type = e.type, n.key = e.key, n.label = e.label, n.hashed = e.hashed
WITH s, n, e, EXISTS {{ (s)-[:MENTIONS]->(n) }} AS known
MERGE (s)-[m:MENTIONS]->(n)
ON CREATE SET m.tenant_id = $tenant, m.confidence = e.confidence
ON MATCH SET m.confidence = CASE WHEN e.confidence > m.confidence THEN e.confidence ELSE m.confidence END
RETURN n.uid AS uid, known
"""
_MERGE_CO_OCCURS = """
UNWIND $pairs AS pair
MATCH (a:Entity {uid: pair[0]}), (b:Entity {uid: pair[1]})
MERGE (a)-[c:CO_OCCURS]->(b)
ON CREATE SET c.tenant_id = $tenant, c.count = 1, c.last_seen = $created_at
ON MATCH SET c.count = c.count + 1, c.last_seen = CASE WHEN $created_at > c.last_seen THEN $created_at ELSE c.last_seen END
"""
_MERGE_RESOLVED_WITH = """
MATCH (t:Ticket {uid: $uid})
UNWIND $articles AS doc
MERGE (a:Article {uid: doc.uid})
ON CREATE SET a.tenant_id = $tenant, a.doc_id = doc.doc_id, a.title = ''
MERGE (t)-[r:RESOLVED_WITH]->(a)
ON CREATE SET r.tenant_id = $tenant
"""
_MERGE_ARTICLE = """
MERGE (a:Article {uid: $uid})
ON CREATE SET a.tenant_id = $tenant, a.doc_id = $doc_id
SET a.title = $title, a.content_hash = $content_hash
WITH a
OPTIONAL MATCH (a)-[old:MENTIONS]->(e:Entity) WHERE NOT e.uid IN $entity_uids
DELETE old
"""
_RELATED_ENTITIES = """
MATCH (s:Entity) WHERE s.uid IN $seeds
MATCH (s)<-[:MENTIONS]-(t:Ticket)-[:MENTIONS]->(e:Entity)
WHERE t.uid <> $exclude AND NOT e.uid IN $own
WITH e, count(DISTINCT t) AS shared, max(t.created_at) AS last_seen
RETURN e.type AS type, e.label AS label, e.hashed AS hashed, shared, last_seen
ORDER BY shared DESC, last_seen DESC, label
LIMIT $limit
"""
_RELATED_TICKETS = """
MATCH (s:Entity) WHERE s.uid IN $seeds
MATCH (s)<-[:MENTIONS]-(t:Ticket)
WHERE t.uid <> $exclude AND t.status = 'resolved'
WITH t, count(DISTINCT s) AS shared
ORDER BY shared DESC, t.created_at DESC, t.ticket_id
LIMIT $limit
OPTIONAL MATCH (t)-[:RESOLVED_WITH]->(a:Article)
WITH t, shared, a ORDER BY a.doc_id
RETURN t.ticket_id AS ticket_id, t.status AS status, t.created_at AS created_at, shared, collect(a.doc_id) AS resolved_with
ORDER BY shared DESC, created_at DESC, ticket_id
"""
_ARTICLES_DIRECT = """
MATCH (s:Entity)<-[:MENTIONS]-(a:Article) WHERE s.uid IN $seeds
RETURN a.doc_id AS doc_id, a.title AS title, count(DISTINCT s) AS n
"""
_ARTICLES_VIA_TICKETS = """
MATCH (s:Entity)<-[:MENTIONS]-(t:Ticket)-[:RESOLVED_WITH]->(a:Article)
WHERE s.uid IN $seeds AND t.uid <> $exclude
RETURN a.doc_id AS doc_id, a.title AS title, count(DISTINCT t) AS n
"""
_TICKET = """
MATCH (t:Ticket {uid: $uid})
OPTIONAL MATCH (t)-[m:MENTIONS]->(e:Entity)
WITH t, e, m ORDER BY e.type, e.key
WITH t, collect(CASE WHEN e IS NULL THEN NULL ELSE {type: e.type, key: e.key, label: e.label, hashed: e.hashed, confidence: m.confidence} END) AS entities
OPTIONAL MATCH (t)-[:RESOLVED_WITH]->(a:Article)
WITH t, entities, a ORDER BY a.doc_id
RETURN t {.ticket_id, .status, .team, .customer_key, .created_at} AS ticket, entities, collect(a.doc_id) AS resolved_with
"""


class Neo4jGraphStore:
    """:class:`tools.graph.base.GraphStore` on Neo4j (5.x community or later) over Bolt."""

    backend = "neo4j"

    def __init__(self, driver: neo4j.AsyncDriver, database: str | None = None) -> None:
        self._driver = driver
        self._database = database

    @classmethod
    def connect(cls, uri: str, user: str = "neo4j", password: str | None = None, database: str | None = None) -> "Neo4jGraphStore":
        """A store with its own driver (lazy: nothing is dialled until the first query)."""
        driver = neo4j.AsyncGraphDatabase.driver(
            uri,
            auth=(user, password) if password else None,
            max_transaction_retry_time=5.0,
            connection_acquisition_timeout=10.0,
            connection_timeout=5.0,
            max_connection_pool_size=20,
        )
        return cls(driver, database)

    async def _session_run(self, write: bool, work: Callable[[neo4j.AsyncManagedTransaction], Awaitable[T]]) -> T:
        try:
            async with self._driver.session(database=self._database) as session:
                if write:
                    return await session.execute_write(work)
                return await session.execute_read(work)
        except AuthError as exc:
            raise ConfigurationError(f"Neo4j refused the credentials: {exc.message}") from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            # No cause chain: the driver's nested connection errors make a failure too large for
            # Temporal to keep ("Failure exceeds size limit"), and the UI should say what is wrong.
            raise StoreUnavailableError(f"Neo4j unavailable: {type(exc).__name__}: {str(exc)[:300]}") from None
        except Neo4jError as exc:
            if exc.is_retryable():
                raise StoreUnavailableError(f"Neo4j transient error {exc.code}") from exc
            raise
        except DriverError as exc:
            raise StoreUnavailableError(f"Neo4j driver error: {type(exc).__name__}") from exc

    # ------------------------------------------------------------------ lifecycle
    async def setup(self) -> None:
        # Schema commands cannot share a transaction with each other; each is idempotent (IF NOT EXISTS).
        for statement in SCHEMA:
            async def create(tx: neo4j.AsyncManagedTransaction, query: str = statement) -> None:
                await (await tx.run(query)).consume()

            await self._session_run(True, create)

    async def ping(self) -> None:
        async def check(tx: neo4j.AsyncManagedTransaction) -> None:
            await (await tx.run("RETURN 1")).consume()

        await self._session_run(False, check)

    async def close(self) -> None:
        await self._driver.close()

    # ------------------------------------------------------------------ writes
    async def upsert_ticket(self, record: TicketGraphRecord) -> int:
        tenant = record.tenant_id
        uid = node_uid(tenant, "ticket", record.ticket_id)
        created = epoch_ms(record.created_at)
        entities = _entity_params(tenant, distinct(record.entities))

        async def work(tx: neo4j.AsyncManagedTransaction) -> int:
            params: dict[str, Any] = {
                "uid": uid, "tenant": tenant, "ticket_id": record.ticket_id, "created_at": created,
                "status": record.status, "team": record.team, "customer_key": record.customer_key,
            }
            await (await tx.run(_MERGE_TICKET, params)).consume()
            if record.customer_key:
                customer = {"uid": uid, "tenant": tenant, "customer_key": record.customer_key, "customer_uid": node_uid(tenant, "customer", record.customer_key)}
                await (await tx.run(_MERGE_CUSTOMER, customer)).consume()
            if record.team:
                team = {"uid": uid, "tenant": tenant, "team": record.team, "team_uid": node_uid(tenant, "team", record.team)}
                await (await tx.run(_MERGE_TEAM, team)).consume()
            new = await _merge_mentions(tx, "Ticket", tenant, uid, entities)
            pairs = new_pairs((e["uid"] for e in entities), new)
            if pairs:
                await (await tx.run(_MERGE_CO_OCCURS, {"pairs": [list(p) for p in pairs], "tenant": tenant, "created_at": created})).consume()
            if record.resolved_with:
                articles = [{"uid": node_uid(tenant, "article", d), "doc_id": d} for d in record.resolved_with]
                await (await tx.run(_MERGE_RESOLVED_WITH, {"uid": uid, "tenant": tenant, "articles": articles})).consume()
            return len(new)

        return await self._session_run(True, work)

    async def upsert_article(self, record: ArticleGraphRecord) -> int:
        tenant = record.tenant_id
        uid = node_uid(tenant, "article", record.doc_id)
        entities = _entity_params(tenant, distinct(record.entities))

        async def work(tx: neo4j.AsyncManagedTransaction) -> int:
            params = {
                "uid": uid, "tenant": tenant, "doc_id": record.doc_id, "title": record.title,
                "content_hash": record.content_hash, "entity_uids": [e["uid"] for e in entities],
            }
            await (await tx.run(_MERGE_ARTICLE, params)).consume()
            return len(await _merge_mentions(tx, "Article", tenant, uid, entities))

        return await self._session_run(True, work)

    async def article_hashes(self, tenant_id: str) -> dict[str, str]:
        async def work(tx: neo4j.AsyncManagedTransaction) -> dict[str, str]:
            query = "MATCH (a:Article {tenant_id: $tenant}) RETURN a.doc_id AS doc_id, a.content_hash AS content_hash"
            return {r["doc_id"]: r["content_hash"] or "" async for r in await tx.run(query, {"tenant": tenant_id})}

        return await self._session_run(False, work)

    # ------------------------------------------------------------------ reads
    async def context(
        self, tenant_id: str, entities: list[GraphEntityRef], *, exclude_ticket: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> GraphContext:
        seeds = link_seeds(entities)  # the customer's email and name, a date or an amount relate nothing
        if not seeds:
            return GraphContext()
        params = {
            "seeds": sorted({entity_uid(tenant_id, e) for e in seeds}),
            "own": sorted({entity_uid(tenant_id, e) for e in entities}),  # never "related" to itself, seed or not
            "exclude": node_uid(tenant_id, "ticket", exclude_ticket) if exclude_ticket else "",
            "limit": limit,
        }

        async def work(tx: neo4j.AsyncManagedTransaction) -> GraphContext:
            related_entities = [
                RelatedEntity(type=r["type"], label=r["label"], hashed=bool(r["hashed"]), shared_tickets=r["shared"], last_seen=from_epoch_ms(r["last_seen"]))
                async for r in await tx.run(_RELATED_ENTITIES, params)
            ]
            related_tickets = [
                RelatedTicketRef(
                    ticket_id=r["ticket_id"], status=r["status"], shared_entities=r["shared"],
                    created_at=from_epoch_ms(r["created_at"]), resolved_with=list(r["resolved_with"]),
                )
                async for r in await tx.run(_RELATED_TICKETS, params)
            ]
            direct = [(r["doc_id"], r["title"], r["n"]) async for r in await tx.run(_ARTICLES_DIRECT, params)]
            via = [(r["doc_id"], r["title"], r["n"]) async for r in await tx.run(_ARTICLES_VIA_TICKETS, params)]
            return GraphContext(
                related_entities=related_entities, related_tickets=related_tickets, related_articles=rank_articles(direct, via, limit)
            )

        return await self._session_run(False, work)

    async def ticket(self, tenant_id: str, ticket_id: str) -> TicketNeighbourhood | None:
        async def work(tx: neo4j.AsyncManagedTransaction) -> TicketNeighbourhood | None:
            record = await (await tx.run(_TICKET, {"uid": node_uid(tenant_id, "ticket", ticket_id)})).single()
            if record is None:
                return None
            ticket = record["ticket"]
            return TicketNeighbourhood(
                ticket_id=ticket["ticket_id"], status=ticket["status"], team=ticket["team"] or "",
                customer_key=ticket["customer_key"] or "", created_at=from_epoch_ms(ticket["created_at"]),
                entities=[GraphEntityRef.model_validate(e) for e in record["entities"]],
                resolved_with=list(record["resolved_with"]),
            )

        return await self._session_run(False, work)

    async def co_occurrence(self, tenant_id: str, a: GraphEntityRef, b: GraphEntityRef) -> int:
        first, second = sorted((entity_uid(tenant_id, a), entity_uid(tenant_id, b)))

        async def work(tx: neo4j.AsyncManagedTransaction) -> int:
            record = await (
                await tx.run("MATCH (:Entity {uid: $a})-[c:CO_OCCURS]->(:Entity {uid: $b}) RETURN c.count AS n", {"a": first, "b": second})
            ).single()
            return int(record["n"]) if record else 0

        return await self._session_run(False, work)

    async def counts(self, tenant_id: str) -> dict[str, int]:
        async def work(tx: neo4j.AsyncManagedTransaction) -> dict[str, int]:
            found: dict[str, int] = {name: 0 for name in (*NODE_LABELS, *RELATIONSHIP_TYPES)}
            async for r in await tx.run("MATCH (n {tenant_id: $tenant}) UNWIND labels(n) AS label RETURN label, count(*) AS n", {"tenant": tenant_id}):
                found[r["label"]] = r["n"]
            async for r in await tx.run("MATCH ()-[r {tenant_id: $tenant}]->() RETURN type(r) AS type, count(*) AS n", {"tenant": tenant_id}):
                found[r["type"]] = r["n"]
            return found

        return await self._session_run(False, work)

    async def dump(self, tenant_id: str) -> list[dict[str, object]]:
        async def work(tx: neo4j.AsyncManagedTransaction) -> list[dict[str, object]]:
            nodes = [
                {"labels": r["labels"], **r["props"]}
                async for r in await tx.run("MATCH (n {tenant_id: $tenant}) RETURN labels(n) AS labels, properties(n) AS props", {"tenant": tenant_id})
            ]
            relationships = [
                {"type": r["type"], **r["props"]}
                async for r in await tx.run("MATCH ()-[r {tenant_id: $tenant}]->() RETURN type(r) AS type, properties(r) AS props", {"tenant": tenant_id})
            ]
            return nodes + relationships

        return await self._session_run(False, work)

    async def delete_tenant(self, tenant_id: str) -> None:
        async def work(tx: neo4j.AsyncManagedTransaction) -> None:
            await (await tx.run("MATCH (n {tenant_id: $tenant}) DETACH DELETE n", {"tenant": tenant_id})).consume()

        await self._session_run(True, work)


def _entity_params(tenant: str, entities: list[GraphEntityRef]) -> list[dict[str, Any]]:
    return [
        {"uid": entity_uid(tenant, e), "type": e.type, "key": e.key, "label": e.label, "hashed": e.hashed, "confidence": e.confidence}
        for e in entities
    ]


async def _merge_mentions(
    tx: neo4j.AsyncManagedTransaction, label: str, tenant: str, source_uid: str, entities: list[dict[str, Any]]
) -> set[str]:
    """Merge entities and the source's mentions; the uids the source did not mention before.

    ``label`` (Ticket or Article, never input) names the source's label so the lookup uses its uid constraint.
    """
    if not entities:
        return set()
    result = await tx.run(_MERGE_MENTIONS.format(label=label), {"source_uid": source_uid, "tenant": tenant, "entities": entities})
    return {r["uid"] async for r in result if not r["known"]}
