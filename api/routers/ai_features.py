"""Seed 004's AI procedures over tRPC's HTTP shape (``/api/trpc/ai.<procedure>``).

The API only validates and answers: every procedure that computes with a model (summary,
sentiment, priority, replies, tags, assignee, analysis, embedding) is one ``AIFeatureWorkflow``
run by the worker, which also writes what the procedure stores and the usage row. The usage report
(``ai.getTokenUsage``) is a read-only query of the llm_usage ledger. Inputs and answers follow
seed 004: ``{"json": {...}}`` in, ``{"result": {"data": {"json": ...}}}`` out; errors add tRPC's
``error`` envelope (api/errors.py) to our ``detail``.

Plans (seed 004): ``TRIAGE_AI_PLAN`` / ``TRIAGE_AI_TENANT_PLANS``. free: 403 FORBIDDEN for every
procedure; pro: the basic ones, ``TRIAGE_AI_PRO_MONTHLY_OPERATIONS`` per month, then 429
TOO_MANY_REQUESTS until the first of next month; business: all, unlimited. The usage report is
open to every plan.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from api.deps import SettingsDep, TemporalDep, TenantDep
from api.engine import run_short_workflow
from api.errors import ERROR_RESPONSES, error_response, safe_validation_errors
from api.routing import JsonCheckingRoute
from core.ai_features import AI_FEATURE_OPERATIONS, FULL_ASSIST, MAX_TEXT_CHARS, AIFeatureRequest, TipTapError, description_text
from core.errors import ForbiddenError, InvalidInputError, NotFoundError, UsageLimitExceededError
from core.settings import Settings
from tools.queries import UsageReport, month_start, next_month_start
from workflows.ai_features import AIFeatureWorkflow

router = APIRouter(prefix="/api/trpc", tags=["ai (seed 004)"], route_class=JsonCheckingRoute, responses=ERROR_RESPONSES)

_RUN_ERRORS: dict[int | str, dict[str, Any]] = {
    403: error_response("The tenant's plan does not include this procedure (`ai_plan_required`); tRPC code FORBIDDEN"),
    429: error_response("AI usage limit of the billing period reached (`ai_usage_limit_exceeded`); tRPC code TOO_MANY_REQUESTS", retry_after=True),
    502: error_response("AI processing failed (`workflow_failed`); tRPC code INTERNAL_SERVER_ERROR"),
    504: error_response("The worker did not answer in time (`workflow_timeout`)"),
}
_TICKET_ERRORS = {**_RUN_ERRORS, 404: error_response("Unknown ticket for this tenant (`ticket_not_found`); tRPC code NOT_FOUND")}

TicketId = Annotated[str, Field(min_length=1, max_length=128, description="Id of a ticket of your tenant (triaged or ingested)")]
Subject = Annotated[str, Field(min_length=1, max_length=1000, description="Ticket subject")]


class TipTapNode(BaseModel):
    """A TipTap (ProseMirror) JSON node: ``{"type": "doc", "content": [...]}``; text nodes carry ``text``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(max_length=64)
    text: str | None = Field(None, max_length=MAX_TEXT_CHARS)
    content: list["TipTapNode"] | None = Field(None, max_length=1000)


Description = Annotated[
    Annotated[str, Field(max_length=MAX_TEXT_CHARS)] | TipTapNode | None,
    Field(description="Ticket description (seed 004: `any`): plain text or a TipTap JSON document"),
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketInput(_Input):
    ticketId: TicketId


class TextInput(_Input):
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="Text to analyze (minimum 1 character)")


class ContentInput(_Input):
    subject: Subject
    description: Description = None

    @field_validator("description", mode="after")
    @classmethod
    def _readable(cls, value: Any) -> Any:
        """Flatten here, so an unreadable or oversized description is a 422 naming the field."""
        raw = value.model_dump(exclude_none=True) if isinstance(value, TipTapNode) else value
        try:
            text = description_text(raw)
        except TipTapError as exc:
            raise PydanticCustomError("invalid_description", str(exc)) from exc
        if len(text) > MAX_TEXT_CHARS:
            raise PydanticCustomError("text_too_long", "the description holds more than {limit} characters of text", {"limit": MAX_TEXT_CHARS})
        return text


class AssigneeInput(ContentInput):
    ticketId: TicketId | None = None


def _envelope(model: type[BaseModel], name: str) -> type[BaseModel]:
    """``{"json": <model>}``: the request body of a tRPC procedure."""
    return type(name, (BaseModel,), {"__annotations__": {"json_": model}, "json_": Field(alias="json"), "model_config": ConfigDict(extra="forbid")})


