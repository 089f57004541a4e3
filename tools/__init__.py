"""Integrations the graph nodes call: embeddings, classifiers, PII, retrieval, drafting, policy."""
