"""The triage graph factory.

Shape (six activity hops on the critical path; each hop costs ~55-60 ms on the dev server)::

    START -> classify ---------> prioritize -+
    START -> extract_entities ---------------+-> draft -> policy_check -> route -> record_ticket -> END
    START -> retrieve -----------------------+

classify, extract_entities and retrieve only read the ticket, so they run in parallel.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from langgraph.graph import END, START, StateGraph
from temporalio.common import RetryPolicy

from agents.triage import nodes
from agents.triage.state import TriageState

GRAPH_NAME = "triage"
NODE_NAMES = ("classify", "prioritize", "extract_entities", "retrieve", "draft", "policy_check", "route", "record_ticket")

_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=3,
    non_retryable_error_types=["InvalidInputError", "ConfigurationError"],
)


def _summary(node: str) -> Callable[[tuple[Any, ...], dict[str, Any]], str | None]:
    """Activity summary shown in the Temporal UI, e.g. ``classify · TKT-2025-001``."""

    def summarize(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        state = args[0] if args else {}
        ticket_id = state.get("request", {}).get("ticket_id", "?") if isinstance(state, dict) else "?"
        return f"{node} · {ticket_id}"

    return summarize


def _activity(node: str, timeout_s: float) -> dict[str, Any]:
    return {
        "execute_in": "activity",
        "start_to_close_timeout": timedelta(seconds=timeout_s),
        "retry_policy": _RETRY,
        "summary_fn": _summary(node),
    }


def make_triage_graph() -> StateGraph:
    """A fresh, uncompiled triage ``StateGraph`` with Temporal activity options on every node."""
    graph = StateGraph(TriageState)
    graph.add_node("classify", nodes.classify, metadata=_activity("classify", 30))
    graph.add_node("extract_entities", nodes.extract_entities, metadata=_activity("extract_entities", 30))
    graph.add_node("retrieve", nodes.retrieve, metadata=_activity("retrieve", 30))
    graph.add_node("prioritize", nodes.prioritize, metadata=_activity("prioritize", 10))
    graph.add_node("draft", nodes.draft, metadata=_activity("draft", 120))
    graph.add_node("policy_check", nodes.policy_check, metadata=_activity("policy_check", 10))
    graph.add_node("route", nodes.route, metadata=_activity("route", 10))
    graph.add_node("record_ticket", nodes.record_ticket, metadata=_activity("record_ticket", 30))

    graph.add_edge(START, "classify")
    graph.add_edge(START, "extract_entities")
    graph.add_edge(START, "retrieve")
    graph.add_edge("classify", "prioritize")
    graph.add_edge(["prioritize", "extract_entities", "retrieve"], "draft")
    graph.add_edge("draft", "policy_check")
    graph.add_edge("policy_check", "route")
    graph.add_edge("route", "record_ticket")
    graph.add_edge("record_ticket", END)
    return graph