TicketRequest = _envelope(TicketInput, "TicketRequest")
TextRequest = _envelope(TextInput, "TextRequest")
ContentRequest = _envelope(ContentInput, "ContentRequest")
AssigneeRequest = _envelope(AssigneeInput, "AssigneeRequest")


# --------------------------------------------------------------------------------------------- responses
class Sentiment(BaseModel):
    sentiment: Literal["positive", "neutral", "negative"]
    score: float = Field(ge=-1, le=1)
    emotions: list[str]
    urgency: Literal["low", "medium", "high", "critical"]


class PriorityGuess(BaseModel):
    priority: Literal["urgent", "high", "normal", "low"]
    confidence: float = Field(ge=0, le=1)
    reasoning: str


class ReplySuggestion(BaseModel):
    text: str
    tone: str
    length: Literal["concise", "detailed"]


class Assignee(BaseModel):
    agentId: str
    agentName: str
    confidence: float = Field(ge=0, le=1)
    reasoning: str


class Summary(BaseModel):
    summary: str


class Replies(BaseModel):
    suggestions: list[ReplySuggestion]


class Tags(BaseModel):
    tags: list[str]


class AssigneeAnswer(BaseModel):
    suggestion: Assignee | None = Field(description="null when no agent or admin fits")


class Analysis(BaseModel):
    summary: str
    priority: PriorityGuess
    tags: list[str]
    sentiment: Sentiment


class Embedding(BaseModel):
    success: bool
    tokenCount: int = Field(ge=0)
    embeddingDimensions: int = Field(ge=1)


class UsageRecord(BaseModel):
    id: str
    operation: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    created_at: str


class UsageTotals(BaseModel):
    totalTokens: int
    totalPromptTokens: int
    totalCompletionTokens: int


class UsageGroup(BaseModel):
    key: str
    calls: int
    totalTokens: int
    totalPromptTokens: int
    totalCompletionTokens: int


class TokenUsage(BaseModel):
    usage: list[UsageRecord]
    totals: UsageTotals
    groups: list[UsageGroup] | None = Field(None, description="Only with groupBy: one row per day, ISO week, month, operation or model")


def _result(model: type[BaseModel], name: str) -> type[BaseModel]:
    """``{"result": {"data": {"json": <model>}}}``: tRPC's success shape, for the OpenAPI schema."""
    data = type(f"{name}Data", (BaseModel,), {"__annotations__": {"json_": model}, "json_": Field(alias="json")})
    result = type(f"{name}Result", (BaseModel,), {"__annotations__": {"data": data}})
    return type(name, (BaseModel,), {"__annotations__": {"result": result}})


# --------------------------------------------------------------------------------------------- plans and runs
def _plan(settings: Settings, tenant: str) -> str:
    return settings.ai_tenant_plans.get(tenant, settings.ai_plan)


def check_allowance(settings: Settings, report: UsageReport, tenant: str, procedure: str, now: datetime | None = None) -> None:
    """Seed 004's plan gate and usage limit; raises 403 / 429 with the reset time."""
    plan = _plan(settings, tenant)
    if plan == "free":
        raise ForbiddenError(f"AI features are not available on the free plan of tenant {tenant} (Pro or Business needed)", code="ai_plan_required")
    if plan == "pro" and procedure in FULL_ASSIST:
        raise ForbiddenError(f"ai.{procedure} is full AI assist: it needs the Business plan (tenant {tenant} is on Pro)", code="ai_plan_required")
    if plan == "pro":
        now = now or datetime.now(timezone.utc)
        used = report.operations_since(tenant, month_start(now), AI_FEATURE_OPERATIONS)
        if used >= settings.ai_pro_monthly_operations:
            reset = next_month_start(now)
            raise UsageLimitExceededError(
                f"tenant {tenant} used {used} of {settings.ai_pro_monthly_operations} AI operations this month (Pro plan); "
                f"the limit resets at {reset.isoformat().replace('+00:00', 'Z')}",
                retry_after_s=max(1, int((reset - now).total_seconds())),
            )


def _report(request: Request) -> UsageReport:
    return request.app.state.usage_report


async def _run(request: Request, settings: Settings, client: Any, tenant: str, procedure: str, **fields: Any) -> dict[str, Any]:
    await asyncio.to_thread(check_allowance, settings, _report(request), tenant, procedure)
    result = await run_short_workflow(
        client,
        AIFeatureWorkflow.run,
        AIFeatureRequest(tenant_id=tenant, procedure=procedure, **fields),  # type: ignore[arg-type]
        kind="ai-feature",
        tenant=tenant,
        task_queue=settings.task_queue,
        timeout_s=settings.workflow_result_timeout_s,
    )
    if result is None:
        raise NotFoundError(f"ticket {fields.get('ticket_id')!r} is not known for this tenant", code="ticket_not_found")
    return {"result": {"data": {"json": result.data}}}


