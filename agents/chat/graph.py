"""The chat graph factory: one user turn of a conversation.

Shape (two activity hops on the answer path; pure nodes run in the workflow)::

    START -> screen -+-> refuse -----------------------------+-> END
                     +-> retrieve* -> answer* -> output_filter -+

``screen`` refuses prompt injection, abuse and out-of-scope turns before anything else runs, so a
refused turn makes no model call and no store read. ``answer`` streams its tokens to the
conversation workflow's stream while it runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from langgraph.graph import END, START, StateGraph
from temporalio.common import RetryPolicy

from agents.chat import nodes
from core.chat import ChatState

_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=5),
    maximum_attempts=5,
    non_retryable_error_types=["InvalidInputError", "ConfigurationError"],
)


def _summary(node: str) -> Callable[[tuple[Any, ...], dict[str, Any]], str | None]:
    """``node · turn <id>``: labels only (summaries are stored in clear), never message text."""

    def summarize(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        try:
            state = args[0] if args else {}
            parts = [node, f"turn {state.get('turn_id', '?')}"]
            if state.get("citations"):
                parts.append("cites " + ", ".join(c["doc_id"] for c in state["citations"]))
            return " · ".join(parts)
        except Exception:  # must never fail the workflow task
            return node

    return summarize


def _activity(node: str, timeout_s: float, heartbeat_s: float | None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "execute_in": "activity",
        "start_to_close_timeout": timedelta(seconds=timeout_s),
        "retry_policy": _RETRY,
        "summary_fn": _summary(node),
    }
    if heartbeat_s:
        options["heartbeat_timeout"] = timedelta(seconds=heartbeat_s)
    return options


def _in_workflow(node: str) -> dict[str, Any]:
    return {"execute_in": "workflow", "summary_fn": _summary(node)}


def make_chat_graph(heartbeat_timeout: timedelta | None = timedelta(seconds=10)) -> StateGraph:
    """A fresh, uncompiled chat ``StateGraph`` with its Temporal placement on every node."""
    heartbeat_s = heartbeat_timeout.total_seconds() if heartbeat_timeout else None
    graph = StateGraph(ChatState)
    graph.add_node("screen", nodes.screen, metadata=_in_workflow("screen"))
    graph.add_node("refuse", nodes.refuse, metadata=_in_workflow("refuse"))
    graph.add_node("retrieve", nodes.retrieve, metadata=_activity("retrieve", 30, None))
    graph.add_node("answer", nodes.answer, metadata=_activity("answer", 300, heartbeat_s))
    graph.add_node("output_filter", nodes.output_filter, metadata=_in_workflow("output_filter"))
    graph.add_edge(START, "screen")
    graph.add_conditional_edges("screen", nodes.after_screen, {"refuse": "refuse", "retrieve": "retrieve"})
    graph.add_edge("retrieve", "answer")
    graph.add_edge("answer", "output_filter")
    graph.add_edge("output_filter", END)
    graph.add_edge("refuse", END)
    return graph
