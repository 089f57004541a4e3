"""LangGraph graphs (state, nodes, graph factories); each node runs as a Temporal activity."""
