"""Per-process registry of the clients graph nodes use.

The LangGraph plugin runs module-level node functions as activities and cannot carry live clients
across the activity boundary, so ``worker.py`` builds the toolkit once at start-up and installs it
here; unit tests install one built on fakes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from core.sql import create_engine

from core.payload_keys import load_payload_keys
from core.settings import Settings
from tools.pii.audit import RehydrationAudit
from tools.pii.vault import MappingVault
from tools.classification import EmbeddingClassifier, load_examples
from tools.drafting import OfflineDrafter
from tools.embeddings import Embedder
from tools.llm import ChatProvider, OfflineProvider, UsageLedger, build_chat_provider
from tools.pii import EntityExtractor, Redactor
from tools.policy import PolicyChecker
from tools.priority import PriorityMatrix
from tools.retrieval import HybridCollection, RetrievalCatalog
from tools.embeddings.cache import CachingEmbedder
from tools.graph import EntityKeyer, GraphStore, build_graph_store, graph_secret
from tools.queries import build_chroma_client, build_embedder, build_entity_extractor
from tools.routing import Router
from tools.taxonomy import Taxonomy, load_taxonomy
from tools.ticket_register import TicketRegister
from tools.triage_ledger import TriageLedger


@dataclass
class TriageToolkit:
    """Everything the triage nodes need, built once per worker process."""

    settings: Settings
    embedder: Embedder
    taxonomy: Taxonomy
    classifier: EmbeddingClassifier
    entity_extractor: EntityExtractor
    redactor: Redactor
    retrieval: RetrievalCatalog
    priority_matrix: PriorityMatrix
    drafter: OfflineDrafter
    policy_checker: PolicyChecker
    router: Router
    ledger: TriageLedger
    llm: ChatProvider = field(default_factory=OfflineProvider)
    """Chat model of the draft and policy nodes; the offline provider (no model) unless configured."""
    usage_ledger: UsageLedger | None = None
    """SQL ledger of model calls (tokens, cost, latency per node); ``None`` in tests that do not read it."""
    graph: GraphStore | None = None
    """The entity graph (TRIAGE_GRAPH: sql or neo4j); ``None``: graph steps are skipped."""
    entity_keyer: EntityKeyer | None = None
    """Graph keys of entities; personal identifiers become keyed hashes."""
    ticket_register: TicketRegister | None = None
    """Seed 000's numbered ticket rows (written by record_ticket)."""
    vault: MappingVault | None = None
    """Redaction mappings (/v1/ai/redact), sealed with the payload keys; written by the worker only."""
    rehydration_audit: RehydrationAudit | None = None
    """Append-only re-hydration events (/v1/ai/rehydrate); written by the worker only."""

    @property
    def kb_store(self) -> HybridCollection:
        return self.retrieval.collection("knowledge_base")


_toolkit: TriageToolkit | None = None


def install_toolkit(toolkit: TriageToolkit | None) -> None:
    """Make ``toolkit`` the one the nodes of this process use (``None`` clears it)."""
    global _toolkit
    _toolkit = toolkit


def get_toolkit() -> TriageToolkit:
    if _toolkit is None:
        raise RuntimeError("no TriageToolkit installed: worker.py (or the test) must call install_toolkit() first")
    return _toolkit


def build_toolkit(settings: Settings, embedder: Embedder | None = None, chroma_client: object | None = None) -> TriageToolkit:
    """Build the real toolkit from settings (loads models; takes a few seconds)."""
    entity_extractor = build_entity_extractor(settings)
    redactor = Redactor(entity_extractor)
    embedder = CachingEmbedder(embedder or build_embedder(settings, redactor))
    taxonomy = load_taxonomy(settings.taxonomy_path)
    classifier = EmbeddingClassifier(
        embedder,
        taxonomy,
        load_examples(settings.labeled_tickets_path, taxonomy),
        neighbours=settings.classifier_neighbours,
        temperature=settings.classifier_temperature,
    )
    client = chroma_client or build_chroma_client(settings)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    return TriageToolkit(
        settings=settings,
        embedder=embedder,
        taxonomy=taxonomy,
        classifier=classifier,
        entity_extractor=entity_extractor,
        redactor=redactor,
        retrieval=RetrievalCatalog(client, embedder, settings.lexical_path, settings.collection_names),
        priority_matrix=PriorityMatrix(settings.vip_domains, settings.vip_emails),
        drafter=OfflineDrafter(),
        policy_checker=PolicyChecker(),
        router=Router(settings.auto_resolve_threshold, settings.agent_assist_threshold),
        ledger=TriageLedger(engine := create_engine(settings.sql_url)),
        llm=build_chat_provider(settings),
        usage_ledger=UsageLedger(engine),
        graph=build_graph_store(settings),
        entity_keyer=EntityKeyer(graph_secret(settings)),
        ticket_register=TicketRegister(engine),
        vault=build_vault(settings, engine),
        rehydration_audit=RehydrationAudit(engine),
    )


def build_vault(settings: Settings, engine: Any) -> MappingVault:
    keys = load_payload_keys(settings)
    return MappingVault(engine, keys.raw(), keys.active, timedelta(hours=settings.redaction_ttl_hours))
