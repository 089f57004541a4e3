"""A conversation survives its worker: kill -9 between two turns, start another, the chat goes on.

The API runs in this process; the worker is a separate ``worker.py`` process on a Chroma server
(the production shape). The conversation's history lives in its workflow: the new worker replays
it, so the next turn still knows what the first one said.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from core.api_keys import ApiKeyStore
from core.settings import Settings
from tests.integration.processes import WorkerProcess, separate_worker_settings
from tests.integration.test_chat import SSE, TURNS, answer_of, parse_sse
from tools.queries import build_query_services
from workflows.client import data_converter
from workflows.conversation import ConversationWorkflow, conversation_workflow_id


@pytest.fixture()
def crash_settings(tmp_path: Path, chroma_server: tuple[str, int], temporal_env: WorkflowEnvironment) -> Settings:
    return separate_worker_settings(
        tmp_path / "state", chroma_server, temporal_env.client.service_client.config.target_host, "chat-crash", workflow_result_timeout_s=120
    )


async def test_conversation_continues_after_worker_kill(crash_settings: Settings, tmp_path: Path) -> None:
    settings = crash_settings
    log_path = tmp_path / "worker.log"
    first = WorkerProcess(settings, log_path)
    second: WorkerProcess | None = None
    try:
        first.wait_ready()
        client = await Client.connect(settings.temporal_address, data_converter=data_converter(settings))
        key = ApiKeyStore(sa.create_engine(settings.sql_url)).create(settings.default_tenant, "agent", user_id="crash-chat")[1]
        app = create_app(settings, temporal_client=client, queries=build_query_services(settings))
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver", timeout=180, headers={"Authorization": f"Bearer {key}"}
            ) as api:
                conversation_id = (await api.post("/api/support/ai/conversations", json={"title": "crash"})).json()["conversation_id"]

                async def turn(message: str) -> dict:
                    response = await api.post(f"/api/support/ai/conversations/{conversation_id}/messages", json={"message": message}, headers=SSE)
                    assert response.status_code == 200, response.text
                    return answer_of(parse_sse(response.text))[1]

                first_reply = await turn(TURNS[0])
                assert first_reply["citations"][0]["doc_id"] == "KB-1006"

                first.kill()  # kill -9 between the turns: the workflow sits in its idle timer
                second = WorkerProcess(settings, log_path)
                second.wait_ready()

                second_reply = await turn(TURNS[1])
                # Only the history can tell that "it" is the VPN and that KB-1006 did not help.
                assert 'Since the steps from "' in second_reply["response"] and "[KB-1006]" in second_reply["response"]

                stored = (await api.get(f"/api/support/ai/conversations/{conversation_id}")).json()
                assert [m["content"] for m in stored["messages"] if m["role"] == "user"] == TURNS[:2]
                snapshot = await client.get_workflow_handle(
                    conversation_workflow_id(settings.default_tenant, "crash-chat", conversation_id)
                ).query(ConversationWorkflow.snapshot)
                assert snapshot.turns == 2 and [m.role for m in snapshot.messages] == ["user", "assistant"] * 2
    finally:
        first.kill()
        if second is not None:
            second.stop()
