"""``EntityIndexingWorkflow``: put one triaged ticket into the entity graph, in the background.

The triage's record_ticket activity starts it, a second after the run is recorded (seed 000: "entity
extraction for GraphRAG is queued as a background job and does not block the caller"), so the
caller's answer never waits for the graph store. If the store is down, the activity is retried
with backoff and no attempt limit: the Temporal UI shows the workflow running with its last
failure, and the ticket lands in the graph once the store is back. The activity is named, not
imported: its code and the store belong to the worker.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from core.errors import InvalidInputError
    from core.graph_contracts import GraphIndexOutcome, TicketGraphRecord

from core.graphs import ENTITY_INDEXING_WORKFLOW, INDEX_TICKET_ACTIVITY, indexing_workflow_id  # noqa: E402,F401


@workflow.defn(name=ENTITY_INDEXING_WORKFLOW, sandboxed=False)
class EntityIndexingWorkflow:
    """Merge the ticket, its customer, team, entities and resolving article into the graph store.

    Not sandboxed: one activity call and no other logic, so the sandbox guarded nothing, and a new
    sandboxed run re-imports the workflow's modules on every ticket (the worker's CPU per ticket, issue 8).
    """

    @workflow.run
    async def run(self, record: TicketGraphRecord) -> GraphIndexOutcome:
        return await workflow.execute_activity(
            INDEX_TICKET_ACTIVITY,
            record,
            result_type=GraphIndexOutcome,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=1),
                backoff_coefficient=2.0,
                maximum_interval=timedelta(seconds=record.retry_max_interval_s),
                maximum_attempts=0,  # until the store is back
                non_retryable_error_types=[InvalidInputError.__name__],
            ),
            summary=f"graph · {record.ticket_id} · {len(record.entities)} entities",
        )
