"""Pydantic models of the structured answers prompts ask for (the ``schema`` of a prompt file)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PolicyFinding(BaseModel):
    code: str = Field(max_length=40)
    description: str = Field(max_length=300)


class PolicyReview(BaseModel):
    """The model's findings about a draft; it can only add to the deterministic check."""

    findings: list[PolicyFinding] = Field(default_factory=list, max_length=10)


SCHEMAS: dict[str, type[BaseModel]] = {"PolicyReview": PolicyReview}
