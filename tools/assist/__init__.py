"""Offline agent-assist features of seed 004 (summary, sentiment, priority, tags, assignee, replies).

Each is deterministic and needs no model: it is the answer when no LLM is configured and the
fallback when the configured one fails. They run in the worker (agents/ai_features.py), never in
the API.
"""
