"""The embedded graph backend: the same model in tables of the project's SQL database.

Used when ``TRIAGE_GRAPH=sql`` (the default): SQLite in ``var/`` on a laptop, PostgreSQL in
production, nothing else to run. Nodes are rows keyed by the same ids as the Neo4j backend's
``uid`` property; ``RAISED`` and ``ROUTED_TO`` are columns of the ticket row (a ticket has one
customer and one team). Neighbourhood queries are two self-joins of ``graph_mentions``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from core.contracts import RelatedEntity
from core.errors import StoreUnavailableError
from core.graph_contracts import (
    ArticleGraphRecord,
    GraphContext,
    GraphEntityRef,
    RelatedArticleRef,
    RelatedTicketRef,
    TicketGraphRecord,
)
from tools.graph.base import (
    DEFAULT_LIMIT,
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
_metadata = sa.MetaData()

graph_entities = sa.Table(
    "graph_entities", _metadata,
    sa.Column("uid", sa.String(600), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False, index=True),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("key", sa.String(500), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("hashed", sa.Boolean, nullable=False, default=False),
)
graph_tickets = sa.Table(
    "graph_tickets", _metadata,
    sa.Column("uid", sa.String(600), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False, index=True),
    sa.Column("ticket_id", sa.String(200), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("team", sa.String(128), nullable=False, default=""),
    sa.Column("customer_key", sa.String(200), nullable=False, default=""),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)
graph_articles = sa.Table(
    "graph_articles", _metadata,
    sa.Column("uid", sa.String(600), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False, index=True),
    sa.Column("doc_id", sa.String(200), nullable=False),
    sa.Column("title", sa.String(500), nullable=False, default=""),
    sa.Column("content_hash", sa.String(64), nullable=False, default="", server_default=""),
)
graph_customers = sa.Table(
    "graph_customers", _metadata,
    sa.Column("uid", sa.String(600), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False, index=True),
    sa.Column("key", sa.String(200), nullable=False),
)
graph_teams = sa.Table(
    "graph_teams", _metadata,
    sa.Column("uid", sa.String(600), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False, index=True),
    sa.Column("name", sa.String(128), nullable=False),
)
graph_mentions = sa.Table(
    "graph_mentions", _metadata,
    sa.Column("source_uid", sa.String(600), primary_key=True),
    sa.Column("entity_uid", sa.String(600), primary_key=True),
    sa.Column("source_kind", sa.String(8), nullable=False),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False, default=1.0),
    sa.Index("ix_graph_mentions_entity", "entity_uid", "source_kind"),
)
graph_resolved_with = sa.Table(
    "graph_resolved_with", _metadata,
    sa.Column("ticket_uid", sa.String(600), primary_key=True),
    sa.Column("article_uid", sa.String(600), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False, index=True),
)
graph_co_occurs = sa.Table(
    "graph_co_occurs", _metadata,
    sa.Column("a_uid", sa.String(600), primary_key=True),
    sa.Column("b_uid", sa.String(600), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False, index=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("last_seen", sa.BigInteger, nullable=False),
)
_TABLES = (graph_entities, graph_tickets, graph_articles, graph_customers, graph_teams, graph_mentions, graph_resolved_with, graph_co_occurs)


class SqlGraphStore:
    """:class:`tools.graph.base.GraphStore` on a SQLAlchemy engine (``core.sql.create_engine``)."""

    backend = "sql"

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"the SQL graph store supports SQLite and PostgreSQL, not {dialect}")
        self._insert = sqlite.insert if dialect == "sqlite" else postgresql.insert

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        try:
            return await asyncio.to_thread(function, *args)
        except sa.exc.OperationalError as exc:
            raise StoreUnavailableError(f"graph database unavailable: {type(exc).__name__}") from exc

    # ------------------------------------------------------------------ lifecycle
    async def setup(self) -> None:
        await self._run(self._create)

    def _create(self) -> None:
        _metadata.create_all(self._engine)
        # Stores created before articles carried a content hash get the column (create_all adds no columns).
        if "content_hash" not in {c["name"] for c in sa.inspect(self._engine).get_columns("graph_articles")}:
            with self._engine.begin() as connection:
                connection.execute(sa.text("ALTER TABLE graph_articles ADD COLUMN content_hash VARCHAR(64) NOT NULL DEFAULT ''"))

    async def ping(self) -> None:
        def check() -> None:
            with self._engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))

        await self._run(check)

    async def close(self) -> None:
        self._engine.dispose()

    # ------------------------------------------------------------------ writes
    async def upsert_ticket(self, record: TicketGraphRecord) -> int:
        return await self._run(self._upsert_ticket, record)

    def _upsert_ticket(self, record: TicketGraphRecord) -> int:
        tenant = record.tenant_id
        uid = node_uid(tenant, "ticket", record.ticket_id)
        created = epoch_ms(record.created_at)
        with self._engine.begin() as connection:
            insert = self._insert(graph_tickets).values(
                uid=uid, tenant_id=tenant, ticket_id=record.ticket_id, status=record.status,
                team=record.team, customer_key=record.customer_key, created_at=created,
            )
            connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["uid"],
                    set_={"status": record.status, "team": record.team, "customer_key": record.customer_key},
                )
            )
            if record.customer_key:
                self._ignore(connection, graph_customers, uid=node_uid(tenant, "customer", record.customer_key), tenant_id=tenant, key=record.customer_key)
            if record.team:
                self._ignore(connection, graph_teams, uid=node_uid(tenant, "team", record.team), tenant_id=tenant, name=record.team)
            new = self._mentions(connection, tenant, uid, "ticket", distinct(record.entities))
            all_uids = [entity_uid(tenant, e) for e in record.entities]
            for a, b in new_pairs(all_uids, new):
                upsert = self._insert(graph_co_occurs).values(a_uid=a, b_uid=b, tenant_id=tenant, count=1, last_seen=created)
                connection.execute(
                    upsert.on_conflict_do_update(
                        index_elements=["a_uid", "b_uid"],
                        set_={
                            "count": graph_co_occurs.c.count + 1,
                            "last_seen": sa.case((graph_co_occurs.c.last_seen < created, created), else_=graph_co_occurs.c.last_seen),
                        },
                    )
                )
            for doc_id in record.resolved_with:
                article = node_uid(tenant, "article", doc_id)
                self._ignore(connection, graph_articles, uid=article, tenant_id=tenant, doc_id=doc_id, title="")
                self._ignore(connection, graph_resolved_with, ticket_uid=uid, article_uid=article, tenant_id=tenant)
        return len(new)

    async def upsert_article(self, record: ArticleGraphRecord) -> int:
        return await self._run(self._upsert_article, record)

    def _upsert_article(self, record: ArticleGraphRecord) -> int:
        tenant = record.tenant_id
        uid = node_uid(tenant, "article", record.doc_id)
        entities = distinct(record.entities)
        with self._engine.begin() as connection:
            insert = self._insert(graph_articles).values(
                uid=uid, tenant_id=tenant, doc_id=record.doc_id, title=record.title, content_hash=record.content_hash
            )
            connection.execute(
                insert.on_conflict_do_update(index_elements=["uid"], set_={"title": record.title, "content_hash": record.content_hash})
            )
            connection.execute(
                graph_mentions.delete().where(
                    graph_mentions.c.source_uid == uid, graph_mentions.c.entity_uid.not_in([entity_uid(tenant, e) for e in entities])
                )
            )
            return len(self._mentions(connection, tenant, uid, "article", entities))

    async def article_hashes(self, tenant_id: str) -> dict[str, str]:
        def read() -> dict[str, str]:
            with self._engine.connect() as connection:
                rows = connection.execute(
                    sa.select(graph_articles.c.doc_id, graph_articles.c.content_hash).where(graph_articles.c.tenant_id == tenant_id)
                )
                return {row.doc_id: row.content_hash or "" for row in rows}

        return await self._run(read)

    def _ignore(self, connection: sa.Connection, table: sa.Table, **values: Any) -> None:
        connection.execute(self._insert(table).values(**values).on_conflict_do_nothing())

    def _mentions(self, connection: sa.Connection, tenant: str, source_uid: str, kind: str, entities: list[GraphEntityRef]) -> set[str]:
        """Merge entities and the source's mentions of them; returns the uids newly mentioned."""
        known = {
            row.entity_uid: row.confidence
            for row in connection.execute(
                sa.select(graph_mentions.c.entity_uid, graph_mentions.c.confidence).where(graph_mentions.c.source_uid == source_uid)
            )
        }
        new: set[str] = set()
        for entity in entities:
            uid = entity_uid(tenant, entity)
            self._ignore(
                connection, graph_entities, uid=uid, tenant_id=tenant, type=entity.type, key=entity.key, label=entity.label, hashed=entity.hashed
            )
            if uid not in known:
                connection.execute(
                    graph_mentions.insert().values(
                        source_uid=source_uid, entity_uid=uid, source_kind=kind, tenant_id=tenant, confidence=entity.confidence
                    )
                )
                new.add(uid)
            elif entity.confidence > known[uid]:
                connection.execute(
                    graph_mentions.update()
                    .where(graph_mentions.c.source_uid == source_uid, graph_mentions.c.entity_uid == uid)
                    .values(confidence=entity.confidence)
                )
        return new

    # ------------------------------------------------------------------ reads
    async def context(
        self, tenant_id: str, entities: list[GraphEntityRef], *, exclude_ticket: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> GraphContext:
        seeds = link_seeds(entities)  # the customer's email and name, a date or an amount relate nothing
        if not seeds:
            return GraphContext()
        return await self._run(self._context, tenant_id, seeds, entities, exclude_ticket, limit)

    def _context(
        self, tenant: str, entities: list[GraphEntityRef], own_entities: list[GraphEntityRef], exclude_ticket: str | None, limit: int
    ) -> GraphContext:
        seeds = sorted({entity_uid(tenant, e) for e in entities})
        own = sorted({entity_uid(tenant, e) for e in own_entities})  # never "related" to itself, seed or not
        exclude = node_uid(tenant, "ticket", exclude_ticket) if exclude_ticket else ""
        seed_m = graph_mentions.alias("seed_m")
        other_m = graph_mentions.alias("other_m")
        t = graph_tickets
        with self._engine.connect() as connection:
            # Entities of the tickets that mention a seed (seed <- ticket -> entity), by shared tickets then recency.
            shared = sa.func.count(sa.distinct(t.c.uid)).label("shared")
            last_seen = sa.func.max(t.c.created_at).label("last_seen")
            rows = connection.execute(
                sa.select(graph_entities.c.type, graph_entities.c.label, graph_entities.c.hashed, shared, last_seen)
                .select_from(
                    seed_m.join(t, t.c.uid == seed_m.c.source_uid)
                    .join(other_m, other_m.c.source_uid == t.c.uid)
                    .join(graph_entities, graph_entities.c.uid == other_m.c.entity_uid)
                )
                .where(seed_m.c.entity_uid.in_(seeds), t.c.uid != exclude, other_m.c.entity_uid.not_in(own))
                .group_by(graph_entities.c.uid, graph_entities.c.type, graph_entities.c.label, graph_entities.c.hashed)
                .order_by(shared.desc(), last_seen.desc(), graph_entities.c.label)
                .limit(limit)
            ).all()
            related_entities = [
                RelatedEntity(type=r.type, label=r.label, hashed=bool(r.hashed), shared_tickets=r.shared, last_seen=from_epoch_ms(r.last_seen))
                for r in rows
            ]
            shared_seeds = sa.func.count(sa.distinct(seed_m.c.entity_uid)).label("shared")
            rows = connection.execute(
                sa.select(t.c.uid, t.c.ticket_id, t.c.status, t.c.created_at, shared_seeds)
                .select_from(seed_m.join(t, t.c.uid == seed_m.c.source_uid))
                .where(seed_m.c.entity_uid.in_(seeds), t.c.uid != exclude, t.c.status == "resolved")
                .group_by(t.c.uid, t.c.ticket_id, t.c.status, t.c.created_at)
                .order_by(shared_seeds.desc(), t.c.created_at.desc(), t.c.ticket_id)
                .limit(limit)
            ).all()
            resolved_with = self._resolved_with(connection, [r.uid for r in rows])
            related_tickets = [
                RelatedTicketRef(
                    ticket_id=r.ticket_id, status=r.status, shared_entities=r.shared,
                    created_at=from_epoch_ms(r.created_at), resolved_with=resolved_with.get(r.uid, []),
                )
                for r in rows
            ]
            related_articles = self._related_articles(connection, seeds, exclude, limit)
        return GraphContext(related_entities=related_entities, related_tickets=related_tickets, related_articles=related_articles)

    def _resolved_with(self, connection: sa.Connection, ticket_uids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        if not ticket_uids:
            return found
        rows = connection.execute(
            sa.select(graph_resolved_with.c.ticket_uid, graph_articles.c.doc_id)
            .join(graph_articles, graph_articles.c.uid == graph_resolved_with.c.article_uid)
            .where(graph_resolved_with.c.ticket_uid.in_(ticket_uids))
            .order_by(graph_articles.c.doc_id)
        )
        for row in rows:
            found.setdefault(row.ticket_uid, []).append(row.doc_id)
        return found

    def _related_articles(self, connection: sa.Connection, seeds: list[str], exclude: str, limit: int) -> list[RelatedArticleRef]:
        m = graph_mentions
        a = graph_articles
        direct = connection.execute(
            sa.select(a.c.doc_id, a.c.title, sa.func.count(sa.distinct(m.c.entity_uid)).label("n"))
            .join(a, a.c.uid == m.c.source_uid)
            .where(m.c.entity_uid.in_(seeds), m.c.source_kind == "article")
            .group_by(a.c.doc_id, a.c.title)
        ).all()
        via = connection.execute(
            sa.select(a.c.doc_id, a.c.title, sa.func.count(sa.distinct(m.c.source_uid)).label("n"))
            .select_from(
                m.join(graph_resolved_with, graph_resolved_with.c.ticket_uid == m.c.source_uid).join(
                    a, a.c.uid == graph_resolved_with.c.article_uid
                )
            )
            .where(m.c.entity_uid.in_(seeds), m.c.source_kind == "ticket", m.c.source_uid != exclude)
            .group_by(a.c.doc_id, a.c.title)
        ).all()
        return rank_articles([tuple(r) for r in direct], [tuple(r) for r in via], limit)

    async def ticket(self, tenant_id: str, ticket_id: str) -> TicketNeighbourhood | None:
        return await self._run(self._ticket, tenant_id, ticket_id)

    def _ticket(self, tenant: str, ticket_id: str) -> TicketNeighbourhood | None:
        uid = node_uid(tenant, "ticket", ticket_id)
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(graph_tickets).where(graph_tickets.c.uid == uid)).first()
            if row is None:
                return None
            entities = [
                GraphEntityRef(type=r.type, key=r.key, label=r.label, hashed=bool(r.hashed), confidence=r.confidence)
                for r in connection.execute(
                    sa.select(graph_entities.c.type, graph_entities.c.key, graph_entities.c.label, graph_entities.c.hashed, graph_mentions.c.confidence)
                    .join(graph_entities, graph_entities.c.uid == graph_mentions.c.entity_uid)
                    .where(graph_mentions.c.source_uid == uid)
                    .order_by(graph_entities.c.type, graph_entities.c.key)
                )
            ]
            return TicketNeighbourhood(
                ticket_id=row.ticket_id, status=row.status, team=row.team, customer_key=row.customer_key,
                created_at=from_epoch_ms(row.created_at), entities=entities,
                resolved_with=self._resolved_with(connection, [uid]).get(uid, []),
            )

    async def co_occurrence(self, tenant_id: str, a: GraphEntityRef, b: GraphEntityRef) -> int:
        first, second = sorted((entity_uid(tenant_id, a), entity_uid(tenant_id, b)))

        def read() -> int:
            with self._engine.connect() as connection:
                count = connection.execute(
                    sa.select(graph_co_occurs.c.count).where(graph_co_occurs.c.a_uid == first, graph_co_occurs.c.b_uid == second)
                ).scalar()
                return int(count or 0)

        return await self._run(read)

    async def counts(self, tenant_id: str) -> dict[str, int]:
        def read() -> dict[str, int]:
            with self._engine.connect() as connection:
                def n(table: sa.Table, *where: Any) -> int:
                    return int(connection.execute(sa.select(sa.func.count()).select_from(table).where(table.c.tenant_id == tenant_id, *where)).scalar() or 0)

                return {
                    "Ticket": n(graph_tickets),
                    "Article": n(graph_articles),
                    "Customer": n(graph_customers),
                    "Entity": n(graph_entities),
                    "Team": n(graph_teams),
                    "MENTIONS": n(graph_mentions),
                    "RAISED": n(graph_tickets, graph_tickets.c.customer_key != ""),
                    "RESOLVED_WITH": n(graph_resolved_with),
                    "ROUTED_TO": n(graph_tickets, graph_tickets.c.team != ""),
                    "CO_OCCURS": n(graph_co_occurs),
                }

        return await self._run(read)

    async def dump(self, tenant_id: str) -> list[dict[str, object]]:
        def read() -> list[dict[str, object]]:
            with self._engine.connect() as connection:
                return [
                    {"table": table.name, **row._asdict()}
                    for table in _TABLES
                    for row in connection.execute(sa.select(table).where(table.c.tenant_id == tenant_id))
                ]

        return await self._run(read)

    async def delete_tenant(self, tenant_id: str) -> None:
        def delete() -> None:
            with self._engine.begin() as connection:
                for table in _TABLES:
                    connection.execute(table.delete().where(table.c.tenant_id == tenant_id))

        await self._run(delete)

