"""The model path of seed 004's procedures (agents/ai_features.py) against a scripted provider at the
LLM boundary: personal data never reaches the prompt, checked answers replace the offline ones, bad
answers fall back to the offline result, and every call is one usage record."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from agents.ai_features import _Call, _sentiment, _tags
from core.ai_features import AIFeatureRequest
from core.settings import Settings
from tools.llm.providers import LLMResult, parse_structured
from tools.pii.redaction import Redaction


class ScriptedProvider:
    name = "openai"
    model = "gpt-4o-mini"
    enabled = True

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.sent: list[str] = []

    def complete(self, prompt: Any, variables: dict[str, Any], **_: Any) -> LLMResult:
        system, user = prompt.render(**variables)
        self.sent.append(system + user)
        text = self.answers.pop(0)
        return LLMResult(text, parse_structured(text, prompt.schema), 120, 30, self.model, 5, 1)


class NoRedactor:
    def redact(self, text: str) -> Redaction:
        return Redaction(text=text, mapping={}, entities=[])


def _call(provider: ScriptedProvider) -> _Call:
    toolkit = SimpleNamespace(llm=provider, settings=Settings(llm_provider="openai", openai_api_key="x"), redactor=NoRedactor())
    return _Call(toolkit, AIFeatureRequest(tenant_id="demo", procedure="analyzeSentiment"), "wf-1")  # type: ignore[arg-type]


def test_model_sentiment_is_used_redacted_and_recorded() -> None:
    provider = ScriptedProvider([json.dumps({"sentiment": "neutral", "score": -0.62, "emotions": ["Frustration"], "urgency": "high"})])
    call = _call(provider)
    answer = _sentiment(call, "Still broken, mail me at jan.kowalski@example.com, PESEL 44051401359")
    assert answer == {"sentiment": "negative", "score": -0.62, "emotions": ["frustration"], "urgency": "high"}  # label from the score range
    assert "jan.kowalski@example.com" not in provider.sent[0] and "44051401359" not in provider.sent[0] and "<EMAIL_1>" in provider.sent[0]
    [record] = call.calls
    assert (record.operation, record.model, record.input_tokens, record.output_tokens, record.outcome) == ("sentiment_analysis", "gpt-4o-mini", 120, 30, "ok")


def test_a_bad_answer_keeps_the_offline_result_and_records_why() -> None:
    provider = ScriptedProvider(["I think it is fine", json.dumps({"tags": ["!!!", ""]})])
    call = _call(provider)
    offline = _sentiment(call, "This is unacceptable, I am furious!")
    assert offline["sentiment"] == "negative"  # the lexicon's answer
    call.toolkit.classifier = SimpleNamespace(classify=lambda text: SimpleNamespace(subcategory="Login Issue", confidence=0.9))
    call.toolkit.entity_extractor = SimpleNamespace(extract=lambda text: [])
    tags = _tags(call, "Cannot log in", "VPN login fails")
    assert {"login", "vpn", "login-issue"} <= set(tags)
    assert [(c.operation, c.outcome, c.input_tokens) for c in call.calls] == [
        ("sentiment_analysis", "llm_bad_output", 0),
        ("tag_suggestions", "llm_bad_output", 0),
    ]
