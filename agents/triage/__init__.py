"""The triage graph: classify, prioritize, extract_entities, retrieve, draft, policy_check, route."""

from agents.triage.graph import GRAPH_NAME, NODE_NAMES, make_triage_graph

__all__ = ["GRAPH_NAME", "NODE_NAMES", "make_triage_graph"]
