"""The operator's retry path: reset a finished triage run to just before its draft, as the Temporal UI's
"Reset" does, and the API then returns the new run's result; the ledger counts the ticket once, with the
new run's figures."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import sqlalchemy as sa
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client

from core.contracts import TriageResult
from core.settings import Settings
from tools.triage_ledger import triage_runs
from workflows.ids import triage_workflow_id


async def test_reset_to_before_draft_gives_a_new_result_counted_once(
    api_client: httpx.AsyncClient, temporal_client: Client, integration_settings: Settings
) -> None:
    ticket_id = f"RESET-{uuid.uuid4().hex[:8]}"
    body = {
        "ticket_id": ticket_id,
        "raw_message": "Outlook stopped syncing my mailbox this morning, it says the mailbox is full.",
        "customer_name": "Rita Reset",
        "customer_email": "rita@example.com",
    }
    first = await api_client.post("/api/v1/tickets/process", json=body)
    assert first.status_code == 200, first.text
    workflow_id = triage_workflow_id(integration_settings.default_tenant, ticket_id)
    handle = temporal_client.get_workflow_handle(workflow_id)
    first_run = (await handle.describe()).run_id

    draft_scheduled_by = None
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED and (
            event.activity_task_scheduled_event_attributes.activity_type.name == "triage.draft"
        ):
            draft_scheduled_by = event.activity_task_scheduled_event_attributes.workflow_task_completed_event_id
    assert draft_scheduled_by, "the run scheduled a draft activity"

    # Reset to the workflow task that scheduled the draft: the run continues from there as a new run.
    reset = await temporal_client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=temporal_client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=first_run),
            reason="operator retry from draft (test)",
            workflow_task_finish_event_id=draft_scheduled_by,  # the WorkflowTaskCompleted that scheduled the draft
            request_id=uuid.uuid4().hex,
        )
    )
    assert reset.run_id and reset.run_id != first_run
    second_result = await asyncio.wait_for(
        temporal_client.get_workflow_handle(workflow_id, run_id=reset.run_id, result_type=TriageResult).result(), 60
    )

    again = await api_client.post("/api/v1/tickets/process", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["result"]["timestamp"] != first.json()["result"]["timestamp"], "the API answers with the reset run"
    assert again.json()["result"]["timestamp"].startswith(second_result.timestamp.isoformat()[:19])

    engine = sa.create_engine(integration_settings.sql_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(triage_runs).where(triage_runs.c.workflow_id == workflow_id)).all()
    assert len(rows) == 1, "a reset run replaces the ticket's ledger row instead of adding one"
