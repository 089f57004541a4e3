"""The FastAPI application factory and its lifespan (one Temporal client per process)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import AsyncIterator

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from temporalio.client import Client

from api.auth import authenticate
from api.errors import install_error_handlers
from api.middleware import BodyLimitMiddleware, RequestIdMiddleware
from api.openapi import install_openapi
from api.routers import ai_features, ai_triage, chat, codec, health, pii, search, seed_tickets, support, tickets
from core.sql import create_engine
from core.api_keys import ApiKeyStore
from core.settings import Settings, get_settings
from tools.queries import (
    ConversationStore,
    SupportStore,
    build_query_services,
    install_log_scrubbing,
    MappingVault,
    PiiScrubbingFilter,
    QueryServices,
    TicketRegister,
    TriageLedger,
    UsageReport,
)
from workflows.client import connect_temporal, payload_codec


UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def install_uvicorn_log_scrubbing() -> None:
    """Scrub personal data from uvicorn's records and from the root handlers (idempotent).

    The filter goes on uvicorn's handlers and on its loggers as well, so records are scrubbed
    whether uvicorn's own handlers or (``--log-config``/``log_config=None``) the root's write them.
    """
    install_log_scrubbing()
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        install_log_scrubbing(logger)
        if not any(isinstance(existing, PiiScrubbingFilter) for existing in logger.filters):
            logger.addFilter(PiiScrubbingFilter())


def create_app(
    settings: Settings | None = None, temporal_client: Client | None = None, queries: QueryServices | None = None
) -> FastAPI:
    """Build the app; pass ``temporal_client`` and ``queries`` to reuse open ones (tests).

    The API loads only its read-only services (query embedder, collection readers, Presidio):
    nothing of the triage graph, no classifier and no LLM client; every write is a workflow's.
    """
    settings = settings or get_settings()
    install_uvicorn_log_scrubbing()  # uvicorn --factory configures its loggers before calling us

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Whoever serves the app (``uvicorn --factory api.main:create_app``, devstack, tests), its
        # access log holds URLs with ticket ids and query values: scrub them here, not in a launcher.
        # uvicorn has configured its loggers by the time the lifespan starts.
        install_uvicorn_log_scrubbing()
        app.state.settings = settings
        app.state.codec = payload_codec(settings)
        app.state.temporal = temporal_client or await connect_temporal(settings)
        app.state.queries = queries or await asyncio.to_thread(build_query_services, settings)
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.sql_url)
        app.state.vault = MappingVault(
            engine, app.state.codec.keys, app.state.codec.active_key_id, timedelta(hours=settings.redaction_ttl_hours)
        )
        app.state.ledger = TriageLedger(engine)
        app.state.ticket_register = TicketRegister(engine)
        app.state.usage_report = UsageReport(engine)  # read-only: seed 004's ai.getTokenUsage and AI usage limits
        app.state.api_keys = ApiKeyStore(engine, cache_seconds=settings.api_key_cache_seconds)
        app.state.chat_store = ConversationStore(engine)  # read side of the conversation tables
        app.state.support_store = SupportStore(engine)  # read side of cases, disclosures and turn usage
        yield
        engine.dispose()

    app = FastAPI(
        title="Triage Desk",
        version=health.VERSION,
        description="AI triage for support and IT service desks: classification, priority, entities, "
        "knowledge-base citations, policy-checked drafts and routing, run durably on Temporal.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Browsers refuse a wildcard origin with credentials, and it would let any site use a victim's
    # cookies/auth: "*" (alone or among others) therefore means any origin, without credentials.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"] if "*" in settings.cors_origins else settings.cors_origins,
        allow_credentials="*" not in settings.cors_origins,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["x-request-id"],
    )
    app.add_middleware(RequestIdMiddleware)
    install_error_handlers(app)
    # Public: probes and the codec (its own token). Every other router needs an API key, applied here
    # per router so no route can be forgotten (tests/integration/test_auth.py walks app.routes).
    app.include_router(health.router)
    app.include_router(codec.router)
    authenticated = [Depends(authenticate)]
    app.include_router(tickets.router, dependencies=authenticated)
    app.include_router(seed_tickets.router, dependencies=authenticated)  # after tickets: /process and /metrics first
    app.include_router(ai_triage.router, dependencies=authenticated)
    app.include_router(pii.router, dependencies=authenticated)
    app.include_router(search.router, dependencies=authenticated)
    app.include_router(ai_features.router, dependencies=authenticated)
    app.include_router(chat.chat_router, dependencies=authenticated)
    app.include_router(chat.support_router, dependencies=authenticated)
    app.include_router(support.router, dependencies=authenticated)
    install_openapi(app)
    return app
