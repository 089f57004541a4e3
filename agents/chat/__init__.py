"""The chat graph (one conversation turn) and the worker-side activities of conversations."""

from agents.chat.graph import make_chat_graph

__all__ = ["make_chat_graph"]
