"""Search endpoints: semantic (hybrid) search, similar tickets (seed 002), article suggestions (seed 004).

Like the entity endpoints these read the collections directly (tools/queries.py): a search has no state to make
durable, and a workflow round trip would add ~100 ms to every keystroke-driven query.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, StringConstraints, ValidatorFunctionWrapHandler, field_validator
from pydantic_core import PydanticCustomError

from api.deps import TenantDep, QueriesDep
from api.errors import ERROR_RESPONSES, error_response

_UNKNOWN_TICKET = {404: error_response("Unknown ticket for this tenant (`ticket_not_found`)")}
from api.routing import JsonCheckingRoute
from tools.queries import load_ticket, resolution_fields, SearchHit, tokenize

router = APIRouter(tags=["search"], route_class=JsonCheckingRoute, responses=ERROR_RESPONSES)

_INTERNAL_KEYS = {"content_hash", "tenant_id", "chunk_index", "doc_id"}

# Filters are flat metadata equality (a list: any of), checked here so that nothing a store would
# read as an operator ($or, $contains...) or refuse (empty or mixed lists) ever reaches it.
MAX_FILTERS = 20
MAX_FILTER_VALUES = 100
FILTER_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
_FILTER_NAME = re.compile(FILTER_NAME_PATTERN)
FilterName = Annotated[str, StringConstraints(pattern=FILTER_NAME_PATTERN)]
FilterText = Annotated[StrictStr, StringConstraints(max_length=500)]
FILTER_INT_LIMIT = 2**53
"""Integers are within +-2**53: what every store holds (SQLite and Chroma refused larger ones with a
503) and what a JSON number keeps exactly, so the schema's bounds mean the same to every client."""
FilterInt = Annotated[StrictInt, Field(ge=-FILTER_INT_LIMIT, le=FILTER_INT_LIMIT)]
FilterValue = (
    FilterText
    | StrictBool
    | FilterInt
    | Annotated[float, Field(allow_inf_nan=False)]
    | Annotated[list[FilterText], Field(min_length=1, max_length=MAX_FILTER_VALUES)]
    | Annotated[list[FilterInt], Field(min_length=1, max_length=MAX_FILTER_VALUES)]
    | Annotated[list[StrictBool], Field(min_length=1, max_length=MAX_FILTER_VALUES)]
)


def _filter_problem(name: Any, value: Any) -> str | None:
    """Why one filter is not a flat equality filter, or None."""
    if not isinstance(name, str) or not _FILTER_NAME.fullmatch(name):
        return "names are metadata fields ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters); operators such as $or, $and, $contains are not supported"
    if name == "tenant_id":
        return "the tenant comes from your API key (or X-Tenant-ID for admin/service keys), not from a filter"
    if isinstance(value, dict):
        return "values are a string, number, boolean or a list of one of them; operator objects such as {\"$contains\": ...} are not supported"
    if isinstance(value, list):
        if not value:
            return "an empty list matches nothing; leave the filter out or give at least one value"
        if len(value) > MAX_FILTER_VALUES:
            return f"at most {MAX_FILTER_VALUES} values"
        kinds = {type(item) for item in value}
        if len(kinds) > 1:
            return "a list holds values of one type (all strings, all integers or all booleans)"
        if not kinds <= {str, int, bool}:
            return "list values are strings, integers or booleans"
        if kinds == {int} and any(abs(item) > FILTER_INT_LIMIT for item in value):
            return "integers are between -2**53 and 2**53"
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > FILTER_INT_LIMIT:
        return "integers are between -2**53 and 2**53"
    elif value is None:
        return "null is not a filter value"
    elif isinstance(value, float) and value != value:
        return "NaN is not a filter value"
    return None


def _integral_list(value: Any) -> Any:
    """A list of numbers that are all whole is a list of integers: JSON has one number type, and
    its schema counts ``413.0`` as an integer."""
    if (
        isinstance(value, list)
        and value
        and all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in value)
        and all(float(item).is_integer() for item in value)
    ):
        return [int(item) for item in value]
    return value


def _only_named_filters(schema: dict[str, Any]) -> None:
    """The schema's filter object admits only what ``_filter_problem`` does: names matching the
    pattern (``patternProperties`` alone would let any other name through), never ``tenant_id``."""
    for branch in schema.get("anyOf", []):
        if branch.get("type") == "object":
            branch["additionalProperties"] = False
            branch["propertyNames"] = {"not": {"const": "tenant_id"}}


class SemanticSearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=10_000, description="Natural-language query, error code, hostname...")
    collection: Literal["tickets", "knowledge_base", "runbooks"]
    limit: int = Field(10, ge=1, le=100)
    threshold: float = Field(0.5, ge=0, le=1, description="Minimum score (0..1) of the chosen mode.")
    filters: dict[FilterName, FilterValue] | None = Field(
        None,
        max_length=MAX_FILTERS,
        description='Metadata equality filters, e.g. {"status": "resolved"}; a non-empty list of one type means any of. '
        "No operators ($or, $contains...), no nested objects; the tenant comes from the API key.",
        json_schema_extra=_only_named_filters,
    )
    mode: Literal["hybrid", "dense", "lexical"] = Field(
        "hybrid", description="hybrid: dense + BM25 by reciprocal rank fusion (1.0 = first in both, 0.5 = first in one); dense: cosine; lexical: BM25 relative to the best."
    )

    @field_validator("filters", mode="wrap")
    @classmethod
    def _flat_filters(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """One clear 422 naming the filter, instead of a union's list of near misses."""
        if isinstance(value, dict):
            value = {name: _integral_list(item) for name, item in value.items()}
            if len(value) > MAX_FILTERS:
                raise PydanticCustomError("invalid_filter", "at most {limit} filters", {"limit": MAX_FILTERS})
            for name, item in value.items():
                problem = _filter_problem(name, item)
                if problem:
                    raise PydanticCustomError("invalid_filter", "filter '{filter}': {problem}", {"filter": str(name)[:64], "problem": problem})
        return handler(value)


class SearchResult(BaseModel):
    id: str
    score: float
    payload: dict[str, Any]


class SemanticSearchResponse(BaseModel):
    query: str
    collection: str
    results: list[SearchResult]
    total_found: int
    search_time_ms: int


class SimilarTicketsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticketId: str = Field(min_length=1, max_length=128)
    limit: int = Field(5, ge=1, le=20)
    status: Literal["resolved", "open", "in_progress", "all"] = "resolved"


class SimilarTicket(BaseModel):
    id: str
    title: str
    similarity: float
    status: str
    category: str | None = None
    resolution: str | None = None
    resolved_at: str | None = None
    resolved_by: str | None = None


class SimilarTicketsResponse(BaseModel):
    ticketId: str
    similar: list[SimilarTicket]
    search_time_ms: int


class SuggestArticlesInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticketId: str = Field(min_length=1, max_length=128)


class SuggestArticlesRequest(BaseModel):
    """tRPC envelope of seed 004: ``{"json": {"ticketId": ...}}`` (suggestArticles, findSimilarTickets)."""

    model_config = ConfigDict(extra="forbid")

    json_: SuggestArticlesInput = Field(alias="json")


def _best_per_document(hits: list[SearchHit]) -> list[SearchHit]:
    seen: set[str] = set()
    kept = []
    for hit in hits:
        if hit.doc_id not in seen:
            seen.add(hit.doc_id)
            kept.append(hit)
    return kept


def _payload(hit: SearchHit) -> dict[str, Any]:
    payload = {key: value for key, value in hit.metadata.items() if key not in _INTERNAL_KEYS}
    payload.update(title=hit.title, chunk_id=hit.chunk_id, similarity=hit.similarity, snippet=hit.text[:300])
    if hit.url:
        payload["url"] = hit.url
    return payload


def _ticket_text(queries: QueriesDep, ticket_id: str, tenant: str) -> str:
    return load_ticket(queries.retrieval.collection("tickets"), ticket_id, tenant).text


@router.post("/v1/ai/search/semantic", response_model=SemanticSearchResponse, summary="Hybrid search over a collection")
async def semantic_search(body: SemanticSearchRequest, queries: QueriesDep, tenant: TenantDep) -> SemanticSearchResponse:
    """Dense vectors + BM25 fused by reciprocal rank fusion, one result per document (its best
    chunk), scoped to the caller's tenant. Lexical matching keeps exact error codes and hostnames
    (ORA-12541, srv-prod-db-03) on top where embeddings alone blur them."""
    started = time.perf_counter()
    filters = {**(body.filters or {}), "tenant_id": tenant}
    collection = queries.retrieval.collection(body.collection)
    hits = await asyncio.to_thread(collection.search, body.query, body.limit * 3, filters, body.threshold, body.mode)
    results = [SearchResult(id=hit.doc_id, score=hit.score, payload=_payload(hit)) for hit in _best_per_document(hits)[: body.limit]]
    return SemanticSearchResponse(
        query=body.query,
        collection=body.collection,
        results=results,
        total_found=len(results),
        search_time_ms=round((time.perf_counter() - started) * 1000),
    )


async def _similar_hits(queries: QueriesDep, tenant: str, ticket_id: str, limit: int, status: str | None) -> tuple[str, list[SearchHit]]:
    """The ticket's text and the best chunk of each of up to ``limit`` other tickets like it."""
    text = await asyncio.to_thread(_ticket_text, queries, ticket_id, tenant)
    filters: dict[str, Any] = {"tenant_id": tenant} if status is None else {"tenant_id": tenant, "status": status}
    collection = queries.retrieval.collection("tickets")
    hits = await asyncio.to_thread(collection.search, text, (limit + 1) * 3, filters, 0.0, "hybrid")
    return text, [hit for hit in _best_per_document(hits) if hit.doc_id != ticket_id][:limit]


@router.post("/v1/ai/similar-tickets", response_model=SimilarTicketsResponse, summary="Tickets similar to a given one", responses=_UNKNOWN_TICKET)
async def similar_tickets(body: SimilarTicketsRequest, queries: QueriesDep, tenant: TenantDep) -> SimilarTicketsResponse:
    """The ticket's indexed title and description are searched against the tenant's other
    tickets; resolved ones carry their resolution for reuse. 404 ``ticket_not_found`` for a
    ticket that was never triaged or ingested."""
    started = time.perf_counter()
    _, hits = await _similar_hits(queries, tenant, body.ticketId, body.limit, None if body.status == "all" else body.status)
    similar = [
        SimilarTicket(
            id=hit.doc_id,
            title=hit.title,
            similarity=hit.score,
            status=str(hit.metadata.get("status", "")),
            category=hit.metadata.get("category"),
            **resolution_fields(hit),
        )
        for hit in hits
    ]
    return SimilarTicketsResponse(ticketId=body.ticketId, similar=similar, search_time_ms=round((time.perf_counter() - started) * 1000))


def _reason(ticket_text: str, hit: SearchHit) -> str:
    """One line on why an article or ticket fits: the distinctive words it shares with the ticket."""
    ticket_terms = {t for t in tokenize(ticket_text) if not t.endswith("~") and len(t) > 3 and not t.isdigit()}
    chunk_terms = set(tokenize(hit.text))
    shared = sorted(ticket_terms & chunk_terms, key=lambda term: (-len(term), term))[:3]
    section = str(hit.metadata.get("section") or "the article")
    if shared:
        return f"Mentions {', '.join(repr(term) for term in shared)} in '{section}'"
    return f"Describes a closely related problem in '{section}'"


@router.post("/api/trpc/ai.suggestArticles", summary="Knowledge-base articles for a ticket (seed 004)", responses=_UNKNOWN_TICKET)
async def suggest_articles(body: SuggestArticlesRequest, queries: QueriesDep, tenant: TenantDep) -> dict[str, Any]:
    """Published articles only, best first, each with a relevance (0..1) and a one-line reason."""
    ticket_text = await asyncio.to_thread(_ticket_text, queries, body.json_.ticketId, tenant)
    kb = queries.kb_store
    hits = await asyncio.to_thread(kb.search, ticket_text, 15, {"status": "published", "tenant_id": tenant}, 0.0, "hybrid")
    suggestions = []
    for hit in _best_per_document(hits)[:5]:
        sections = await asyncio.to_thread(kb.document_sections, hit.doc_id, tenant)
        content = "\n\n".join(f"## {heading}\n{text}" for heading, text in sections.items())
        suggestions.append(
            {
                "articleId": hit.doc_id,
                "relevance": hit.score,
                "reasoning": _reason(ticket_text, hit),
                "article": {"id": hit.doc_id, "title": hit.title, "url": hit.url, "content": re.sub(r"\n{3,}", "\n\n", content)},
            }
        )
    return {"result": {"data": {"json": {"suggestions": suggestions}}}}


@router.post("/api/trpc/ai.findSimilarTickets", summary="Related tickets for context (seed 004)", responses=_UNKNOWN_TICKET)
async def find_similar_tickets(body: SuggestArticlesRequest, queries: QueriesDep, tenant: TenantDep) -> dict[str, Any]:
    """Up to 5 of the tenant's tickets (any status) most like this one, each with a one-line reason."""
    text, hits = await _similar_hits(queries, tenant, body.json_.ticketId, 5, None)
    similar = [
        {
            "ticketId": hit.doc_id,
            "similarity": hit.score,
            "reasoning": _reason(text, hit),
            "ticket": {
                "id": hit.doc_id,
                "subject": hit.title,
                "status": hit.metadata.get("status"),
                "priority": hit.metadata.get("priority"),
            },
        }
        for hit in hits
    ]
    return {"result": {"data": {"json": {"similarTickets": similar}}}}
