"""``TriageWorkflow``: one ticket through the triage graph, durably.

The workflow's logic is "compile the registered graph by name, ainvoke": every node is an
activity (retries, timeouts and summaries in the Temporal UI), and the final state is assembled
into a :class:`core.contracts.TriageResult`.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from temporalio.langgraph import graph

    from agents.triage.graph import GRAPH_NAME
    from agents.triage.state import assemble_result
    from core.contracts import TriageRequest, TriageResult


@workflow.defn
class TriageWorkflow:
    """Classify, prioritise, extract, retrieve, draft, policy-check and route one ticket."""

    @workflow.run
    async def run(self, request: TriageRequest) -> TriageResult:
        app = graph(GRAPH_NAME).compile()
        state = await app.ainvoke({"request": request.model_dump()})
        return assemble_result(state, workflow.now(), workflow.info().workflow_id)
