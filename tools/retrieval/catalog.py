"""The three searchable collections, by the names the API uses (seed 002)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Mapping

from tools.embeddings import Embedder
from core.errors import InvalidInputError
from tools.retrieval.hybrid import HybridCollection
from tools.retrieval.store import ChromaKnowledgeStore

CollectionName = Literal["knowledge_base", "runbooks", "tickets"]
COLLECTIONS: tuple[str, ...] = ("knowledge_base", "runbooks", "tickets")


class RetrievalCatalog:
    """knowledge_base, runbooks and tickets, each a :class:`HybridCollection` on one Chroma client.

    ``physical_names`` maps the API names to Chroma collection names (settings can prefix them, so
    several deployments or test runs can share one Chroma server); their BM25 indexes are tables
    of the SQLite file ``lexical_db`` (in memory when ``None``).
    """

    def __init__(
        self,
        client: Any,
        embedder: Embedder,
        lexical_db: Path | None,
        physical_names: Mapping[str, str] | None = None,
    ) -> None:
        names = {name: name for name in COLLECTIONS} | dict(physical_names or {})
        self._collections = {
            name: HybridCollection(ChromaKnowledgeStore(client, embedder, names[name]), lexical_db) for name in COLLECTIONS
        }

    def collection(self, name: str) -> HybridCollection:
        try:
            return self._collections[name]
        except KeyError:
            raise InvalidInputError(f"unknown collection {name!r}; use one of {', '.join(COLLECTIONS)}", code="unknown_collection") from None

    def items(self) -> list[tuple[str, HybridCollection]]:
        return list(self._collections.items())
