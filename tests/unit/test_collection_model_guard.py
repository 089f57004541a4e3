"""A collection remembers its embedding model: another model is refused until `reembed` rebuilds it."""

from __future__ import annotations

import uuid
from typing import Sequence

import numpy as np
import pytest

from core.errors import ConfigurationError
from tools.retrieval import SourceDocument, open_chroma_client
from tools.retrieval.reembed import reembed_collection
from tools.retrieval.store import MODEL_KEY, ChromaKnowledgeStore


class OtherModel:
    """A second deterministic model: same texts, different vectors, different id."""

    dimension = 512
    model_id = "other-model-v1"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rng = [np.random.RandomState(abs(hash(text)) % 2**31).rand(self.dimension) for text in texts]
        matrix = np.array(rng, dtype=np.float32).reshape(len(texts), self.dimension)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


DOCS = [SourceDocument("KB-1", "VPN login", "", "Reset the VPN token."), SourceDocument("KB-2", "Refunds", "", "Refunds take 5 days.")]


def test_other_model_is_refused_then_reembed_makes_it_usable() -> None:
    from tests.unit.conftest import HashingEmbedder

    client = open_chroma_client("embedded", None)
    name = f"guard-{uuid.uuid4().hex[:8]}"
    store = ChromaKnowledgeStore(client, HashingEmbedder(), name)
    store.ingest(DOCS, tenant_id="t")
    assert client.get_collection(name).metadata[MODEL_KEY] == "test-hashing-512"
    ChromaKnowledgeStore(client, HashingEmbedder(), name)  # same model: fine

    with pytest.raises(ConfigurationError) as refused:
        ChromaKnowledgeStore(client, OtherModel(), name)
    message = str(refused.value)
    assert "test-hashing-512" in message and "other-model-v1" in message and "triage-desk reembed --collection" in message
    assert refused.value.code == "embedding_model_mismatch"

    chunks = store.count()
    assert reembed_collection(client, name, OtherModel()) == chunks
    reopened = ChromaKnowledgeStore(client, OtherModel(), name)
    assert reopened.count() == chunks
    stored = client.get_collection(name).get(include=["documents", "embeddings", "metadatas"])
    assert np.allclose(np.asarray(stored["embeddings"]), OtherModel().embed(stored["documents"]), atol=1e-6)
    assert {m["doc_id"] for m in stored["metadatas"]} == {"KB-1", "KB-2"}
    with pytest.raises(ConfigurationError):
        ChromaKnowledgeStore(client, HashingEmbedder(), name)


def test_unrecorded_collections_empty_get_stamped_full_get_refused() -> None:
    from tests.unit.conftest import HashingEmbedder

    client = open_chroma_client("embedded", None)
    empty, full = f"old-{uuid.uuid4().hex[:8]}", f"old-{uuid.uuid4().hex[:8]}"
    client.create_collection(empty, metadata={"hnsw:space": "cosine"}, embedding_function=None)
    legacy = client.create_collection(full, metadata={"hnsw:space": "cosine"}, embedding_function=None)
    legacy.add(ids=["a"], embeddings=[[1.0] * 512], documents=["x"], metadatas=[{"doc_id": "A"}])

    ChromaKnowledgeStore(client, HashingEmbedder(), empty)
    assert client.get_collection(empty).metadata[MODEL_KEY] == "test-hashing-512"
    with pytest.raises(ConfigurationError, match="not recorded"):
        ChromaKnowledgeStore(client, HashingEmbedder(), full)
