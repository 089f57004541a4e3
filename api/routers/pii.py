"""``/v1/ai/entities``, ``/v1/ai/redact`` and ``/v1/ai/rehydrate``: the entity/PII layer for other services.

Entities and redaction are computed in the API process on its read-only services (tools/queries.py);
the two writes these endpoints need, a redaction mapping and a re-hydration audit row, are done by
the worker in short workflows (``workflows/personal_data.py``) that the API waits for.

Cost is linear in the text (about 5-16 ms per 1,000 characters, docs/entities.md); each request has
``TRIAGE_REQUEST_TIME_BUDGET_S`` to finish (413 ``time_budget_exceeded`` otherwise) and stops within
one 20k-character window when its client disconnects.

Re-hydration puts personal data back in clear: only roles that may see it (``api.auth.PERSONAL_DATA_ROLES``)
may call it, and every attempt is an audit event (``tools/pii/audit.py``), written before the clear
text leaves: the API waits for the audit workflow, and answers an error (no text) if it fails.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth import require_personal_data_role
from api.budget import run_with_budget
from api.deps import PrincipalDep, QueriesDep, SettingsDep, TemporalDep, TenantDep, VaultDep
from api.engine import run_short_workflow
from api.errors import ERROR_RESPONSES, error_response
from api.routing import JsonCheckingRoute
from core.contracts import Entity, RehydrationEvent, StoreMapping
from tools.queries import detect_language, ExtractionStopped, PERSONAL_TYPES, rehydrate
from core.errors import InvalidInputError, NotFoundError
from workflows.personal_data import AuditRehydrationWorkflow, StoreMappingWorkflow

router = APIRouter(prefix="/v1/ai", tags=["entities and personal data"], route_class=JsonCheckingRoute, responses=ERROR_RESPONSES)
_FREE_TEXT_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: error_response(
        "The text needed more than TRIAGE_REQUEST_TIME_BUDGET_S (`time_budget_exceeded`): send it in parts; "
        "or the body is over TRIAGE_MAX_BODY_BYTES (`body_too_large`)"
    ),
    499: error_response("The client closed the connection; the work was stopped"),
}

Language = Literal["en", "pl"]


class EntitiesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="Ticket or message text (up to TRIAGE_MAX_TEXT_CHARS characters).")
    language: Language | None = Field(None, description="Skip detection when known.")
    types: list[str] | None = Field(None, description="Only these entity types (e.g. ['pesel', 'iban']).")


class EntitiesResponse(BaseModel):
    language: str
    entities: list[Entity]
    total: int
    processing_time_ms: int


class RedactRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    language: Language | None = None
    types: list[str] | None = Field(None, description=f"Types to replace; default: {', '.join(sorted(PERSONAL_TYPES))}.")


class RedactResponse(BaseModel):
    redacted_text: str
    mapping_id: str | None = Field(description="Pass to /v1/ai/rehydrate; null when nothing was redacted.")
    redacted: dict[str, int] = Field(description="Distinct values replaced per entity type.")
    placeholders: list[str]
    processing_time_ms: int


class RehydrateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mapping_id: str = Field(min_length=1, max_length=64)
    text: str = Field(description="Text holding placeholders such as <PESEL_1>, e.g. an LLM draft.")


class RehydrateResponse(BaseModel):
    text: str
    replaced: int


def _checked_text(text: str, max_chars: int) -> str:
    if len(text) > max_chars:
        raise InvalidInputError(f"text has {len(text)} characters; the limit is {max_chars} (TRIAGE_MAX_TEXT_CHARS).", code="text_too_long")
    return text


def _checked_types(types: list[str] | None, known: set[str]) -> list[str] | None:
    if types is None:
        return None
    unknown = sorted(set(types) - known)
    if unknown:
        raise InvalidInputError(f"unknown entity types {unknown}; known: {sorted(known)}", code="unknown_entity_type")
    return types


@router.post("/entities", response_model=EntitiesResponse, summary="Extract entities from text", responses=_FREE_TEXT_RESPONSES)
async def extract_entities(body: EntitiesRequest, queries: QueriesDep, settings: SettingsDep, request: Request) -> EntitiesResponse:
    """22+ entity types (email, phone, IBAN, PESEL, NIP, REGON, hostnames, error codes, ...) with
    confidence, start/end offsets and, for checksummed identifiers, ``valid``."""
    text = _checked_text(body.text, settings.max_text_chars)
    types = _checked_types(body.types, queries.entity_extractor.entity_types)
    started = time.perf_counter()
    language = body.language or detect_language(text[:5000])
    found = await run_with_budget(
        request,
        settings.request_time_budget_s,
        lambda should_stop: queries.entity_extractor.extract(text, language, should_stop=should_stop),
        ExtractionStopped,
        f"entity extraction of {len(text)} characters",
    )
    entities = [
        Entity(type=e.type, value=e.value, confidence=e.confidence, position=e.start, end=e.end, valid=e.valid)
        for e in found
        if types is None or e.type in types
    ]
    return EntitiesResponse(
        language=language, entities=entities, total=len(entities), processing_time_ms=round((time.perf_counter() - started) * 1000)
    )


@router.post("/redact", response_model=RedactResponse, summary="Replace personal data with typed placeholders", responses=_FREE_TEXT_RESPONSES)
async def redact(
    body: RedactRequest, queries: QueriesDep, client: TemporalDep, settings: SettingsDep, tenant: TenantDep, request: Request
) -> RedactResponse:
    """Placeholders are stable within the text (``<EMAIL_1>`` is the same address everywhere) and
    the mapping is kept, encrypted, for TRIAGE_REDACTION_TTL_HOURS so a reply can be re-hydrated."""
    text = _checked_text(body.text, settings.max_text_chars)
    redactor = queries.redactor
    types = _checked_types(body.types, redactor.entity_types)
    started = time.perf_counter()
    found = await run_with_budget(
        request,
        settings.request_time_budget_s,
        lambda should_stop: queries.entity_extractor.extract(text, body.language, should_stop=should_stop),
        ExtractionStopped,
        f"redaction of {len(text)} characters",
    )
    result = await asyncio.to_thread(redactor.redact_found, text, found, types)
    mapping_id = None
    if result.mapping:  # kept by the worker (the API writes no store)
        mapping_id = await run_short_workflow(
            client, StoreMappingWorkflow.run, StoreMapping(tenant_id=tenant, mapping=result.mapping),
            kind="redaction", tenant=tenant, task_queue=settings.task_queue, timeout_s=settings.workflow_result_timeout_s,
        )
    return RedactResponse(
        redacted_text=result.text,
        mapping_id=mapping_id,
        redacted=result.counts(),
        placeholders=list(result.mapping),
        processing_time_ms=round((time.perf_counter() - started) * 1000),
    )


@router.post(
    "/rehydrate",
    response_model=RehydrateResponse,
    summary="Put the original values back into a text (agent and admin keys; audited)",
    responses={404: error_response("Unknown or expired mapping (`mapping_not_found`)")},
)
async def rehydrate_text(
    body: RehydrateRequest, vault: VaultDep, client: TemporalDep, tenant: TenantDep, principal: PrincipalDep, settings: SettingsDep, request: Request
) -> RehydrateResponse:
    """Only keys whose role may see personal data (``agent``, ``admin``; not ``service``: 403
    ``forbidden``). Every attempt is recorded in the ``rehydration_audit`` table (key, user, role,
    tenant, mapping id, outcome, count; never the values) before the text is returned; 404
    ``mapping_not_found`` when the id is unknown for this tenant or has expired."""
    require_personal_data_role(principal)
    text = _checked_text(body.text, settings.max_text_chars)

    async def audited(outcome: str, replaced: int) -> None:
        """The audit row is written by the worker; waiting for it means no clear text leaves unaudited."""
        event = RehydrationEvent(
            tenant_id=tenant,
            key_id=principal.key_id,
            user_id=principal.user_id,
            role=principal.role,
            mapping_id=body.mapping_id[:64],
            outcome=outcome,  # type: ignore[arg-type]
            replaced=replaced,
            request_id=getattr(request.state, "request_id", None),
        )
        await run_short_workflow(
            client, AuditRehydrationWorkflow.run, event,
            kind="rehydration-audit", tenant=tenant, task_queue=settings.task_queue, timeout_s=settings.workflow_result_timeout_s,
        )

    try:
        mapping = await asyncio.to_thread(vault.get, tenant, body.mapping_id)
    except NotFoundError:
        await audited("not_found", 0)
        raise
    replaced = sum(text.count(placeholder) for placeholder in mapping)
    await audited("rehydrated", replaced)
    return RehydrateResponse(text=rehydrate(text, mapping), replaced=replaced)
