"""Worker-side activities for stored tickets (the API starts :class:`workflows.tickets.TicketUpdateWorkflow`)."""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.exceptions import ApplicationError

from agents.registry import get_toolkit
from core.contracts import TicketChange, TicketState
from core.errors import NotFoundError
from tools.retrieval.tickets import TicketRecord, annotations_of, index_ticket, load_ticket
from core.graphs import TICKET_NOT_FOUND, UPDATE_TICKET_ACTIVITY


def _update(change: TicketChange) -> TicketState:
    toolkit = get_toolkit()
    collection = toolkit.retrieval.collection("tickets")
    try:
        ticket = load_ticket(collection, change.ticket_id, change.tenant_id)
    except NotFoundError as exc:
        raise ApplicationError(str(exc), type=TICKET_NOT_FOUND, non_retryable=True) from exc
    meta = ticket.metadata
    resolved = change.status == "resolved"
    record = TicketRecord(
        ticket_id=change.ticket_id,
        tenant_id=change.tenant_id,
        title=ticket.title,
        description=ticket.description,
        status=change.status,
        category=change.category or str(meta.get("category", "")),
        subcategory=str(meta.get("subcategory", "")),
        priority=str(meta.get("priority", "")),
        resolution=change.resolution if resolved else "",
        # A person's name or email must not reach the store in clear: it is redacted like the text.
        resolved_by=toolkit.redactor.redact(change.resolved_by).text if resolved and change.resolved_by else "",
        annotations=annotations_of(meta),  # an AI summary and tags survive a status change
    )
    # Stored text is redacted already; only the new free-text fields need it (index_ticket redacts them).
    index_ticket(collection, toolkit.redactor, record)
    stored = load_ticket(collection, change.ticket_id, change.tenant_id).metadata
    return TicketState(
        ticket_id=change.ticket_id,
        status=str(stored.get("status")),
        category=stored.get("category"),
        resolution=stored.get("resolution"),
        resolved_at=stored.get("resolved_at"),
        resolved_by=stored.get("resolved_by"),
    )


@activity.defn(name=UPDATE_TICKET_ACTIVITY)
async def update_ticket(change: TicketChange) -> TicketState:
    """Re-index the ticket with its new status (resolved ones get ``resolved_at``)."""
    return await asyncio.to_thread(_update, change)
