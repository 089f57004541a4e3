"""The answer-length cap reaches the endpoint under the name it reads: ``max_tokens`` in the body
for a custom OpenAI-compatible server (llama-cpp-python's server ignores ``max_completion_tokens``),
ChatOpenAI's own ``max_completion_tokens`` for OpenAI itself."""

from __future__ import annotations

import contextlib
from typing import Iterator

import pytest

from core.settings import Settings
from tests.fake_openai import FakeOpenAI
from tools.llm import OpenAIProvider, build_chat_provider, load_prompt
from tools.llm.errors import ProviderOutputError


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with FakeOpenAI() as server:
        yield server


def test_a_custom_endpoint_gets_max_tokens(fake: FakeOpenAI) -> None:
    provider = build_chat_provider(Settings(llm_provider="openai", openai_base_url=fake.base_url, llm_max_output_tokens=77))
    provider.complete(load_prompt("policy_review"), {"ticket": "t", "draft": "d", "doc_ids": "KB-1"})
    with contextlib.suppress(ProviderOutputError):  # the fake streams draft text, not the review's JSON
        provider.complete(load_prompt("policy_review"), {"ticket": "t", "draft": "d", "doc_ids": "KB-1"}, stream=True)
    assert [body.get("max_tokens") for body in fake.received] == [77, 77]
    assert all("max_completion_tokens" not in body for body in fake.received)


def test_openai_itself_gets_max_completion_tokens() -> None:
    provider = OpenAIProvider(model="gpt-4o-mini", base_url=None, api_key="sk-test", timeout_s=5, max_output_tokens=55)
    payload = provider._chat._get_request_payload([("user", "hi")])  # noqa: SLF001 - the body ChatOpenAI would send
    assert payload.get("max_completion_tokens") == 55 and "max_tokens" not in payload
