"""Unit fixtures: a toolkit on a hashed bag-of-words embedder and an in-memory Chroma (no servers)."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Sequence

import numpy as np
import pytest
import sqlalchemy as sa

from agents.registry import TriageToolkit, build_entity_extractor, install_toolkit
from core.settings import Settings
from tools.classification import EmbeddingClassifier, load_examples
from tools.drafting import OfflineDrafter
from tools.pii import EntityExtractor, Redactor
from tools.policy import PolicyChecker
from tools.priority import PriorityMatrix
from tools.retrieval import COLLECTIONS, RetrievalCatalog, load_markdown_directory, open_chroma_client
from tools.routing import Router
from tools.triage_ledger import TriageLedger
from tools.taxonomy import load_taxonomy


class HashingEmbedder:
    """Deterministic stand-in for the sentence model: word hashes into 512 buckets, L2-normalised."""

    dimension = 512
    model_id = "test-hashing-512"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                matrix[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.clip(norms, 1e-12, None)


@pytest.fixture(scope="session")
def entity_extractor(settings: Settings) -> EntityExtractor:
    return build_entity_extractor(settings)


@pytest.fixture(scope="session")
def unit_toolkit(settings: Settings, entity_extractor: EntityExtractor) -> TriageToolkit:
    embedder = HashingEmbedder()
    taxonomy = load_taxonomy(settings.taxonomy_path)
    suffix = uuid.uuid4().hex[:8]
    catalog = RetrievalCatalog(
        open_chroma_client("embedded", None), embedder, None, {name: f"{name}_{suffix}" for name in COLLECTIONS}
    )
    catalog.collection("knowledge_base").ingest(load_markdown_directory(settings.kb_dir), tenant_id="demo")
    return TriageToolkit(
        settings=settings,
        embedder=embedder,
        taxonomy=taxonomy,
        classifier=EmbeddingClassifier(embedder, taxonomy, load_examples(settings.labeled_tickets_path, taxonomy)),
        entity_extractor=entity_extractor,
        redactor=Redactor(entity_extractor),
        retrieval=catalog,
        priority_matrix=PriorityMatrix(vip_domains=["vip.example.com"]),
        drafter=OfflineDrafter(),
        policy_checker=PolicyChecker(),
        router=Router(),
        ledger=TriageLedger(sa.create_engine(f"sqlite:///{settings.state_dir / f'unit-ledger-{suffix}.db'}")),
    )


@pytest.fixture()
def installed_toolkit(unit_toolkit: TriageToolkit):  # type: ignore[no-untyped-def]
    install_toolkit(unit_toolkit)
    yield unit_toolkit
    install_toolkit(None)
