"""Pydantic models of the structured answers prompts ask for (the ``schema`` of a prompt file)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PolicyFinding(BaseModel):
    code: str = Field(max_length=40)
    description: str = Field(max_length=300)


class PolicyReview(BaseModel):
    """The model's findings about a draft; it can only add to the deterministic check."""

    findings: list[PolicyFinding] = Field(default_factory=list, max_length=10)


class TicketClassification(BaseModel):
    """The model's choice among the classify prompt's candidates; checked against the taxonomy after parsing."""

    category: str = Field(max_length=100)
    subcategory: str = Field(max_length=100)
    intent: str = Field(max_length=60)
    confidence: float = Field(ge=0, le=1)


SCHEMAS: dict[str, type[BaseModel]] = {"PolicyReview": PolicyReview, "TicketClassification": TicketClassification}
