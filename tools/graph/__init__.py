"""The entity graph (GraphRAG): one :class:`GraphStore` interface, a Neo4j and an embedded SQL backend.

``build_graph_store(settings)`` picks the backend from ``TRIAGE_GRAPH``; entities are keyed (and
personal identifiers hashed) by :class:`EntityKeyer` before they reach either backend.
"""

from __future__ import annotations

from core.payload_keys import load_payload_keys
from core.settings import Settings
from core.sql import create_engine
from tools.graph.articles import LinkSummary, link_articles
from tools.graph.base import GraphStore, TicketNeighbourhood
from tools.graph.keys import EntityKeyer, derive_secret, normalise
from tools.graph.neo4j_store import Neo4jGraphStore
from tools.graph.sql_store import SqlGraphStore


def build_graph_store(settings: Settings) -> GraphStore:
    """The configured graph store (not yet set up: call ``await store.setup()``)."""
    if settings.graph == "neo4j":
        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else None
        return Neo4jGraphStore.connect(settings.neo4j_uri, settings.neo4j_user, password, settings.neo4j_database)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    return SqlGraphStore(create_engine(settings.sql_url))


def graph_secret(settings: Settings) -> bytes:
    """TRIAGE_GRAPH_HASH_KEY, or a key derived from the active payload key (the worker and the CLI
    must hash alike, so both take it from here)."""
    if settings.graph_hash_key is not None:
        return settings.graph_hash_key.get_secret_value().encode()
    keys = load_payload_keys(settings)
    return derive_secret(keys.raw()[keys.active])


__all__ = ["EntityKeyer", "GraphStore", "LinkSummary", "link_articles", "Neo4jGraphStore", "SqlGraphStore", "TicketNeighbourhood", "build_graph_store", "derive_secret", "graph_secret", "normalise"]
