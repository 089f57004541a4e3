"""Names shared by the worker (which registers graphs and activities) and workflows (which run them by name).

A workflow module must not import the graph itself: the graph's nodes pull in models and stores
that only the worker loads, so the two meet on these names.
"""

TRIAGE_GRAPH = "triage"
"""The LangGraph ``StateGraph`` that triages one ticket (agents/triage/graph.py)."""

TRIAGE_ACTIVITY_NODES = ("classify", "extract_entities", "retrieve", "draft", "record_ticket")
"""Nodes that run as Temporal activities: each does model work or store I/O."""

TRIAGE_WORKFLOW_NODES = ("prioritize", "policy_check", "route")
"""Deterministic nodes that only compute on the state; they run inside the workflow (no activity hop)."""

UPDATE_TICKET_ACTIVITY = "tickets.update"
TICKET_NOT_FOUND = "ticket_not_found"
"""Error type the ticket update activity raises for an unknown ticket (not retried)."""
STORE_MAPPING_ACTIVITY = "pii.store_mapping"
AUDIT_REHYDRATION_ACTIVITY = "pii.audit_rehydration"
ENTITY_INDEXING_WORKFLOW = "EntityIndexingWorkflow"
INDEX_TICKET_ACTIVITY = "graph.index_ticket"


def indexing_workflow_id(triage_workflow_id: str) -> str:
    """One indexing workflow per ticket workflow (its id is already escaped and tenant-scoped)."""
    return f"graph-index-{triage_workflow_id}"
AI_FEATURE_WORKFLOW = "AIFeatureWorkflow"
AI_FEATURE_ACTIVITY = "ai.feature"
"""Seed 004's AI procedures (summary, sentiment, priority, replies, tags, assignee, analysis, embedding): one activity, the procedure in its input."""
