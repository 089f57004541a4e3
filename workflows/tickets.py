"""``TicketUpdateWorkflow``: an agent's change to a stored ticket, written by the worker.

The API never writes a store; a PATCH becomes this short workflow, so the write is retried by
Temporal and visible in its UI like every other change. The activity is named, not imported: its
code (and the stores it needs) belong to the worker.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from core.contracts import TicketChange, TicketState
    from core.graphs import TICKET_NOT_FOUND, UPDATE_TICKET_ACTIVITY


@workflow.defn
class TicketUpdateWorkflow:
    """Re-index one ticket with its new status and resolution; ``None`` when the ticket is unknown."""

    @workflow.run
    async def run(self, change: TicketChange) -> TicketState | None:
        try:
            return await workflow.execute_activity(
                UPDATE_TICKET_ACTIVITY,
                change,
                result_type=TicketState,
                start_to_close_timeout=timedelta(seconds=30),
                heartbeat_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_attempts=5, non_retryable_error_types=[TICKET_NOT_FOUND]),
                summary=f"update {change.ticket_id} -> {change.status}",
            )
        except ActivityError as exc:
            if isinstance(exc.cause, ApplicationError) and exc.cause.type == TICKET_NOT_FOUND:
                return None
            raise
