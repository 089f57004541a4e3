"""The FastAPI application factory and its lifespan (one Temporal client per process)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import AsyncIterator

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from temporalio.client import Client

from api.errors import install_error_handlers
from api.middleware import request_id_middleware
from agents.registry import TriageToolkit, build_toolkit
from api.routers import ai_triage, codec, health, pii, search, tickets
from core.settings import Settings, get_settings
from tools.pii.vault import MappingVault
from tools.triage_ledger import TriageLedger
from workflows.client import connect_temporal, payload_codec


def create_app(
    settings: Settings | None = None, temporal_client: Client | None = None, toolkit: TriageToolkit | None = None
) -> FastAPI:
    """Build the app; pass ``temporal_client`` and ``toolkit`` to reuse open ones (tests, the dev stack)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.codec = payload_codec(settings)
        app.state.temporal = temporal_client or await connect_temporal(settings)
        app.state.toolkit = toolkit or await asyncio.to_thread(build_toolkit, settings)
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(settings.sql_url)
        app.state.vault = MappingVault(
            engine, app.state.codec.keys, app.state.codec.active_key_id, timedelta(hours=settings.redaction_ttl_hours)
        )
        app.state.ledger = TriageLedger(engine)
        yield
        engine.dispose()

    app = FastAPI(
        title="Triage Desk",
        version=health.VERSION,
        description="AI triage for support and IT service desks: classification, priority, entities, "
        "knowledge-base citations, policy-checked drafts and routing, run durably on Temporal.",
        lifespan=lifespan,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=settings.cors_origins != ["*"],
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["x-request-id"],
    )
    app.middleware("http")(request_id_middleware)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(tickets.router)
    app.include_router(codec.router)
    app.include_router(ai_triage.router)
    app.include_router(pii.router)
    app.include_router(search.router)
    return app
