"""Writes of the personal-data endpoints, done by the worker: redaction mappings and re-hydration audit rows.

The API computes a redaction itself (read-only Presidio) but never writes a store: it runs these
short workflows and waits for them. Waiting matters for the audit: the row exists before the
re-hydrated text leaves the API, or the text does not leave at all. The mapping crosses Temporal
history encrypted by the payload codec like every ticket does.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from core.contracts import RehydrationEvent, StoreMapping
    from core.graphs import AUDIT_REHYDRATION_ACTIVITY, STORE_MAPPING_ACTIVITY

_OPTIONS = {
    "start_to_close_timeout": timedelta(seconds=15),
    "retry_policy": RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=5),
}


@workflow.defn
class StoreMappingWorkflow:
    """Keep one redaction mapping; returns its id."""

    @workflow.run
    async def run(self, request: StoreMapping) -> str:
        return await workflow.execute_activity(STORE_MAPPING_ACTIVITY, request, result_type=str, summary="store mapping", **_OPTIONS)  # type: ignore[arg-type]


@workflow.defn
class AuditRehydrationWorkflow:
    """Append one re-hydration event to the audit table."""

    @workflow.run
    async def run(self, event: RehydrationEvent) -> None:
        await workflow.execute_activity(
            AUDIT_REHYDRATION_ACTIVITY, event, summary=f"audit {event.outcome} by {event.key_id}", **_OPTIONS  # type: ignore[arg-type]
        )
