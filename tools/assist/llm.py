"""The model's part of the seed 004 procedures: call a ``prompts/ai_*.yaml`` prompt, parse its
structured answer, and check it before it may replace the offline result.

Every function returns the checked answer or raises :class:`~tools.llm.errors.ProviderError`
(``ProviderOutputError`` for an answer that does not fit); the caller then keeps the offline result
and records the error code, as the triage's draft node does.
"""

from __future__ import annotations

from typing import Any

from tools.assist.schemas import ASSIST_SCHEMAS, AssigneeChoice, PriorityGuess, ReplySuggestions, SentimentAnalysis, TagSuggestions, TicketSummary
from tools.assist.tags import MAX_TAGS, TAG_PATTERN, slug
from tools.drafting import cited_ids, strip_citations, unknown_citations
from tools.llm.errors import ProviderOutputError
from tools.llm.prompts import Prompt, load_prompt
from tools.llm.providers import ChatProvider, LLMResult
from tools.llm.schemas import SCHEMAS

SCHEMAS.update(ASSIST_SCHEMAS)  # prompt files name these schemas; registered before any ai_* prompt loads

LANGUAGE_NAMES = {"en": "English", "pl": "Polish"}
PROMPTS = {
    "ticket_summary": "ai_summarize_ticket",
    "sentiment_analysis": "ai_analyze_sentiment",
    "priority_prediction": "ai_predict_priority",
    "reply_suggestions": "ai_reply_suggestions",
    "tag_suggestions": "ai_suggest_tags",
    "assignee_suggestion": "ai_suggest_assignee",
}


def prompt_for(operation: str) -> Prompt:
    return load_prompt(PROMPTS[operation])


def _parsed(result: LLMResult, kind: type) -> Any:
    if not isinstance(result.parsed, kind):
        raise ProviderOutputError(f"the answer is not a {kind.__name__}")
    return result.parsed


def model_summary(provider: ChatProvider, prompt: Prompt, *, ticket: str, language: str) -> tuple[str, LLMResult]:
    result = provider.complete(prompt, {"ticket": ticket, "language_name": LANGUAGE_NAMES.get(language, "English")})
    summary = _parsed(result, TicketSummary).summary.strip()
    if not summary:
        raise ProviderOutputError("the summary is empty")
    return summary, result


def model_sentiment(provider: ChatProvider, prompt: Prompt, *, text: str) -> tuple[dict[str, Any], LLMResult]:
    """The model's reading; the label is taken from the score's range so the two always agree (seed 004's table)."""
    result = provider.complete(prompt, {"text": text})
    answer = _parsed(result, SentimentAnalysis)
    score = round(float(answer.score), 2)
    sentiment = "positive" if score >= 0.3 else "negative" if score <= -0.3 else "neutral"
    emotions = list(dict.fromkeys(slug(e) for e in answer.emotions if slug(e)))[:3]
    return {"sentiment": sentiment, "score": score, "emotions": emotions, "urgency": answer.urgency}, result


def model_priority(provider: ChatProvider, prompt: Prompt, *, ticket: str, hint: str) -> tuple[dict[str, Any], LLMResult]:
    result = provider.complete(prompt, {"ticket": ticket, "hint": hint})
    answer = _parsed(result, PriorityGuess)
    return {"priority": answer.priority, "confidence": round(float(answer.confidence), 2), "reasoning": answer.reasoning.strip()}, result


def model_tags(provider: ChatProvider, prompt: Prompt, *, ticket: str, vocabulary: list[str]) -> tuple[list[str], LLMResult]:
    result = provider.complete(prompt, {"ticket": ticket, "vocabulary": ", ".join(vocabulary)})
    tags = [t for t in dict.fromkeys(slug(tag) for tag in _parsed(result, TagSuggestions).tags) if TAG_PATTERN.match(t)][:MAX_TAGS]
    if not tags:
        raise ProviderOutputError("no usable tags in the answer")
    return tags, result


def model_replies(
    provider: ChatProvider, prompt: Prompt, *, variables: dict[str, Any], allowed: set[str]
) -> tuple[list[dict[str, str]], LLMResult]:
    """Both drafts must cite a retrieved article when there are any; other ids are stripped."""
    result = provider.complete(prompt, variables)
    suggestions = []
    for suggestion in _parsed(result, ReplySuggestions).suggestions:
        text = suggestion.text.strip()
        if allowed and not set(cited_ids(text)) & allowed:
            raise ProviderOutputError("a reply cites none of the retrieved articles")
        suggestions.append({"text": strip_citations(text, unknown_citations(text, allowed)), "tone": suggestion.tone.strip().lower(), "length": suggestion.length})
    return suggestions, result


def model_assignee(
    provider: ChatProvider, prompt: Prompt, *, ticket: str, category: str, candidates: str, eligible: dict[str, str]
) -> tuple[dict[str, Any] | None, LLMResult]:
    """The model's pick among ``eligible`` (id -> name); an id not listed is a bad answer."""
    result = provider.complete(prompt, {"ticket": ticket, "category": category, "candidates": candidates})
    answer = _parsed(result, AssigneeChoice)
    if answer.agentId is None:
        return None, result
    if answer.agentId not in eligible:
        raise ProviderOutputError("the model chose an agent who is not a candidate")
    return {"agentId": answer.agentId, "agentName": eligible[answer.agentId], "confidence": round(float(answer.confidence), 2), "reasoning": answer.reasoning.strip()}, result
