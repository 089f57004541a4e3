"""Per-process clients of the chat nodes and activities, beside the triage toolkit.

Built lazily from the installed :class:`agents.registry.TriageToolkit` (same settings, SQL
database, Chroma client and embedder), so ``worker.py`` needs no extra start-up step; tests
install their own (a fake model, an in-memory store) with :func:`install_chat_services`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from agents.chat.model import ChatModel, OfflineChatModel
from agents.registry import TriageToolkit, get_toolkit
from core.sql import create_engine
from tools.conversations import ConversationMemory, ConversationStore
from tools.retrieval.store import open_collection

CONVERSATION_COLLECTION = "conversations"


@dataclass
class ChatServices:
    store: ConversationStore
    memory: ConversationMemory
    model: ChatModel
    graph_store: Any = None
    """The entity graph, once ``tools/graph`` offers one; ``None`` until then (see delete_graph_nodes)."""


_services: ChatServices | None = None
_lock = threading.Lock()


def install_chat_services(services: ChatServices | None) -> None:
    global _services
    _services = services


def build_chat_services(toolkit: TriageToolkit, model: ChatModel | None = None, collection_name: str | None = None) -> ChatServices:
    """Services on the toolkit's clients: its SQL database, its Chroma client, its embedder."""
    # The catalog keeps its Chroma client inside each collection's store; the memory lives beside them.
    client = toolkit.retrieval.collection("knowledge_base").store._client
    name = collection_name or f"{toolkit.settings.kb_collection}_{CONVERSATION_COLLECTION}"
    return ChatServices(
        store=ConversationStore(create_engine(toolkit.settings.sql_url)),
        memory=ConversationMemory(open_collection(client, name, toolkit.embedder), toolkit.embedder),
        model=model or OfflineChatModel(),
    )


def get_chat_services() -> ChatServices:
    global _services
    if _services is None:
        with _lock:
            if _services is None:
                _services = build_chat_services(get_toolkit())
    return _services
