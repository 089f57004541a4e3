"""What a support-AI caller may do now: the AI disclosure they accepted and their chat quota.

Read-only (the API never writes a store): disclosure acceptances and per-turn usage are rows the
worker wrote (``tools.support_cases``). Both chat routers (seed 002 ``/v1/ai/chat`` and seed 003's
message turns) call :func:`ensure_may_send` before a turn reaches the workflow:

* disclosure: with ``TRIAGE_SUPPORT_DISCLOSURE_REQUIRED=true`` a turn needs the current
  ``TRIAGE_SUPPORT_DISCLOSURE_VERSION`` accepted, else 403 ``disclosure_required``;
* quota: a turn when any of the period's limits (messages, tokens, cost) is used up is a 429
  ``quota_exceeded`` with ``Retry-After`` (seconds until the period resets).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from pydantic import BaseModel, Field

from core.settings import Settings
from core.support import DISCLOSURE_REQUIRED, QUOTA_EXCEEDED, CaseOwner
from tools.queries import SupportStore

__all__ = ["QuotaStatus", "SupportStoreDep", "ensure_may_send", "period_bounds", "quota_status"]

_ADVERB = {"day": "daily", "month": "monthly"}


def _support_store(request: Request) -> SupportStore:
    """The read side of the support tables (opened in the app lifespan)."""
    return request.app.state.support_store


SupportStoreDep = Annotated[SupportStore, Depends(_support_store)]


class QuotaFigures(BaseModel):
    messages: int
    tokens: int
    cost_usd: float


class QuotaLimits(BaseModel):
    messages: int | None = Field(description="null: no limit")
    tokens: int | None
    cost_usd: float | None


class QuotaStatus(BaseModel):
    """The caller's chat usage in the current period against the configured limits."""

    period: str = Field(description="day or month (UTC)")
    period_start: datetime
    resets_at: datetime
    used: QuotaFigures
    limits: QuotaLimits
    remaining: QuotaLimits
    exceeded: list[str] = Field(description="Limits used up (messages, tokens, cost_usd): a turn now is a 429")
    allowed: bool


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """Start of the current UTC day or month, and the start of the next one."""
    day = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day, day + timedelta(days=1)
    start = day.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


def quota_status(store: SupportStore, settings: Settings, owner: CaseOwner, now: datetime | None = None) -> QuotaStatus:
    now = now or datetime.now(timezone.utc)
    start, end = period_bounds(settings.support_quota_period, now)
    used = store.usage_since(owner, start)
    limits: dict[str, Any] = {
        "messages": settings.support_quota_messages or None,
        "tokens": settings.support_quota_tokens or None,
        "cost_usd": settings.support_quota_cost_usd or None,
    }
    remaining = {name: None if limit is None else max(0, limit - used[name]) for name, limit in limits.items()}
    remaining["cost_usd"] = None if remaining["cost_usd"] is None else round(remaining["cost_usd"], 6)
    exceeded = [name for name, limit in limits.items() if limit is not None and used[name] >= limit]
    return QuotaStatus(
        period=settings.support_quota_period,
        period_start=start,
        resets_at=end,
        used=QuotaFigures(**used),
        limits=QuotaLimits(**limits),
        remaining=QuotaLimits(**remaining),
        exceeded=exceeded,
        allowed=not exceeded,
    )


async def ensure_may_send(store: SupportStore, settings: Settings, tenant: str, user: str) -> None:
    """403 ``disclosure_required`` or 429 ``quota_exceeded`` before a chat turn, else nothing."""
    owner = CaseOwner(tenant_id=tenant, user_id=user)
    if settings.support_disclosure_required:
        state = await asyncio.to_thread(store.disclosure, owner)
        if state.accepted_version != settings.support_disclosure_version:
            raise HTTPException(
                403,
                detail={
                    "code": DISCLOSURE_REQUIRED,
                    "message": f"accept the AI disclosure version {settings.support_disclosure_version} first "
                    "(POST /api/support/ai/disclosure/accept)",
                },
            )
    status = await asyncio.to_thread(quota_status, store, settings, owner)
    if status.exceeded:
        wait = max(1, int((status.resets_at - datetime.now(timezone.utc)).total_seconds()))
        raise HTTPException(
            429,
            detail={
                "code": QUOTA_EXCEEDED,
                "message": f"your {_ADVERB[status.period]} AI support quota is used up ({', '.join(status.exceeded)}); it resets at {status.resets_at.isoformat()}",
            },
            headers={"Retry-After": str(wait)},
        )
