"""The triage graph: classify, prioritize, extract_entities, retrieve, draft, policy_check, route, record_ticket."""

from agents.triage.graph import NODE_NAMES, make_triage_graph
from core.graphs import TRIAGE_GRAPH

GRAPH_NAME = TRIAGE_GRAPH

__all__ = ["GRAPH_NAME", "NODE_NAMES", "TRIAGE_GRAPH", "make_triage_graph"]
