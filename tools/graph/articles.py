"""Knowledge-base articles linked to the entities they mention, extracted once per content.

Entity extraction (Presidio + spaCy) is the expensive part of linking: ~40 articles cost seconds
of CPU on every worker start and every ``triage-desk ingest``. Each linked article therefore keeps
a content hash in the graph (its text, the extraction rules' version and the hashing key's
fingerprint), and an article whose stored hash matches is skipped without extracting. A changed
article is extracted again and its mentions replaced.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from core.graph_contracts import ArticleGraphRecord, GraphEntityRef
from tools.graph.base import GraphStore
from tools.graph.keys import EntityKeyer

MIN_ENTITY_CONFIDENCE = 0.5
"""Entities below this (NER guesses, numbers failing their checksum without context) stay out of the graph."""
LINKING_VERSION = "1"
"""Bump when extraction or keying rules change: every article's hash changes, so all are linked again."""


@dataclass(frozen=True)
class LinkSummary:
    """What one linking pass did."""

    linked: int
    unchanged: int
    mentions: int

    @property
    def documents(self) -> int:
        return self.linked + self.unchanged


def confident_refs(keyer: EntityKeyer, entities: Iterable[tuple[str, str, float]]) -> list[GraphEntityRef]:
    """Graph references of ``(type, value, confidence)`` triples at or above :data:`MIN_ENTITY_CONFIDENCE`."""
    return keyer.refs(e for e in entities if e[2] >= MIN_ENTITY_CONFIDENCE)


def article_text(document: Any) -> str:
    """What entities are extracted from: the title and the body."""
    return f"{document.title}\n\n{document.body}"


def article_hash(document: Any, keyer: EntityKeyer) -> str:
    """The article's linking hash: its text, :data:`LINKING_VERSION` and the hashing key's fingerprint
    (a new key gives personal entities new keys, so the article must be linked again)."""
    digest = hashlib.sha256()
    for part in (LINKING_VERSION, keyer.fingerprint, document.doc_id, article_text(document)):
        digest.update(part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()[:32]


async def link_articles(
    store: GraphStore,
    keyer: EntityKeyer,
    extract: Callable[[str], Sequence[Any]],
    tenant_id: str,
    documents: Iterable[Any],
) -> LinkSummary:
    """Link ``documents`` (``SourceDocument``-like: doc_id, title, body) to the entities ``extract``
    finds in them; documents whose hash is already stored are skipped (no extraction).

    ``extract`` is blocking (an ``EntityExtractor.extract``) and runs in a thread.
    """
    known = await store.article_hashes(tenant_id)
    linked = unchanged = mentions = 0
    for document in documents:
        content_hash = article_hash(document, keyer)
        if known.get(document.doc_id) == content_hash:
            unchanged += 1
            continue
        found = await asyncio.to_thread(extract, article_text(document))
        refs = confident_refs(keyer, ((e.type, e.value, e.confidence) for e in found))
        mentions += await store.upsert_article(
            ArticleGraphRecord(tenant_id=tenant_id, doc_id=document.doc_id, title=document.title, entities=refs, content_hash=content_hash)
        )
        linked += 1
    return LinkSummary(linked=linked, unchanged=unchanged, mentions=mentions)
