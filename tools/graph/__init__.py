"""The entity graph (GraphRAG): one :class:`GraphStore` interface, a Neo4j and an embedded SQL backend.

``build_graph_store(settings)`` picks the backend from ``TRIAGE_GRAPH``; entities are keyed (and
personal identifiers hashed) by :class:`EntityKeyer` before they reach either backend.
"""

from __future__ import annotations

from core.settings import Settings
from core.sql import create_engine
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


__all__ = ["EntityKeyer", "GraphStore", "Neo4jGraphStore", "SqlGraphStore", "TicketNeighbourhood", "build_graph_store", "derive_secret", "normalise"]
