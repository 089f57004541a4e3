"""Temporal worker: builds the toolkit once, seeds the knowledge base, and runs the triage graph.

Run it with ``python worker.py`` (the Temporal server address and task queue come from
``TRIAGE_*`` settings); ``make run`` starts it together with the dev server and the API.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.langgraph import LangGraphPlugin
from temporalio.worker import Worker

from agents.registry import TriageToolkit, build_toolkit, install_toolkit
from agents.graph_activities import index_knowledge_base_in_background, index_ticket_graph
from agents.ai_features import run_ai_feature
from agents.personal_data import audit_rehydration, store_mapping
from agents.tickets import update_ticket
from agents.chat import make_chat_graph
from agents.chat.activities import ACTIVITIES as CHAT_ACTIVITIES
from core.chat import CHAT_GRAPH
from workflows.conversation import CONVERSATION_WORKFLOWS
from workflows.support import SUPPORT_WORKFLOWS
from agents.support import ACTIVITIES as SUPPORT_ACTIVITIES
from agents.triage import make_triage_graph
from core.graphs import TRIAGE_GRAPH
from tools.logging_setup import configure_logging
from core.settings import Settings, get_settings
from tools.retrieval import load_documents
from workflows import TriageWorkflow
from workflows.ai_features import AIFeatureWorkflow
from workflows.indexing import EntityIndexingWorkflow
from workflows.personal_data import AuditRehydrationWorkflow, StoreMappingWorkflow
from workflows.tickets import TicketUpdateWorkflow
from workflows.client import connect_temporal

log = logging.getLogger("triage.worker")


def make_plugin(settings: Settings) -> LangGraphPlugin:
    """The LangGraph plugin with every graph this worker serves."""
    return LangGraphPlugin(
        graphs={TRIAGE_GRAPH: make_triage_graph(heartbeat_timeout(settings)), CHAT_GRAPH: make_chat_graph()},
        default_activity_options={"start_to_close_timeout": timedelta(seconds=60)},
    )


def heartbeat_timeout(settings: Settings) -> timedelta | None:
    return timedelta(seconds=settings.activity_heartbeat_timeout_s) if settings.activity_heartbeat_timeout_s > 0 else None


def seed_knowledge_base(toolkit: TriageToolkit) -> None:
    """Ingest the demo content idempotently: articles, runbooks and resolved tickets (unchanged ones are skipped)."""
    settings = toolkit.settings
    sources = {
        "knowledge_base": settings.kb_dir,
        "runbooks": settings.content_dir / "runbooks",
        "tickets": settings.content_dir / "tickets",
    }
    for name, path in sources.items():
        if not path.exists():
            log.warning("no %s content at %s; that collection stays as it is", name, path)
            continue
        collection = toolkit.retrieval.collection(name)
        summary = collection.ingest(load_documents(path), tenant_id=settings.default_tenant)
        collection.sync_lexical()
        log.info(
            "%s: %d documents (%d added, %d replaced, %d unchanged), %d chunks in store",
            name, summary.documents, summary.added, summary.replaced, summary.unchanged, collection.count(),
        )


def make_worker(client: Client, settings: Settings, task_queue: str | None = None) -> Worker:
    """A worker for the triage workflow; the toolkit must already be installed."""
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=[TriageWorkflow, TicketUpdateWorkflow, EntityIndexingWorkflow, StoreMappingWorkflow, AuditRehydrationWorkflow, AIFeatureWorkflow, *CONVERSATION_WORKFLOWS, *SUPPORT_WORKFLOWS],
        activities=[store_mapping, audit_rehydration, update_ticket, index_ticket_graph, run_ai_feature, *CHAT_ACTIVITIES, *SUPPORT_ACTIVITIES],
        plugins=[make_plugin(settings)],
        activity_executor=ThreadPoolExecutor(max_workers=8),
        max_concurrent_activities=8,
    )


def prepare_toolkit(settings: Settings) -> TriageToolkit:
    """Build, install and seed the process-wide toolkit."""
    toolkit = build_toolkit(settings)
    install_toolkit(toolkit)
    seed_knowledge_base(toolkit)
    return toolkit


async def main() -> None:
    configure_logging()
    settings = get_settings()
    toolkit = prepare_toolkit(settings)
    graph_articles = asyncio.create_task(index_knowledge_base_in_background(toolkit))  # noqa: F841 - held until exit
    client = await connect_temporal(settings, for_worker=True)
    log.info("worker polling task queue %r on %s", settings.task_queue, settings.temporal_address)
    await make_worker(client, settings).run()


if __name__ == "__main__":
    asyncio.run(main())
