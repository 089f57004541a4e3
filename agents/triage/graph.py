"""The triage graph factory.

Shape (three activity hops on the critical path; deterministic nodes run in the workflow)::

    START -> classify* --> prioritize -+
    START -> extract_entities* --------+-> draft* -> policy_check -> route -> record_ticket* -> END
    START -> retrieve* ----------------+

The entity graph around the ticket's entities (GraphRAG) needs the entities, so the draft activity
looks it up together with the cited articles: a node of its own after extract_entities made the
critical path four hops (measured 448 ms p50 against 223-305 ms with three).

``*`` marks activities: each does model work or store I/O, so it gets retries, a timeout, a
heartbeat and a summary in the Temporal UI. prioritize, policy_check and route only compute on the
state, so they run inside the workflow: an activity hop costs ~50 ms on the dev server, more than
all three nodes' work together.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any, Callable

from langgraph.graph import END, START, StateGraph
from temporalio.common import RetryPolicy

from agents.triage import nodes
from core.graphs import TRIAGE_ACTIVITY_NODES, TRIAGE_WORKFLOW_NODES
from core.triage_state import TriageState

NODE_NAMES = TRIAGE_ACTIVITY_NODES + TRIAGE_WORKFLOW_NODES
HEARTBEAT_TIMEOUT = timedelta(seconds=5)
"""A crashed worker's in-flight node is retried elsewhere after this long, not after its whole timeout."""

_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=3,
    non_retryable_error_types=["InvalidInputError", "ConfigurationError"],
)


def _summary(node: str, named: bool) -> Callable[[tuple[Any, ...], dict[str, Any]], str | None]:
    """Summary shown in the Temporal UI: the node, the ticket id and what the run has decided so far,
    e.g. ``record_ticket · TKT-1 · Billing/Duplicate Charge 0.99 · P3 · auto_resolve 0.84 -> Finance Team``.

    Summaries are stored in clear in Temporal history, so they hold labels, numbers and document
    ids only, never ticket text or entities. Must be deterministic and never raise (it runs in the
    workflow on every replay).
    """

    def summarize(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
        try:
            text = describe_progress(node, args[0] if args else {})
            # The UI prints an activity's type before its summary; a workflow node's summary stands alone.
            return text if named else text.split(" · ", 1)[-1]
        except Exception:  # a summary must never fail the workflow task
            return node

    return summarize


def describe_progress(node: str, state: Any) -> str:
    """``node · ticket · decisions so far`` from the state a node receives."""
    if not isinstance(state, dict):
        return node
    parts = [node, str(state.get("request", {}).get("ticket_id", "?"))]
    classification = state.get("classification")
    if classification:
        parts.append(f"{classification['category']}/{classification['subcategory']} {classification['confidence']:.2f}")
    priority = state.get("priority")
    if priority:
        parts.append(str(priority["level"]))
    citations = state.get("citations")
    if citations and node == "draft":
        parts.append("cites " + ", ".join(c["doc_id"] for c in citations))
    policy = state.get("policy_check")
    if policy:
        parts.append(f"policy {policy['compliance']}")
    routing = state.get("routing")
    if routing:
        parts.append(f"{routing['decision']} {routing['confidence']:.2f} -> {routing['team']}")
    return " · ".join(parts)


def _activity_options(node: str, timeout_s: float, heartbeat_timeout: timedelta | None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "execute_in": "activity",
        "start_to_close_timeout": timedelta(seconds=timeout_s),
        "retry_policy": _RETRY,
        "summary_fn": _summary(node, named=False),
    }
    if heartbeat_timeout:
        options["heartbeat_timeout"] = heartbeat_timeout
    return options


def _in_workflow(node: str) -> dict[str, Any]:
    return {"execute_in": "workflow", "summary_fn": _summary(node, named=True)}


def make_triage_graph(heartbeat_timeout: timedelta | None = HEARTBEAT_TIMEOUT) -> StateGraph:
    """A fresh, uncompiled triage ``StateGraph`` with its Temporal placement on every node.

    ``heartbeat_timeout=None`` leaves activities without one (a crashed worker's node then waits
    out its whole start-to-close timeout; ``bench/faults.py`` compares both).
    """
    graph = StateGraph(TriageState)
    _activity = functools.partial(_activity_options, heartbeat_timeout=heartbeat_timeout)
    # classify and draft make model calls (up to TRIAGE_LLM_TIMEOUT_S each, draft two): their
    # start-to-close leaves room for them, so a slow model ends in the node's offline fallback, not in
    # an activity timeout that Temporal retries; a crashed worker is still noticed by the heartbeat.
    graph.add_node("classify", nodes.classify, metadata=_activity("classify", 120))
    graph.add_node("extract_entities", nodes.extract_entities, metadata=_activity("extract_entities", 60))
    graph.add_node("retrieve", nodes.retrieve, metadata=_activity("retrieve", 30))
    graph.add_node("prioritize", nodes.prioritize, metadata=_in_workflow("prioritize"))
    graph.add_node("draft", nodes.draft, metadata=_activity("draft", 120))
    graph.add_node("policy_check", nodes.policy_check, metadata=_in_workflow("policy_check"))
    graph.add_node("route", nodes.route, metadata=_in_workflow("route"))
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
