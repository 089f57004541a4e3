"""Tickets in the ``tickets`` collection: what similar-ticket search and deduplication look at.

Ticket text is redacted before it is stored: similar-ticket results are shown to other agents
and other customers' cases, so a PESEL or an email from one ticket must not surface in another.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal

from core.errors import NotFoundError
from tools.pii import Redactor
from tools.retrieval.documents import SourceDocument
from tools.retrieval.hybrid import HybridCollection
from tools.retrieval.store import IngestSummary, SearchHit

TicketStatus = Literal["open", "in_progress", "resolved"]


@dataclass(frozen=True)
class TicketRecord:
    ticket_id: str
    tenant_id: str
    title: str
    description: str
    status: TicketStatus
    category: str = ""
    subcategory: str = ""
    priority: str = ""
    resolution: str = ""
    resolved_by: str = ""
    resolved_at: str = ""
    annotations: dict[str, str] = field(default_factory=dict)
    """AI annotations kept with the ticket (keys in ``ANNOTATION_KEYS``): seed 004's ``ai_summary``,
    suggested ``tags`` (comma-separated) and when/with which model it was last embedded."""


ANNOTATION_KEYS = ("ai_summary", "tags", "embedded_at", "embedding_model")
"""Metadata written by the AI procedures (agents/ai_features.py); an update of the ticket keeps them."""


def annotations_of(metadata: dict[str, Any]) -> dict[str, str]:
    """The AI annotations of a stored ticket's metadata, to carry into its next version."""
    return {key: str(metadata[key]) for key in ANNOTATION_KEYS if metadata.get(key)}


def ticket_title(text: str, limit: int = 90) -> str:
    """First sentence or line of a ticket, cut at a word boundary."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    for stop in (". ", "! ", "? "):
        if stop in first:
            first = first.split(stop, 1)[0]
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"


def redacted_ticket(
    document: SourceDocument, redactor: Redactor, body_redacted: bool = False, resolution_redacted: bool = False
) -> SourceDocument:
    """A ticket document with personal data replaced in its title, description and resolution.

    A title that is the description's first sentence is taken from the redacted description, so
    the same text is not analysed twice; ``body_redacted`` says the description (and a title taken
    from it) is redacted already, ``resolution_redacted`` the same of the resolution.
    """
    body = document.body if body_redacted else redactor.redact(document.body).text
    derived = document.title == ticket_title(document.body)
    return replace(
        document,
        title=ticket_title(body) if derived else redactor.redact(document.title).text,
        body=body,
        metadata={
            key: redactor.redact(value).text if key == "resolution" and not resolution_redacted else value
            for key, value in document.metadata.items()
        },
    )


def index_ticket(
    collection: HybridCollection,
    redactor: Redactor | None,
    ticket: TicketRecord,
    vector: Any = None,
    text_redacted: bool = False,
    resolution_redacted: bool = False,
) -> IngestSummary:
    """Upsert one ticket (re-indexing the same content changes nothing); resolved ones get a resolved_at.

    ``vector``: the ticket's embedding when the caller has it already (a triage run does), stored
    for a one-chunk ticket instead of embedding it again. ``text_redacted``: the title and
    description are redacted already (a triage run redacts with the entities it extracted);
    ``resolution_redacted``: so is the resolution (a triage run's draft, redacted by value).
    """
    resolved_at = ticket.resolved_at
    if ticket.status == "resolved" and not resolved_at:
        resolved_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    metadata = {
        "status": ticket.status,
        "category": ticket.category,
        "subcategory": ticket.subcategory,
        "priority": ticket.priority,
        "resolution": ticket.resolution,
        "resolved_by": ticket.resolved_by,
        "resolved_at": resolved_at,
        **{key: value for key, value in ticket.annotations.items() if key in ANNOTATION_KEYS},
    }
    document = SourceDocument(
        doc_id=ticket.ticket_id,
        title=ticket.title,
        url="",
        body=ticket.description,
        metadata={key: value for key, value in metadata.items() if value},
    )
    if redactor is not None:
        document = redacted_ticket(document, redactor, body_redacted=text_redacted, resolution_redacted=resolution_redacted)
    vectors = {document.doc_id: vector} if vector is not None else None
    return collection.ingest([document], tenant_id=ticket.tenant_id, document_vectors=vectors)


def resolution_fields(hit: SearchHit) -> dict[str, str | None]:
    """What a similar-ticket answer shows about how a stored ticket was resolved."""
    return {
        "resolution": hit.metadata.get("resolution"),
        "resolved_at": hit.metadata.get("resolved_at"),
        "resolved_by": hit.metadata.get("resolved_by"),
    }


@dataclass(frozen=True)
class StoredTicket:
    """A ticket as the tickets collection holds it (text redacted)."""

    ticket_id: str
    title: str
    description: str
    metadata: dict[str, Any]

    @property
    def text(self) -> str:
        """Title and description, the text similar-ticket search and re-triage start from."""
        return self.description if self.description.startswith(self.title) else f"{self.title}\n\n{self.description}"


def load_ticket(collection: HybridCollection, ticket_id: str, tenant_id: str) -> StoredTicket:
    """The stored ticket, or ``NotFoundError`` (``ticket_not_found``) for one never triaged or ingested."""
    chunks = collection.document_chunks(ticket_id, tenant_id)
    if not chunks:
        raise NotFoundError(f"ticket {ticket_id!r} is not known for this tenant", code="ticket_not_found")
    # Chunk text is "title\nsection\nbody" (see chunk_document); the body is what was ingested.
    description = "\n".join(chunk.text.split("\n", 2)[-1] for chunk in chunks)
    return StoredTicket(ticket_id, chunks[0].title, description, dict(chunks[0].metadata))
