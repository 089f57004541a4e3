"""``triage-desk eval classification --dataset own --provider openai`` against the scriptable fake
OpenAI-compatible server (real ChatOpenAI client, real HTTP), on a few examples."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest

import tools.evaluation.cli as eval_cli
import tools.evaluation.llm_eval as llm_eval
from cli import main
from tests.fake_openai import USAGE, FakeOpenAI
from tests.unit.conftest import HashingEmbedder

ARGS = ["eval", "classification", "--dataset", "own", "--provider", "openai", "--llm-model", "gpt-4o-mini", "--limit", "9", "--folds", "3", "--quiet", "--no-cache"]


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch, entity_extractor: Any) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setattr(eval_cli, "_embedder", lambda args: HashingEmbedder())
    build_guard = llm_eval.build_guard
    monkeypatch.setattr(llm_eval, "build_guard", lambda settings: build_guard(settings, entity_extractor))  # the session's Presidio
    with FakeOpenAI() as server:
        yield server


def figures(out: str) -> dict[str, Any]:
    calls = re.search(r"model calls (\d+): (.*?); tokens in (\d+) / out (\d+)", out)
    offline = re.search(r"offline classifier on the same rows: accuracy category ([\d.]+), subcategory ([\d.]+)", out)
    model = re.search(r"^all  category\s+9\s+([\d.]+).*\n^all  subcategory\s+9\s+([\d.]+)", out, re.MULTILINE)
    assert calls and offline and model, out
    return {
        "calls": int(calls.group(1)), "reasons": calls.group(2), "tokens": (int(calls.group(3)), int(calls.group(4))),
        "offline": (offline.group(1), offline.group(2)), "model": (model.group(1), model.group(2)),
    }


def test_eval_scores_the_models_checked_answers(fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]) -> None:
    # The fake answers each classify prompt with its first candidate: the fold classifier's top pair.
    assert main([*ARGS, "--llm-base-url", fake.base_url]) == 0
    out = capsys.readouterr().out
    got = figures(out)
    assert "method llm (gpt-4o-mini)" in out and len(fake.received) == 9
    assert got["calls"] == 9 and got["reasons"] == "ok 9" and got["tokens"] == (9 * USAGE["prompt_tokens"], 9 * USAGE["completion_tokens"])
    assert all(0 <= float(value) <= 1 for value in (*got["model"], *got["offline"]))
    for body in fake.received:  # built like the node's prompt: candidates, examples, the ticket redacted
        prompt = "\n".join(m["content"] for m in body["messages"])
        assert "Candidates (category / subcategory" in prompt and "Labeled examples (nearest first)" in prompt
        ticket = prompt.split("<<<\n", 1)[1].split("\n>>>", 1)[0]
        assert not re.search(r"[\w.+-]+@[\w-]+\.\w+", ticket)


def test_answers_outside_the_candidates_fall_back_and_are_counted(fake: FakeOpenAI, capsys: pytest.CaptureFixture[str]) -> None:
    fake.classification = {"category": "Astrology", "subcategory": "Horoscope", "intent": "other", "confidence": 0.99}
    assert main([*ARGS, "--llm-base-url", fake.base_url]) == 0
    got = figures(capsys.readouterr().out)
    assert got["reasons"] == "llm_outside_taxonomy 9" and got["tokens"] == (0, 0) and got["model"] == got["offline"]


def test_eval_openai_needs_the_own_dataset_and_an_endpoint(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "classification", "--dataset", "massive_pl_en", "--provider", "openai", "--llm-base-url", "http://127.0.0.1:9/v1", "--quiet"]) == 2
    assert "--dataset own" in capsys.readouterr().out
    monkeypatch.setattr(eval_cli, "_embedder", lambda args: HashingEmbedder())
    monkeypatch.setattr(eval_cli, "_chat_provider", lambda args: None if not args.llm_base_url else object())
    assert main(["eval", "classification", "--dataset", "own", "--provider", "openai", "--quiet"]) == 2
    assert "--llm-base-url" in capsys.readouterr().out
