"""Structured answers of the seed 004 prompts (``prompts/ai_*.yaml``).

Registered into :data:`tools.llm.schemas.SCHEMAS` by :mod:`tools.assist.llm`, so a prompt file
names them like any other schema; kept here so the assist features stay one package.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class TicketSummary(BaseModel):
    """ai.summarizeTicket."""

    summary: str = Field(min_length=1, max_length=1500)


class SentimentAnalysis(BaseModel):
    """ai.analyzeSentiment; the label is re-derived from the score's range after parsing."""

    sentiment: Literal["positive", "neutral", "negative"]
    score: float = Field(ge=-1, le=1)
    emotions: list[str] = Field(default_factory=list, max_length=5)
    urgency: Literal["low", "medium", "high", "critical"]


class PriorityGuess(BaseModel):
    """ai.predictPriority."""

    priority: Literal["urgent", "high", "normal", "low"]
    confidence: float = Field(ge=0, le=1)
    reasoning: str = Field(min_length=1, max_length=600)


class ReplySuggestion(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    tone: str = Field(min_length=1, max_length=40)
    length: Literal["concise", "detailed"]


class ReplySuggestions(BaseModel):
    """ai.generateReplySuggestions."""

    suggestions: list[ReplySuggestion] = Field(min_length=1, max_length=3)


class TagSuggestions(BaseModel):
    """ai.suggestTags."""

    tags: list[str] = Field(max_length=8)


class AssigneeChoice(BaseModel):
    """ai.suggestAssignee: one of the listed candidates, or null."""

    agentId: str | None = Field(default=None, max_length=100)
    confidence: float = Field(0.0, ge=0, le=1)
    reasoning: str = Field("", max_length=600)


ASSIST_SCHEMAS: dict[str, type[BaseModel]] = {
    model.__name__: model
    for model in (TicketSummary, SentimentAnalysis, PriorityGuess, ReplySuggestions, TagSuggestions, AssigneeChoice)
}
