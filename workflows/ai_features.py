"""``AIFeatureWorkflow``: one seed 004 AI procedure, computed by the worker.

The API is a facade that never calls a model nor writes a store: every procedure that computes
with models (and may store a summary, tags or an embedding and a usage row) is this short
workflow with one activity, named by ``core.graphs`` so the models stay in the worker. A model
failure is not a workflow failure: the activity falls back to its offline answer itself.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from core.ai_features import AIFeatureRequest, AIFeatureResult
    from core.graphs import AI_FEATURE_ACTIVITY, TICKET_NOT_FOUND


@workflow.defn(name="AIFeatureWorkflow")
class AIFeatureWorkflow:
    """Run one procedure; ``None`` when it is about a ticket the tenant does not have."""

    @workflow.run
    async def run(self, request: AIFeatureRequest) -> AIFeatureResult | None:
        try:
            return await workflow.execute_activity(
                AI_FEATURE_ACTIVITY,
                request,
                result_type=AIFeatureResult,
                start_to_close_timeout=timedelta(seconds=120),
                heartbeat_timeout=timedelta(seconds=15),
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=3, non_retryable_error_types=[TICKET_NOT_FOUND]),
                summary=f"{request.procedure} {request.ticket_id}".strip(),
            )
        except ActivityError as exc:
            if isinstance(exc.cause, ApplicationError) and exc.cause.type == TICKET_NOT_FOUND:
                return None
            raise
