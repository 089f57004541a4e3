"""The read-only side: what the API process loads to answer search and entity look-ups.

This is the API's one door into tools/: every name a route needs is re-exported at the end of
this module, so a glance at it shows everything the API can touch (readers, never writers of the
worker's stores; the API's writes are workflows).

The API must start fast and stay small, so it builds only the query embedder, the collections'
readers (Chroma + the lexical index) and Presidio; the classifier, drafter, router and every
writer belong to the worker (:mod:`agents.registry`). Both sides build their embedder and entity
extractor here, so a query is embedded exactly as the stored chunks were.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.settings import Settings
from tools.embeddings import Embedder, OpenAICompatibleEmbedder
from tools.embeddings.cache import CachingEmbedder
from tools.pii import EntityExtractor, RedactingEmbedder, Redactor
from tools.retrieval import HybridCollection, RetrievalCatalog, open_chroma_client


def build_embedder(settings: Settings, redactor: Redactor | None = None) -> Embedder:
    """The configured local model, or a provider's endpoint (behind redaction unless TRIAGE_REDACT_BEFORE_LLM=false).

    Local backends are imported only when chosen (``tools.embeddings.build_local_embedder``), so an
    optional one that is not installed fails here, at start-up, with a ConfigurationError.
    """
    if settings.embedding_provider == "openai":
        api_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        remote = OpenAICompatibleEmbedder(settings.embedding_model, settings.openai_base_url, api_key, dimension=1536)
        return RedactingEmbedder(remote, redactor) if redactor and settings.redact_before_llm else remote
    from tools.embeddings import build_local_embedder

    return build_local_embedder(settings.embedding_provider, settings.embedding_model_path)


def build_entity_extractor(settings: Settings) -> EntityExtractor:
    names = settings.content_dir / "names"
    return EntityExtractor(
        software_list=settings.content_dir / "software.txt",
        id_patterns=settings.entity_id_patterns or None,
        names_dir=names if names.is_dir() else None,  # the packaged gazetteers when a content dir has none
    )


def build_chroma_client(settings: Settings) -> Any:
    """Embedded Chroma (one process only) or the Chroma server every process shares (``TRIAGE_CHROMA_MODE=http``)."""
    return open_chroma_client(settings.chroma_mode, settings.chroma_path, settings.chroma_host, settings.chroma_port)


@dataclass
class QueryServices:
    """Read-only clients of the API process."""

    settings: Settings
    embedder: Embedder
    entity_extractor: EntityExtractor
    redactor: Redactor
    retrieval: RetrievalCatalog

    @property
    def kb_store(self) -> HybridCollection:
        return self.retrieval.collection("knowledge_base")


def build_query_services(settings: Settings, embedder: Embedder | None = None, chroma_client: Any = None) -> QueryServices:
    """Query embedder, collection readers and Presidio (a second or two; no classifier, no LLM client)."""
    entity_extractor = build_entity_extractor(settings)
    redactor = Redactor(entity_extractor)
    embedder = embedder or CachingEmbedder(build_embedder(settings, redactor), capacity=256)
    client = chroma_client or build_chroma_client(settings)
    return QueryServices(
        settings=settings,
        embedder=embedder,
        entity_extractor=entity_extractor,
        redactor=redactor,
        retrieval=RetrievalCatalog(client, embedder, settings.lexical_path, settings.collection_names),
    )


# ------------------------------------------------------------------ what the API may use from tools/
from tools.classification.language import detect_language  # noqa: E402
from tools.conversations import ConversationStore  # noqa: E402  (read side of the chat tables)
from tools.pii import PERSONAL_TYPES, rehydrate  # noqa: E402
from tools.pii.entities import ExtractionStopped  # noqa: E402
from tools.pii.log_scrubber import PiiScrubbingFilter, install_log_scrubbing, scrub  # noqa: E402
from tools.pii.vault import MappingVault  # noqa: E402  (the API only reads mappings; the worker writes them)
from tools.retrieval import SearchHit  # noqa: E402
from tools.retrieval.lexical import tokenize  # noqa: E402
from tools.retrieval.tickets import load_ticket, resolution_fields  # noqa: E402
from tools.support_cases import SupportStore  # noqa: E402  (read side of seed 003's cases, disclosures, turn usage)
from tools.ticket_register import RegisteredTicket, TicketRegister  # noqa: E402  (read side of seed 000's tickets)
from tools.triage_ledger import TriageLedger  # noqa: E402  (metrics are read here, rows written by record_ticket)
from tools.llm.usage_report import UsageReport, month_start, next_month_start  # noqa: E402  (llm_usage is written by the worker)

__all__ = [
    "ConversationStore",
    "ExtractionStopped",
    "MappingVault",
    "PERSONAL_TYPES",
    "PiiScrubbingFilter",
    "QueryServices",
    "RegisteredTicket",
    "SearchHit",
    "SupportStore",
    "TicketRegister",
    "TriageLedger",
    "UsageReport",
    "build_chroma_client",
    "build_embedder",
    "build_entity_extractor",
    "build_query_services",
    "detect_language",
    "install_log_scrubbing",
    "load_ticket",
    "month_start",
    "next_month_start",
    "rehydrate",
    "resolution_fields",
    "scrub",
    "tokenize",
]

