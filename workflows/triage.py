"""``TriageWorkflow``: one ticket through the triage graph, durably.

The workflow's logic is "compile the registered graph by name, ainvoke": model and store nodes
run as activities (retries, timeouts and summaries in the Temporal UI), deterministic nodes run
here in the workflow, and the final state is assembled into a :class:`core.contracts.TriageResult`.
This module imports only temporalio and core/: the graph and its tools belong to the worker.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from core.contracts import TriageRequest, TriageResult
    from core.graphs import TRIAGE_GRAPH
    from core.triage_state import assemble_result
    from workflows.compiled_graphs import compiled


@workflow.defn(sandboxed=False)
class TriageWorkflow:
    """Classify, prioritise, extract, retrieve, draft, policy-check, route and record one ticket.

    Not sandboxed: LangGraph is passed through and the graph's workflow-side nodes are the worker's own
    functions, registered with the plugin outside the sandbox, so the sandbox guarded nothing here
    and cost ~5 ms per workflow task (bench/pipeline.py --timeline: 14-23 ms -> 9-18 ms per task,
    ~30 ms per run). Determinism is checked by replaying real histories instead
    (tests/integration/test_process_ticket.py::test_a_finished_triage_replays_deterministically).
    """

    @workflow.run
    async def run(self, request: TriageRequest) -> TriageResult:
        info = workflow.info()
        app = compiled(TRIAGE_GRAPH)
        state = await app.ainvoke(
            {
                "request": request.model_dump(),
                "run": {"workflow_id": info.workflow_id, "run_id": info.run_id, "started_at": info.start_time.isoformat()},
            }
        )
        result = assemble_result(state, workflow.now(), info.workflow_id)
        return result
