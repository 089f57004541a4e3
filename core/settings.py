"""One settings object for the whole system.

Every value can be set with an environment variable prefixed ``TRIAGE_`` (for example
``TRIAGE_TEMPORAL_ADDRESS=temporal:7233``) or in a ``.env`` file. Defaults are the embedded
ones, so a fresh checkout runs with no Docker and no API keys.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime configuration, read once per process."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_", env_file=".env", extra="ignore")

    # Where things live
    content_dir: Path = Field(PROJECT_ROOT / "data", description="Taxonomy, demo KB and examples.")
    state_dir: Path = Field(PROJECT_ROOT / "var", description="Runtime state: Chroma, SQLite, Temporal DB.")

    # Temporal
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "triage-desk"
    temporal_ui_port: int = 8233

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    cors_origins: list[str] = Field(
        ["http://localhost:8233", "http://127.0.0.1:8233"],
        description='Browser origins allowed to call the API (default: the local Temporal UI, for the codec); "*" allows any, without credentials.',
    )
    default_tenant: str = Field("demo", description="Tenant of the dev key and of CLI ingest/search without --tenant.")
    api_key_cache_seconds: float = Field(30.0, ge=0, le=3600, description="How long a verified API key is trusted in process.")
    workflow_result_timeout_s: float = Field(60.0, gt=0)
    activity_heartbeat_timeout_s: float = Field(
        5.0, ge=0, description="A node whose worker stops heartbeating this long is retried on another worker; 0: no heartbeat timeout."
    )

    # Payload encryption (Temporal history holds no clear PII). JSON map key id -> base64 AES key, and the
    # id new payloads use. Empty: a key generated once into ``{state_dir}/payload-keys.json`` (embedded default).
    payload_keys: dict[str, SecretStr] = {}
    payload_key_id: str = ""
    codec_token: SecretStr | None = Field(None, description="Bearer token other codec callers (CLI, an SSO proxy) send to /codec/*")
    codec_ui_origins: list[str] = Field(
        ["http://localhost:8233", "http://127.0.0.1:8233"],
        description="Origins of the local Temporal UI, whose browser requests from loopback may decode without a token.",
    )

    # Embeddings and classification
    embedding_provider: Literal["use-multilingual", "local", "e5-small", "minilm-onnx", "sentence-transformers", "openai"] = Field(
        "use-multilingual",
        description="use-multilingual (USE v3, pl+en, the default; 'local' is its old name), e5-small (multilingual-e5-small "
        "4-bit), minilm-onnx (English only), sentence-transformers (a local model, needs .[torch]) or openai (an endpoint).",
    )
    embedding_model: str = Field("all-MiniLM-L6-v2", description="Model name sent to the openai provider.")
    embedding_model_path: Path | None = Field(
        None, description="Local model directory (sentence-transformers; for minilm-onnx: model.onnx/tokenizer.json)."
    )
    classifier_neighbours: int = Field(5, ge=1, le=50)
    classifier_temperature: float = Field(0.04, gt=0)

    # Vector store
    chroma_mode: Literal["embedded", "http"] = "embedded"
    chroma_host: str = "localhost"
    chroma_port: int = 8001
    kb_collection: str = Field("knowledge_base", description="Chroma name of the knowledge_base collection")
    runbook_collection: str = Field("runbooks", description="Chroma name of the runbooks collection")
    ticket_collection: str = Field("tickets", description="Chroma name of the tickets collection")
    retrieval_top_k: int = Field(3, ge=1, le=20)
    retrieval_min_score: float = Field(0.3, ge=0, le=1, description="Cosine similarity a cited article or similar ticket needs")
    retrieval_min_score_with_words: float = Field(
        0.15, ge=0, le=1, description="Cosine similarity enough for a hit that also matches on words (BM25 > 0)"
    )
    similar_tickets_top_k: int = Field(3, ge=0, le=20, description="Similar resolved tickets in a triage result")

    # OpenAI-compatible endpoint (the ``openai`` embedding provider and the ``openai`` LLM provider)
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None

    # Language model (tools/llm, docs/llm.md). ``offline``: deterministic drafting and checks, 0 tokens.
    ai_enabled: bool = Field(True, description="Global AI switch: false makes every node take its offline path, whatever the provider.")
    ai_plan: Literal["free", "pro", "business"] = Field(
        "business", description="Seed 004 plan of every tenant not in ai_tenant_plans: free has no AI procedures, pro the basic ones with a monthly limit, business all."
    )
    ai_tenant_plans: dict[str, Literal["free", "pro", "business"]] = Field(default_factory=dict, description='Plan per tenant, e.g. {"acme": "pro"}.')
    ai_pro_monthly_operations: int = Field(500, ge=0, description="AI procedure calls a pro tenant may make per calendar month (UTC); then 429.")
    llm_provider: Literal["offline", "openai"] = Field("offline", description="offline (embedded, no model) or openai (any OpenAI-compatible chat endpoint).")
    llm_model: str = Field("gpt-4o-mini", description="Chat model name sent to the openai provider.")
    llm_timeout_s: float = Field(30.0, gt=0, le=600, description="Longest one model call may take, streaming included, before the node falls back.")
    llm_max_output_tokens: int = Field(
        1024, ge=16, le=32768, description="Most tokens one answer may have; a small model that never stops is cut here instead of running into the timeout."
    )
    llm_max_retries: int = Field(2, ge=0, le=10, description="Retries of a call answered 429/5xx or not connected, with exponential backoff (a timeout is not retried).")
    llm_retry_backoff_s: float = Field(0.5, ge=0, le=60, description="First backoff; doubles per retry (a 429's Retry-After wins when longer).")
    llm_policy_review: bool = Field(True, description="Let the model add policy findings to the deterministic ones (one more call per ticket).")
    llm_prices: dict[str, tuple[float, float]] = Field(
        {"gpt-4o-mini": (0.15, 0.60), "gpt-4.1-mini": (0.40, 1.60), "gpt-4.1": (2.00, 8.00), "gpt-4o": (2.50, 10.00)},
        description='USD per 1M tokens (input, output) per model, e.g. {"my-model": [0.2, 0.8]}; unknown models cost 0.',
    )
    llm_classify: bool = Field(True, description="Let the model choose the category among the nearest labeled examples' candidates (one call per ticket).")
    llm_classify_candidates: int = Field(5, ge=2, le=20, description="Candidate category/subcategory pairs the classify prompt offers (classifier top-k + nearest examples' labels).")
    llm_classify_examples: int = Field(6, ge=0, le=30, description="Nearest labeled examples (data/labeled_tickets.jsonl) shown in the classify prompt.")
    tenant_monthly_cost_cap_usd: float | None = Field(
        None, ge=0, description="USD a tenant's model calls may cost per calendar month (UTC, from the llm_usage ledger); past it nodes use their offline path. Empty: no cap."
    )
    tenant_monthly_cost_caps_usd: dict[str, float] = Field(
        {}, description='Per-tenant caps overriding TRIAGE_TENANT_MONTHLY_COST_CAP_USD, e.g. {"acme": 50, "demo": 0}.'
    )

    # Personal data and entities
    entity_id_patterns: dict[str, str] = Field(
        {},
        description='Entity type -> regex for your own identifiers, e.g. {"ticket_id": "\\bHD-\\d{5}\\b", "order_id": "..."}; '
        "empty: INC-/TKT-/REQ-/CHG-/SR- tickets and ORD-/RMA-/PO- orders.",
    )
    redact_before_llm: bool = Field(
        True, description="Redact personal data before any text leaves for an LLM/embeddings provider; false disables it."
    )
    redaction_ttl_hours: int = Field(24, ge=1, le=24 * 30, description="How long a redaction mapping can be re-hydrated.")
    max_text_chars: int = Field(1_048_576, ge=1000, description="Longest text the entity and redaction endpoints accept.")
    max_body_bytes: int = Field(
        16 * 1024 * 1024,
        ge=65_536,
        description="Largest request body the API reads (413 body_too_large before parsing); the largest valid one is a "
        "TRIAGE_MAX_TEXT_CHARS text, up to 6 bytes a character as JSON escapes.",
    )
    worker_heartbeat_interval_s: float = Field(
        5.0, gt=0, le=300, description="How often a worker sends its SDK heartbeat to Temporal; /health/ready calls it gone after two missed."
    )
    request_time_budget_s: float = Field(
        30.0, gt=0, le=600, description="Longest an entity/redaction request may compute before it is stopped (413 time_budget_exceeded)."
    )
    database_url: str = Field("", description="SQLAlchemy URL; empty: SQLite file in the state directory.")

    # Entity graph (GraphRAG): the embedded SQL backend, or Neo4j over Bolt
    graph: Literal["sql", "neo4j"] = Field("sql", description="Graph store: sql (tables in TRIAGE_DATABASE_URL) or neo4j.")
    neo4j_uri: str = Field("bolt://127.0.0.1:7687", description="Bolt URI of Neo4j (TRIAGE_GRAPH=neo4j).")
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = Field(None, description="Empty: no authentication (the local launcher without a password).")
    neo4j_database: str | None = Field(None, description="Database name; empty: the server's default.")
    graph_hash_key: SecretStr | None = Field(
        None,
        description="Key of the keyed hashes that stand for personal identifiers in the graph (>= 16 bytes); "
        "empty: derived from the active payload key (rotating that key then starts new hashes).",
    )
    graph_related_limit: int = Field(8, ge=1, le=50, description="Related entities, tickets and articles per triage.")
    graph_index_max_interval_s: float = Field(
        60.0, gt=0, le=3600, description="Longest wait between attempts of an indexing workflow while the graph store is down."
    )
    graph_index_start_delay_s: float = Field(
        1.0, ge=0, le=300,
        description="The indexing workflow starts this long after its triage is recorded, so it never competes for the worker "
        "with the run whose answer the caller is waiting for (0: at once).",
    )

    # Chat (ConversationWorkflow)
    chat_idle_timeout_s: float = Field(1800.0, gt=0, description="A conversation without a turn this long is closed (a durable timer).")
    chat_history_messages: int = Field(20, ge=2, le=200, description="Messages the workflow keeps and the chat graph sees.")
    chat_turns_per_run: int = Field(50, ge=1, le=1000, description="Turns before the conversation workflow continues as new.")

    # Seed 003 support side: AI disclosure and the per-user chat quota (docs/cases.md)
    support_disclosure_version: str = Field("2025-01", min_length=1, max_length=64, description="Current AI-disclosure version users accept.")
    support_disclosure_required: bool = Field(
        False, description="Chat turns need the current disclosure accepted first (403 disclosure_required); off: acceptance is recorded only."
    )
    support_quota_period: Literal["day", "month"] = Field("day", description="Quota window: the current UTC day or calendar month.")
    support_quota_messages: int = Field(200, ge=0, description="Chat turns per user per period (refused turns count); 0: no limit.")
    support_quota_tokens: int = Field(200_000, ge=0, description="Model tokens (input + output) per user per period; 0: no limit.")
    support_quota_cost_usd: float = Field(5.0, ge=0, description="Model cost in USD per user per period; 0: no limit.")

    # Routing thresholds (seed 002: auto_resolve >= 0.7, agent_assist >= 0.5, else escalate)
    auto_resolve_threshold: float = Field(0.7, ge=0, le=1)
    agent_assist_threshold: float = Field(0.5, ge=0, le=1)

    # Priority bumps
    vip_domains: list[str] = []
    vip_emails: list[str] = []

    @field_validator("content_dir", "state_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("cors_origins", mode="after")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        # Browsers send Origin without a path or trailing slash; a configured "http://x/" would never match.
        for origin in value:
            if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
                raise ValueError(f'TRIAGE_CORS_ORIGINS entry {origin!r} must be "*" or scheme://host[:port] without a path')
        return value

    @field_validator("tenant_monthly_cost_caps_usd", mode="after")
    @classmethod
    def _caps_not_negative(cls, value: dict[str, float]) -> dict[str, float]:
        negative = [tenant for tenant, cap in value.items() if cap < 0]
        if negative:
            raise ValueError(f"TRIAGE_TENANT_MONTHLY_COST_CAPS_USD: negative cap for {', '.join(negative)}")
        return value

    @field_validator("entity_id_patterns", mode="after")
    @classmethod
    def _patterns_compile(cls, value: dict[str, str]) -> dict[str, str]:
        import re

        for name, pattern in value.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{1,40}", name):
                raise ValueError(f"entity type {name!r} must be lower_snake_case")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"TRIAGE_ENTITY_ID_PATTERNS[{name!r}] is not a valid regex: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> "Settings":
        if self.agent_assist_threshold > self.auto_resolve_threshold:
            raise ValueError("TRIAGE_AGENT_ASSIST_THRESHOLD must not exceed TRIAGE_AUTO_RESOLVE_THRESHOLD")
        if self.embedding_provider == "openai" and self.openai_api_key is None and self.openai_base_url is None:
            raise ValueError("TRIAGE_EMBEDDING_PROVIDER=openai needs TRIAGE_OPENAI_API_KEY or TRIAGE_OPENAI_BASE_URL")
        if self.llm_provider == "openai" and self.openai_api_key is None and self.openai_base_url is None:
            raise ValueError("TRIAGE_LLM_PROVIDER=openai needs TRIAGE_OPENAI_API_KEY or TRIAGE_OPENAI_BASE_URL")
        if self.embedding_provider == "sentence-transformers" and self.embedding_model_path is None:
            raise ValueError("TRIAGE_EMBEDDING_PROVIDER=sentence-transformers needs TRIAGE_EMBEDDING_MODEL_PATH (a local model directory)")
        return self

    def monthly_cost_cap(self, tenant_id: str) -> float | None:
        """The tenant's monthly model budget in USD (its override, else the global cap); ``None``: no cap."""
        return self.tenant_monthly_cost_caps_usd.get(tenant_id, self.tenant_monthly_cost_cap_usd)

    @property
    def chroma_path(self) -> Path:
        """Directory of the embedded Chroma store."""
        return self.state_dir / "chroma"

    @property
    def sql_url(self) -> str:
        """The SQL database: the configured URL, or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{self.state_dir / 'triage.db'}"

    @property
    def lexical_path(self) -> Path:
        """BM25 indexes (SQLite FTS5, one table pair per collection), shared by every process on this machine."""
        return self.state_dir / "lexical.sqlite3"

    @property
    def collection_names(self) -> dict[str, str]:
        """API collection name -> Chroma collection name."""
        return {"knowledge_base": self.kb_collection, "runbooks": self.runbook_collection, "tickets": self.ticket_collection}

    @property
    def kb_dir(self) -> Path:
        """Directory of the demo knowledge base articles."""
        return self.content_dir / "kb"

    @property
    def taxonomy_path(self) -> Path:
        return self.content_dir / "taxonomy.yaml"

    @property
    def labeled_tickets_path(self) -> Path:
        return self.content_dir / "labeled_tickets.jsonl"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use."""
    return Settings()
