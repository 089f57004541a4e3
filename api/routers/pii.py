"""``/v1/ai/entities``, ``/v1/ai/redact`` and ``/v1/ai/rehydrate``: the entity/PII layer for other services.

These run in the API process on its read-only services (tools/queries.py): they are pure, read-only tools with no
business state to make durable, and a round trip through a workflow would only add latency.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import SettingsDep, TenantDep, QueriesDep, VaultDep
from core.contracts import Entity
from tools.classification.language import detect_language
from core.errors import InvalidInputError
from tools.pii import PERSONAL_TYPES, rehydrate

router = APIRouter(prefix="/v1/ai", tags=["entities and personal data"])

Language = Literal["en", "pl"]


class EntitiesRequest(BaseModel):
    text: str = Field(description="Ticket or message text (up to TRIAGE_MAX_TEXT_CHARS characters).")
    language: Language | None = Field(None, description="Skip detection when known.")
    types: list[str] | None = Field(None, description="Only these entity types (e.g. ['pesel', 'iban']).")


class EntitiesResponse(BaseModel):
    language: str
    entities: list[Entity]
    total: int
    processing_time_ms: int


class RedactRequest(BaseModel):
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


@router.post("/entities", response_model=EntitiesResponse, summary="Extract entities from text")
async def extract_entities(body: EntitiesRequest, queries: QueriesDep, settings: SettingsDep) -> EntitiesResponse:
    """22+ entity types (email, phone, IBAN, PESEL, NIP, REGON, hostnames, error codes, ...) with
    confidence, start/end offsets and, for checksummed identifiers, ``valid``."""
    text = _checked_text(body.text, settings.max_text_chars)
    types = _checked_types(body.types, queries.entity_extractor.entity_types)
    started = time.perf_counter()
    language = body.language or detect_language(text[:5000])
    found = await asyncio.to_thread(queries.entity_extractor.extract, text, language)
    entities = [
        Entity(type=e.type, value=e.value, confidence=e.confidence, position=e.start, end=e.end, valid=e.valid)
        for e in found
        if types is None or e.type in types
    ]
    return EntitiesResponse(
        language=language, entities=entities, total=len(entities), processing_time_ms=round((time.perf_counter() - started) * 1000)
    )


@router.post("/redact", response_model=RedactResponse, summary="Replace personal data with typed placeholders")
async def redact(body: RedactRequest, queries: QueriesDep, vault: VaultDep, settings: SettingsDep, tenant: TenantDep) -> RedactResponse:
    """Placeholders are stable within the text (``<EMAIL_1>`` is the same address everywhere) and
    the mapping is kept, encrypted, for TRIAGE_REDACTION_TTL_HOURS so a reply can be re-hydrated."""
    text = _checked_text(body.text, settings.max_text_chars)
    redactor = queries.redactor
    types = _checked_types(body.types, redactor.entity_types)
    started = time.perf_counter()
    result = await asyncio.to_thread(redactor.redact, text, body.language, types)
    mapping_id = await asyncio.to_thread(vault.put, tenant, result.mapping) if result.mapping else None
    return RedactResponse(
        redacted_text=result.text,
        mapping_id=mapping_id,
        redacted=result.counts(),
        placeholders=list(result.mapping),
        processing_time_ms=round((time.perf_counter() - started) * 1000),
    )


@router.post("/rehydrate", response_model=RehydrateResponse, summary="Put the original values back into a text")
async def rehydrate_text(body: RehydrateRequest, vault: VaultDep, tenant: TenantDep) -> RehydrateResponse:
    """404 ``mapping_not_found`` when the id is unknown for this tenant or has expired."""
    mapping = await asyncio.to_thread(vault.get, tenant, body.mapping_id)
    replaced = sum(body.text.count(placeholder) for placeholder in mapping)
    return RehydrateResponse(text=rehydrate(body.text, mapping), replaced=replaced)
