"""The openai provider against a scriptable OpenAI-compatible server: what leaves (never personal
data), usage and cost in the result and the SQL ledger, and every failure degrading to the offline
result with a typed reason (429 then success, 500s, timeouts, garbage, slow streams)."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pytest
import sqlalchemy as sa

from agents.registry import TriageToolkit
from agents.triage import nodes
from core.contracts import AIUsage, TokenUsage
from core.settings import Settings
from tests.fake_openai import USAGE, FakeOpenAI
from tools.llm import OfflineProvider, OpenAIProvider, UsageLedger, build_chat_provider, call_cost, load_prompt, parse_structured
from tools.llm.errors import PromptError, ProviderOutputError
from tools.llm.schemas import PolicyReview

NAME, EMAIL, PESEL, IBAN, PHONE = "Jan Kowalski", "jan.kowalski@example.pl", "44051401359", "PL61109010140000071219812874", "+48 601 234 567"
TICKET = (
    f"Dzień dobry, nazywam się {NAME}. Zostałem obciążony dwa razy za subskrypcję w tym miesiącu. "
    f"Mój PESEL {PESEL}, konto {IBAN}, e-mail {EMAIL}, telefon {PHONE}. Proszę o kontakt z Panem Kowalskim."
)
KB_1001 = {"doc_id": "KB-1001", "chunk_id": "KB-1001-c-1", "title": "Duplicate Charge Resolution", "score": 0.8, "url": "https://kb/1001"}


@pytest.fixture()
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture()
def llm_toolkit(installed_toolkit: TriageToolkit, fake: FakeOpenAI, tmp_path, monkeypatch) -> Iterator[TriageToolkit]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    original = (installed_toolkit.llm, installed_toolkit.usage_ledger)
    installed_toolkit.llm = OpenAIProvider(model="gpt-4o-mini", base_url=fake.base_url, api_key=None, timeout_s=2.0, max_retries=2, backoff_s=0.01)
    installed_toolkit.usage_ledger = UsageLedger(sa.create_engine(f"sqlite:///{tmp_path / 'usage.db'}"))
    yield installed_toolkit
    installed_toolkit.llm, installed_toolkit.usage_ledger = original


async def _run(message: str = TICKET) -> dict[str, Any]:
    state: dict[str, Any] = {
        "request": {"tenant_id": "demo", "ticket_id": "T-LLM", "raw_message": message, "customer_name": NAME, "customer_email": EMAIL},
        "run": {"workflow_id": "triage-demo-T~2DLLM", "run_id": "r1", "started_at": "2026-01-01T00:00:00+00:00"},
    }
    for node in (nodes.classify, nodes.extract_entities):
        state.update(await node(state))
    state["citations"], state["similar_tickets"] = [KB_1001], []
    for node in (nodes.prioritize, nodes.draft, nodes.policy_check, nodes.route):
        state.update(await node(state))
    return state


def _offline_body(state: dict[str, Any]) -> str:
    return state["answer_draft"]["body"]


async def test_model_draft_is_grounded_rehydrated_and_costed(llm_toolkit: TriageToolkit, fake: FakeOpenAI) -> None:
    state = await _run()
    body = state["answer_draft"]["body"]
    assert "[KB-1001]" in body and "within 8 hours" in body
    assert NAME in body or "Kowalsk" in body, "the placeholder the model echoed is put back"
    assert not re.search(r"<[A-Z_]+_\d+>", body)
    usage = TokenUsage.model_validate(state["token_usage"])
    per_call = call_cost("gpt-4o-mini", USAGE["prompt_tokens"], USAGE["completion_tokens"], llm_toolkit.settings.llm_prices)
    # three calls: classify (tests/unit/test_llm_classify.py), draft, policy_review
    assert usage.input == 3 * USAGE["prompt_tokens"] and usage.output == 3 * USAGE["completion_tokens"] and usage.total == 480
    assert usage.cost == pytest.approx(3 * per_call) and usage.cost > 0
    ai = AIUsage.model_validate(state["ai_usage"])
    assert ai.model == "gpt-4o-mini" and ai.ai_enabled
    assert set(ai.by_node) == {"classify", "draft", "policy_review"} and ai.by_node["draft"].prompt_id == "draft_reply@2"
    assert ai.by_node["draft"].cost == pytest.approx(per_call)
    assert state["ai_fallbacks"] == []
    rows = llm_toolkit.usage_ledger.rows("demo")  # type: ignore[union-attr]
    assert [(r["operation"], r["model"], r["prompt_id"], r["input_tokens"], r["output_tokens"]) for r in rows] == [
        ("classify", "gpt-4o-mini", "classify_ticket@1", 120, 40),
        ("draft", "gpt-4o-mini", "draft_reply@2", 120, 40),
        ("policy_review", "gpt-4o-mini", "policy_review@1", 120, 40),
    ]
    assert rows[1]["prompt_hash"] == load_prompt("draft_reply").content_hash and rows[1]["workflow_id"] == "triage-demo-T~2DLLM"
    assert [m["role"] for m in fake.received[1]["messages"]] == ["system", "user"] and fake.received[1]["stream"] is True


async def test_provider_never_receives_personal_data(llm_toolkit: TriageToolkit, fake: FakeOpenAI) -> None:
    await _run()
    assert len(fake.received) == 3  # classify, draft, policy_review
    sent = fake.sent_text()
    compact = re.sub(r"[\s-]", "", sent)
    for secret in (PESEL, IBAN, EMAIL, "Jan Kowalski", "Kowalski", "Kowalskim"):
        assert secret not in sent, secret
    assert "601234567" not in compact and IBAN not in compact
    assert "<PESEL_1>" in sent or "<PESEL" in sent


async def test_retried_run_replaces_its_ledger_rows(llm_toolkit: TriageToolkit) -> None:
    await _run()
    await _run()
    assert len(llm_toolkit.usage_ledger.rows("demo")) == 3  # type: ignore[union-attr]
    assert llm_toolkit.usage_ledger.monthly_cost("demo") > 0  # type: ignore[union-attr]


async def test_429_then_success_is_retried(llm_toolkit: TriageToolkit, fake: FakeOpenAI) -> None:
    fake.script = ["ok", "status:429", "ok"]  # classify, then the draft answered 429 once
    state = await _run()
    assert state["ai_fallbacks"] == [] and "[KB-1001]" in state["answer_draft"]["body"]
    assert len(fake.received) == 4  # classify, draft twice, review once


@pytest.mark.parametrize(
    "script, node, reason",
    [
        (["status:500", "status:500", "status:500"], "draft", "llm_unavailable"),
        (["status:401"], "draft", "llm_rejected"),
        (["sleep:3"], "draft", "llm_timeout"),
        (["slow_stream:0.4"], "draft", "llm_timeout"),
        (["body_garbage"], "draft", "llm_bad_output"),
        (["ok", "garbage"], "policy_review", "llm_bad_output"),
    ],
)
async def test_failures_fall_back_to_offline_with_a_typed_reason(
    llm_toolkit: TriageToolkit, fake: FakeOpenAI, script: list[str], node: str, reason: str
) -> None:
    fake.script = ["ok", *script]  # the first call is classify's
    if node == "draft":
        fake.draft_text = "x " * 5 + "[{doc}] " + "word " * 60  # long enough for a slow stream to pass the timeout
    state = await _run()
    assert {"node": "draft", "operation": node, "reason": reason} in state["ai_fallbacks"]
    ai = AIUsage.model_validate(state["ai_usage"])
    assert ai.by_node[node].fallback == reason
    # an answer that came back but was refused (JSON garbage) was billed; no answer costs nothing
    billed = script[-1] == "garbage"
    assert ai.by_node[node].input == (USAGE["prompt_tokens"] if billed else 0)
    assert (ai.by_node[node].cost > 0) == billed
    if node == "draft":
        assert state["answer_draft"]["body"].startswith("Dziękujemy") or "Na podstawie" in state["answer_draft"]["body"]
        assert "Na podstawie naszego artykułu [KB-1001]" in state["answer_draft"]["body"], "the offline Polish draft"
    assert state["routing"]["decision"] in {"auto_resolve", "agent_assist", "escalate"}
    outcomes = {r["operation"]: r["outcome"] for r in llm_toolkit.usage_ledger.rows("demo")}  # type: ignore[union-attr]
    assert outcomes[node] == reason


async def test_a_draft_citing_nothing_retrieved_is_not_used(llm_toolkit: TriageToolkit, fake: FakeOpenAI) -> None:
    fake.draft_text = "We will refund you in full, see [KB-4242]."
    state = await _run()
    assert {"node": "draft", "operation": "draft", "reason": "llm_bad_output"} in state["ai_fallbacks"]
    assert "KB-4242" not in state["answer_draft"]["body"] and not state["policy_check"]["refund_promise"]
    [row] = [r for r in llm_toolkit.usage_ledger.rows("demo") if r["operation"] == "draft"]  # type: ignore[union-attr]
    assert (row["outcome"], row["input_tokens"], row["output_tokens"]) == ("llm_bad_output", USAGE["prompt_tokens"], USAGE["completion_tokens"])
    assert row["cost"] > 0, "a refused answer was still billed, so it counts toward the tenant's cap"


async def test_a_draft_repeating_the_customers_identifiers_is_not_used(llm_toolkit: TriageToolkit, fake: FakeOpenAI) -> None:
    """Re-hydrated, <PESEL_1> and <IBAN_1> would put the customer's PESEL and account into the reply
    (SmolLM2-135M on llama.cpp does echo the ticket): the offline draft is kept instead."""
    fake.draft_text = "We noted your PESEL <PESEL_1> and account <IBAN_1>; see [{doc}]."
    state = await _run()
    assert {"node": "draft", "operation": "draft", "reason": "llm_bad_output"} in state["ai_fallbacks"]
    assert PESEL not in state["answer_draft"]["body"] and IBAN not in state["answer_draft"]["body"]
    assert "Na podstawie naszego artykułu [KB-1001]" in state["answer_draft"]["body"], "the offline Polish draft"


async def test_model_findings_are_added_never_removed(llm_toolkit: TriageToolkit, fake: FakeOpenAI) -> None:
    fake.review = {"findings": [{"code": "commitment_request", "description": "asks for a written refund promise"}]}
    state = await _run()
    issues = state["policy_check"]["issues"]
    assert any(i.startswith("commitment_request: model: asks") for i in issues)
    assert state["policy_check"]["compliance"] in {"warning", "failed"} and state["routing"]["decision"] != "auto_resolve"


async def test_ai_switched_off_uses_offline_everywhere(llm_toolkit: TriageToolkit, fake: FakeOpenAI) -> None:
    settings = Settings(ai_enabled=False, llm_provider="openai", openai_base_url=fake.base_url)
    provider = build_chat_provider(settings)
    assert isinstance(provider, OfflineProvider) and provider.model == "offline" and not provider.enabled
    original = llm_toolkit.settings
    llm_toolkit.settings = original.model_copy(update={"ai_enabled": False})  # even with a live provider installed
    try:
        state = await _run()
    finally:
        llm_toolkit.settings = original
    usage = TokenUsage.model_validate(state["token_usage"])
    ai = AIUsage.model_validate(state["ai_usage"])
    assert usage.total == 0 and usage.cost == 0 and ai.model == "offline" and ai.by_node == {} and not ai.ai_enabled
    assert fake.received == [] and "Na podstawie naszego artykułu [KB-1001]" in state["answer_draft"]["body"]


def test_settings_need_an_endpoint_for_openai() -> None:
    with pytest.raises(ValueError, match="TRIAGE_LLM_PROVIDER=openai"):
        Settings(llm_provider="openai")


def test_prompts_load_by_name_with_id_and_hash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    prompt = load_prompt("policy_review")
    assert prompt.prompt_id == "policy_review@1" and prompt.schema is PolicyReview and len(prompt.content_hash) == 16
    system, _ = prompt.render(ticket="t", draft="d", doc_ids="KB-1")
    assert '"findings"' in system
    (tmp_path / "bad.yaml").write_text("name: bad\nversion: 1\nsystem: x\nuser: y\nschema: Nope\n")
    with pytest.raises(PromptError):
        load_prompt("bad", tmp_path)
    with pytest.raises(PromptError):
        load_prompt("missing", tmp_path)


@pytest.mark.parametrize("text", ["not json", '{"findings": "nope"}', "```json\n{\"findings\": [{\"code\": 1}]}\n```"])
def test_structured_output_rejects_invalid_json(text: str) -> None:
    with pytest.raises(ProviderOutputError):
        parse_structured(text, PolicyReview)


def test_structured_output_tolerates_fences_and_chatter() -> None:
    parsed = parse_structured('Here:\n```json\n{"findings": [{"code": "model_finding", "description": "x"}]}\n```', PolicyReview)
    assert isinstance(parsed, PolicyReview) and parsed.findings[0].code == "model_finding"
