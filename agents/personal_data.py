"""Worker-side activities of :mod:`workflows.personal_data`: the redaction vault and the re-hydration audit."""

from __future__ import annotations

import asyncio

from temporalio import activity

from agents.registry import get_toolkit
from core.contracts import RehydrationEvent, StoreMapping
from core.graphs import AUDIT_REHYDRATION_ACTIVITY, STORE_MAPPING_ACTIVITY


@activity.defn(name=STORE_MAPPING_ACTIVITY)
async def store_mapping(request: StoreMapping) -> str:
    """Seal and keep the mapping (AES-GCM with the payload keys, TTL from settings)."""
    return await asyncio.to_thread(get_toolkit().vault.put, request.tenant_id, request.mapping)


@activity.defn(name=AUDIT_REHYDRATION_ACTIVITY)
async def audit_rehydration(event: RehydrationEvent) -> None:
    await asyncio.to_thread(
        get_toolkit().rehydration_audit.record,
        tenant_id=event.tenant_id,
        key_id=event.key_id,
        user_id=event.user_id,
        role=event.role,
        mapping_id=event.mapping_id,
        outcome=event.outcome,
        replaced=event.replaced,
        request_id=event.request_id,
    )
