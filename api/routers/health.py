"""Health endpoints (seed 001): liveness, readiness with per-dependency details."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import QueriesDep, SettingsDep, TemporalDep
from api.readiness import probe_temporal, probe_vector_store, probe_worker

router = APIRouter(tags=["health"])

VERSION = "0.1.0"


class HealthStatus(BaseModel):
    status: str
    version: str
    timestamp: str
    checks: dict[str, dict[str, object]] | None = None
    missing: list[str] | None = Field(None, description="Parts that are not ready: temporal, worker, vector_store")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


@router.get("/health", response_model=HealthStatus, summary="Health Check")
async def health() -> HealthStatus:
    return HealthStatus(status="healthy", version=VERSION, timestamp=_now())


@router.get("/health/live", response_model=HealthStatus, summary="Liveness Check")
async def live() -> HealthStatus:
    return HealthStatus(status="alive", version=VERSION, timestamp=_now())


@router.get(
    "/health/ready",
    response_model=HealthStatus,
    summary="Readiness Check",
    responses={503: {"model": HealthStatus, "description": "A dependency is down; see checks"}},
)
async def ready(client: TemporalDep, settings: SettingsDep, queries: QueriesDep) -> JSONResponse:
    """200 when Temporal serves, a live worker serves the task queue (recent heartbeat or poll) and
    the vector store is there; else 503 naming the ``missing`` parts, each check with its detail."""
    probes = list(await asyncio.gather(probe_temporal(client), probe_worker(client, settings), probe_vector_store(settings, queries)))
    ok = all(p.ok for p in probes)
    body = HealthStatus(
        status="ready" if ok else "not_ready",
        version=VERSION,
        timestamp=_now(),
        checks={p.name: {"ok": p.ok, "detail": p.detail} for p in probes},
        missing=None if ok else [p.name for p in probes if not p.ok],
    )
    return JSONResponse(status_code=200 if ok else 503, content=body.model_dump(exclude_none=True))