# --------------------------------------------------------------------------------------------- procedures
@router.post("/ai.summarizeTicket", response_model=_result(Summary, "SummarizeTicketResponse"), responses=_TICKET_ERRORS, summary="Summarize a ticket (seed 004)")
async def summarize_ticket(body: TicketRequest, request: Request, settings: SettingsDep, client: TemporalDep, tenant: TenantDep) -> dict[str, Any]:  # type: ignore[valid-type]
    """Summary of the ticket's subject, description and resolution; stored as the ticket's ``ai_summary``."""
    return await _run(request, settings, client, tenant, "summarizeTicket", ticket_id=body.json_.ticketId)  # type: ignore[attr-defined]


@router.post("/ai.analyzeSentiment", response_model=_result(Sentiment, "AnalyzeSentimentResponse"), responses=_RUN_ERRORS, summary="Sentiment of a text (seed 004)")
async def analyze_sentiment(body: TextRequest, request: Request, settings: SettingsDep, client: TemporalDep, tenant: TenantDep) -> dict[str, Any]:  # type: ignore[valid-type]
    """positive (score >= 0.3), neutral, negative (score <= -0.3); emotions and urgency (English and Polish)."""
    return await _run(request, settings, client, tenant, "analyzeSentiment", text=body.json_.text)  # type: ignore[attr-defined]


@router.post("/ai.predictPriority", response_model=_result(PriorityGuess, "PredictPriorityResponse"), responses=_RUN_ERRORS, summary="Priority of a ticket (seed 004)")
async def predict_priority(body: ContentRequest, request: Request, settings: SettingsDep, client: TemporalDep, tenant: TenantDep) -> dict[str, Any]:  # type: ignore[valid-type]
    """urgent / high / normal / low from the triage's impact x urgency matrix, with confidence and the deciding words."""
    value = body.json_  # type: ignore[attr-defined]
    return await _run(request, settings, client, tenant, "predictPriority", subject=value.subject, description=value.description or "")


@router.post("/ai.generateReplySuggestions", response_model=_result(Replies, "ReplySuggestionsResponse"), responses=_TICKET_ERRORS, summary="Draft replies for a ticket (seed 004)")
async def generate_reply_suggestions(body: TicketRequest, request: Request, settings: SettingsDep, client: TemporalDep, tenant: TenantDep) -> dict[str, Any]:  # type: ignore[valid-type]
    """Two customer-facing drafts in the ticket's language: helpful/detailed and empathetic/concise, citing KB articles."""
    return await _run(request, settings, client, tenant, "generateReplySuggestions", ticket_id=body.json_.ticketId)  # type: ignore[attr-defined]


@router.post("/ai.suggestTags", response_model=_result(Tags, "SuggestTagsResponse"), responses=_RUN_ERRORS, summary="Tags for a ticket (seed 004)")
async def suggest_tags(body: ContentRequest, request: Request, settings: SettingsDep, client: TemporalDep, tenant: TenantDep) -> dict[str, Any]:  # type: ignore[valid-type]
    """Up to six lower-case tags: vocabulary cues, the classifier's subcategory, recognised software."""
    value = body.json_  # type: ignore[attr-defined]
    return await _run(request, settings, client, tenant, "suggestTags", subject=value.subject, description=value.description or "")


@router.post("/ai.suggestAssignee", response_model=_result(AssigneeAnswer, "SuggestAssigneeResponse"), responses=_TICKET_ERRORS, summary="Best agent for a ticket (seed 004)")
async def suggest_assignee(body: AssigneeRequest, request: Request, settings: SettingsDep, client: TemporalDep, tenant: TenantDep) -> dict[str, Any]:  # type: ignore[valid-type]
    """An agent or admin of the roster by expertise, team and similar tickets they resolved; ``suggestion: null`` when none fits."""
    value = body.json_  # type: ignore[attr-defined]
    return await _run(
        request, settings, client, tenant, "suggestAssignee", ticket_id=value.ticketId or "", subject=value.subject, description=value.description or ""
    )


