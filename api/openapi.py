"""The OpenAPI document, completed with what only the running app knows.

Most rules live in the request models' own schemas; the entity types of ``/v1/ai/entities`` and
``/v1/ai/redact`` do not: they are whatever the loaded extractor recognises (Presidio's, ours, and
``TRIAGE_ENTITY_ID_PATTERNS``' names), so they are written in as an ``enum`` once the lifespan has
loaded it. Until then the document is built but not cached, so no client keeps a schema without them.
"""

from __future__ import annotations

from typing import Any, Callable

from fastapi import FastAPI

__all__ = ["ENTITY_TYPE_MODELS", "install_openapi"]

#: Request models whose ``types`` list names entity types.
ENTITY_TYPE_MODELS = ("EntitiesRequest", "RedactRequest")


def _document_entity_types(schema: dict[str, Any], known: set[str]) -> None:
    for name in ENTITY_TYPE_MODELS:
        field = schema.get("components", {}).get("schemas", {}).get(name, {}).get("properties", {}).get("types")
        for branch in (field or {}).get("anyOf", []):
            if branch.get("type") == "array":
                branch["items"] = {"type": "string", "enum": sorted(known)}


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with a builder that adds the loaded extractor's entity types."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        queries = getattr(app.state, "queries", None)
        if queries is None:
            app.openapi_schema = None  # asked before the lifespan: build again next time
            return schema
        _document_entity_types(schema, queries.entity_extractor.entity_types)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
