"""The FastAPI application factory and its lifespan (one Temporal client per process)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from temporalio.client import Client

from api.errors import install_error_handlers
from api.middleware import request_id_middleware
from api.routers import codec, health, tickets
from core.settings import Settings, get_settings
from workflows.client import connect_temporal, payload_codec


def create_app(settings: Settings | None = None, temporal_client: Client | None = None) -> FastAPI:
    """Build the app; pass ``temporal_client`` to reuse an open client (tests, the dev stack)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.codec = payload_codec(settings)
        app.state.temporal = temporal_client or await connect_temporal(settings)
        yield

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
    return app