@router.post("/ai.analyzeTicket", response_model=_result(Analysis, "AnalyzeTicketResponse"), responses=_TICKET_ERRORS, summary="Summary, priority, tags and sentiment at once (seed 004)")
async def analyze_ticket(body: TicketRequest, request: Request, settings: SettingsDep, client: TemporalDep, tenant: TenantDep) -> dict[str, Any]:  # type: ignore[valid-type]
    """The four analyses in parallel; stores ``ai_summary`` and the suggested tags on the ticket."""
    return await _run(request, settings, client, tenant, "analyzeTicket", ticket_id=body.json_.ticketId)  # type: ignore[attr-defined]


@router.post("/ai.generateTicketEmbedding", response_model=_result(Embedding, "TicketEmbeddingResponse"), responses=_TICKET_ERRORS, summary="Embed and store a ticket (seed 004)")
async def generate_ticket_embedding(body: TicketRequest, request: Request, settings: SettingsDep, client: TemporalDep, tenant: TenantDep) -> dict[str, Any]:  # type: ignore[valid-type]
    """Embeds the ticket with the configured embedding model and stores the vectors; tokens go to the usage ledger."""
    return await _run(request, settings, client, tenant, "generateTicketEmbedding", ticket_id=body.json_.ticketId)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------- usage report
def _date_or_instant(value: Any) -> Any:
    """``2024-01-31`` is a whole day; anything longer is a date-time (midnight included)."""
    if isinstance(value, str) and len(value) > 10:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if _ISO_INSTANT.match(value) else value
    return value


_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?$")
DateOrInstant = Annotated[date | datetime, BeforeValidator(_date_or_instant)]


class TokenUsageInput(_Input):
    # The schema says exactly what is accepted: an ISO date or an RFC 3339 date-time (the UI's ISO strings).
    startDate: DateOrInstant | None = Field(None, description="ISO date or date-time; from this instant (a date: its start, UTC)")
    endDate: DateOrInstant | None = Field(None, description="ISO date or date-time; up to this instant (a date: its whole day, UTC)")
    groupBy: Literal["day", "week", "month", "operation", "model"] | None = None
    _start: datetime | None = PrivateAttr(None)
    _end: datetime | None = PrivateAttr(None)

    @staticmethod
    def _instant(value: date | datetime, end: bool) -> datetime:
        if not isinstance(value, datetime):  # a whole day, UTC
            start = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
            return start + timedelta(days=1) if end else start
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    @model_validator(mode="after")
    def _range(self) -> "TokenUsageInput":
        # An endDate before startDate is an empty window (no rows), not an error: both are filters.
        self._start = self._instant(self.startDate, False) if self.startDate else None
        self._end = self._instant(self.endDate, True) if self.endDate else None
        return self


_INPUT_DOC = 'JSON object, URL-encoded: {"startDate": "2024-01-01", "endDate": "2024-01-31", "groupBy": "day"}; tRPC\'s {"json": {...}} is accepted too'


@router.get(
    "/ai.getTokenUsage",
    response_model=_result(TokenUsage, "TokenUsageResponse"),
    response_model_exclude_none=True,
    summary="AI token usage of the tenant (seed 004)",
    responses={400: error_response("`input` is not JSON (`invalid_input`)"), 422: error_response("Bad dates or groupBy")},
    # ``input`` is JSON in the query string (tRPC's GET): declared as such, read from the request.
    openapi_extra={
        "parameters": [
            {"name": "input", "in": "query", "required": False, "description": _INPUT_DOC, "content": {"application/json": {"schema": TokenUsageInput.model_json_schema()}}}
        ]
    },
)
async def get_token_usage(request: Request, tenant: TenantDep) -> dict[str, Any]:
    """Up to 1000 usage rows (newest first) and totals over the whole range, from the llm_usage ledger."""
    input = request.query_params.get("input")
    if input is not None and len(input) > 2000:
        raise InvalidInputError("input is longer than 2000 characters", code="invalid_input")
    raw: Any = {}
    if input:
        try:
            raw = json.loads(input)
        except ValueError:
            raise InvalidInputError("input is not JSON: send ?input= with a URL-encoded JSON object", code="invalid_input") from None
    if isinstance(raw, dict) and set(raw) == {"json"}:
        raw = raw["json"]
    if raw is None:
        raw = {}
    try:
        query = TokenUsageInput.model_validate(raw)
    except ValidationError as exc:
        from fastapi.exceptions import RequestValidationError

        raise RequestValidationError([{**error, "loc": ("query", "input", *error["loc"])} for error in safe_validation_errors(exc.errors())]) from None
    report = await asyncio.to_thread(_report(request).report, tenant, query._start, query._end, limit=1000, group_by=query.groupBy)
    return {"result": {"data": {"json": report}}}
