"""Retrieval-augmented classification and the per-tenant monthly cost cap, with a fake chat model at
the LLM boundary (``OpenAIProvider(chat=FakeChat)``: our provider code runs, only ChatOpenAI is replaced).

The classify node offers the model the classifier's top pairs and the nearest labeled examples'
labels, with those examples in the prompt; an answer outside them keeps the offline labels with a
typed reason; past the tenant's cap no call is made at all (``cost_cap_reached``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import pytest
import sqlalchemy as sa
from langchain_core.messages import AIMessage, AIMessageChunk

from agents.registry import TriageToolkit
from agents.triage import nodes
from core.contracts import TriageResult
from core.triage_state import assemble_result
from tools.llm import LLMCallRecord, OpenAIProvider, UsageLedger, call_cost, load_prompt
from tools.llm.classify import build_candidates

NAME, EMAIL, PESEL = "Anna Nowak", "anna.nowak@example.pl", "44051401359"
TICKET = f"Hello, I am {NAME} ({EMAIL}, PESEL {PESEL}). I was charged twice for my subscription this month, please fix it."
KB = {"doc_id": "KB-1001", "chunk_id": "KB-1001-c-1", "title": "Duplicate Charge Resolution", "score": 0.8, "url": "https://kb/1001"}
USAGE = {"input_tokens": 200, "output_tokens": 30, "total_tokens": 230}


def candidate_pairs(prompt: str) -> list[tuple[str, str]]:
    return re.findall(r"^- ([^/\n]+?) / ([^:\n]+?)(?::|$)", prompt, re.MULTILINE)


class FakeChat:
    """Stands in for ChatOpenAI: ``classify(prompt) -> answer text`` decides the classification; the
    draft cites the first article in its prompt; the review finds nothing. Every prompt is kept."""

    def __init__(self) -> None:
        self.prompts: list[str] = []
        self.classify: Callable[[str], str] = lambda prompt: json.dumps(
            {"category": candidate_pairs(prompt)[0][0], "subcategory": candidate_pairs(prompt)[0][1], "intent": "billing_dispute", "confidence": 0.93}
        )

    def invoke(self, messages: list[tuple[str, str]]) -> AIMessage:
        prompt = "\n".join(text for _, text in messages)
        self.prompts.append(prompt)
        text = self.classify(prompt) if "Candidates (category / subcategory" in prompt else json.dumps({"findings": []})
        return AIMessage(content=text, usage_metadata=USAGE)

    def stream(self, messages: list[tuple[str, str]], **_: Any) -> Iterator[AIMessageChunk]:
        prompt = "\n".join(text for _, text in messages)
        self.prompts.append(prompt)
        doc = (re.findall(r"\[((?:KB|RB)-\d+)\]", prompt) or ["KB-0000"])[0]
        yield AIMessageChunk(content=f"Please check your statement as described in [{doc}].")
        yield AIMessageChunk(content="", usage_metadata=USAGE)


@pytest.fixture()
def chat(installed_toolkit: TriageToolkit, tmp_path) -> Iterator[FakeChat]:  # type: ignore[no-untyped-def]
    fake = FakeChat()
    original = (installed_toolkit.llm, installed_toolkit.usage_ledger, installed_toolkit.settings)
    installed_toolkit.llm = OpenAIProvider(model="gpt-4o-mini", base_url=None, api_key=None, timeout_s=5, chat=fake)
    installed_toolkit.usage_ledger = UsageLedger(sa.create_engine(f"sqlite:///{tmp_path / 'usage.db'}"))
    yield fake
    installed_toolkit.llm, installed_toolkit.usage_ledger, installed_toolkit.settings = original


async def run_graph(tenant: str = "demo", message: str = TICKET) -> dict[str, Any]:
    state: dict[str, Any] = {
        "request": {"tenant_id": tenant, "ticket_id": "T-CLS", "raw_message": message, "customer_name": NAME, "customer_email": EMAIL},
        "run": {"workflow_id": f"triage-{tenant}-T~2DCLS", "run_id": "r1", "started_at": "2026-01-01T00:00:00+00:00"},
    }
    for node in (nodes.classify, nodes.extract_entities):
        state.update(await node(state))
    state["citations"], state["similar_tickets"] = [KB], []
    for node in (nodes.prioritize, nodes.draft, nodes.policy_check, nodes.route):
        state.update(await node(state))
    return state


def result_of(state: dict[str, Any]) -> TriageResult:
    return assemble_result(state, datetime.now(timezone.utc), state["run"]["workflow_id"])  # type: ignore[arg-type]


async def test_model_chooses_among_candidates_with_examples_in_the_prompt(installed_toolkit: TriageToolkit, chat: FakeChat) -> None:
    offline = installed_toolkit.classifier.classify(TICKET)
    chosen: dict[str, tuple[str, str]] = {}

    def second_candidate(prompt: str) -> str:
        chosen["pair"] = candidate_pairs(prompt)[1]
        return json.dumps({"category": chosen["pair"][0], "subcategory": chosen["pair"][1], "intent": "refund_request", "confidence": 0.61})

    chat.classify = second_candidate
    state = await run_graph()
    classification = state["classification"]
    assert (classification["category"], classification["subcategory"]) == chosen["pair"]
    assert classification["intent"]["type"] == "refund_request" and classification["confidence"] == 0.61
    assert "refund_request" not in [a["type"] for a in classification["intent"]["alternatives"]]
    assert offline.category == "Billing" and chosen["pair"] != (offline.category, offline.subcategory)

    prompt = next(p for p in chat.prompts if "Candidates (category / subcategory" in p)
    pairs = candidate_pairs(prompt)
    assert len(pairs) >= installed_toolkit.settings.llm_classify_candidates and len(set(pairs)) == len(pairs)
    examples = re.findall(r'^- ".*" -> (.+?) / (.+?), intent ([\w_]+)$', prompt, re.MULTILINE)
    assert len(examples) == installed_toolkit.settings.llm_classify_examples
    assert all((category, subcategory) in pairs for category, subcategory, _ in examples), "every example's label is a candidate"
    assert "billing_dispute" in prompt.split("Intents:")[1].splitlines()[0]

    result = result_of(state)
    per_call = call_cost("gpt-4o-mini", USAGE["input_tokens"], USAGE["output_tokens"], installed_toolkit.settings.llm_prices)
    classify_usage = result.ai_usage.by_node["classify"]
    assert classify_usage.fallback is None and classify_usage.prompt_id == "classify_ticket@1" and classify_usage.input == 200
    assert classify_usage.cost == pytest.approx(per_call)
    assert set(result.ai_usage.by_node) == {"classify", "draft", "policy_review"}
    assert result.token_usage.input == 3 * 200 and result.token_usage.cost == pytest.approx(3 * per_call)
    rows = installed_toolkit.usage_ledger.rows("demo")  # type: ignore[union-attr]
    assert [(r["operation"], r["prompt_id"], r["prompt_hash"]) for r in rows][0] == (
        "classify", "classify_ticket@1", load_prompt("classify_ticket").content_hash
    )
    assert len(rows) == 3


async def test_no_personal_data_reaches_the_classify_prompt(chat: FakeChat) -> None:
    await run_graph()
    prompt = next(p for p in chat.prompts if "Candidates (category / subcategory" in p)
    for secret in (NAME, "Nowak", EMAIL, PESEL):
        assert secret not in prompt, secret
    assert "<PESEL_1>" in prompt or "<PESEL" in prompt


@pytest.mark.parametrize(
    "answer, reason",
    [
        ({"category": "Astrology", "subcategory": "Horoscope", "intent": "billing_dispute", "confidence": 0.99}, "llm_outside_taxonomy"),
        ({"category": "Shipping", "subcategory": "Lost Package", "intent": "billing_dispute", "confidence": 0.99}, "llm_outside_taxonomy"),
        ({"category": "Billing", "subcategory": "Duplicate Charge", "intent": "make_coffee", "confidence": 0.99}, "llm_outside_taxonomy"),
        ("not json at all", "llm_bad_output"),
        ({"category": "Billing", "subcategory": "Duplicate Charge", "intent": "billing_dispute", "confidence": 7}, "llm_bad_output"),
    ],
)
async def test_an_answer_outside_the_candidates_keeps_the_offline_labels(
    installed_toolkit: TriageToolkit, chat: FakeChat, answer: Any, reason: str
) -> None:
    offline = installed_toolkit.classifier.classify(TICKET)
    chat.classify = lambda prompt: answer if isinstance(answer, str) else json.dumps(answer)
    state = await run_graph()
    if isinstance(answer, dict) and answer["category"] == "Shipping":  # in the taxonomy, but not offered
        assert ("Shipping", "Lost Package") in {(c.name, s) for c in installed_toolkit.taxonomy.categories for s in c.subcategories}
        assert ("Shipping", "Lost Package") not in candidate_pairs(chat.prompts[0])
    classification = state["classification"]
    assert (classification["category"], classification["subcategory"], classification["intent"]["type"]) == (
        offline.category, offline.subcategory, offline.intent
    )
    assert classification["confidence"] == round(offline.confidence, 4)
    assert {"node": "classify", "operation": "classify", "reason": reason} in state["ai_fallbacks"]
    result = result_of(state)
    assert result.ai_usage.by_node["classify"].fallback == reason
    # the refused answer still came back and was billed: its tokens are counted, not dropped
    assert (result.ai_usage.by_node["classify"].input, result.ai_usage.by_node["classify"].output) == (USAGE["input_tokens"], USAGE["output_tokens"])
    assert result.ai_usage.by_node["draft"].fallback is None, "the draft still used the model"


async def test_classify_off_switch_and_offline_provider_make_no_call(installed_toolkit: TriageToolkit, chat: FakeChat) -> None:
    installed_toolkit.settings = installed_toolkit.settings.model_copy(update={"llm_classify": False})
    state = await run_graph()
    assert "classify" not in result_of(state).ai_usage.by_node
    assert not any("Candidates (category / subcategory" in p for p in chat.prompts)


def test_candidates_are_the_top_pairs_and_the_nearest_examples_labels(installed_toolkit: TriageToolkit) -> None:
    classifier = installed_toolkit.classifier
    text = "VPN keeps disconnecting every few minutes since this morning"
    vector = installed_toolkit.embedder.embed([text])[0]
    candidates = build_candidates(classifier, text, vector, pairs=3, examples=5)
    top = [(c, s) for c, s, _ in classifier.top_pairs(text, vector, 3)]
    assert candidates.pairs[:3] == top and len(candidates.examples) == 5
    assert {(e.category, e.subcategory) for e, _ in candidates.examples} <= set(candidates.pairs)
    similarities = [similarity for _, similarity in candidates.examples]
    assert similarities == sorted(similarities, reverse=True)


# ------------------------------------------------------------------ per-tenant monthly cost cap
def spend(ledger: UsageLedger, tenant: str, cost: float, at: datetime | None = None) -> None:
    call = LLMCallRecord(operation="draft", provider="openai", model="gpt-4o-mini", prompt_id="draft_reply@1", prompt_hash="x", cost=cost)
    ledger.record(tenant_id=tenant, ticket_id="earlier", workflow_id=f"earlier-{tenant}-{cost}-{at}", call=call, at=at)


async def test_over_the_cap_no_call_is_made_and_the_result_says_why(installed_toolkit: TriageToolkit, chat: FakeChat) -> None:
    installed_toolkit.settings = installed_toolkit.settings.model_copy(update={"tenant_monthly_cost_cap_usd": 1.0})
    spend(installed_toolkit.usage_ledger, "demo", 1.25)  # type: ignore[arg-type]
    state = await run_graph()
    assert chat.prompts == [], "past the cap nothing leaves"
    result = result_of(state)
    assert {op: usage.fallback for op, usage in result.ai_usage.by_node.items()} == {
        "classify": "cost_cap_reached", "draft": "cost_cap_reached", "policy_review": "cost_cap_reached"
    }
    assert result.token_usage.total == 0 and result.token_usage.cost == 0 and result.ai_usage.model == "offline"
    assert {f["reason"] for f in state["ai_fallbacks"]} == {"cost_cap_reached"}
    assert "Anna Nowak" in result.answer_draft.greeting and "[KB-1001]" in result.answer_draft.body  # the offline draft
    offline = installed_toolkit.classifier.classify(TICKET)
    assert result.classification.category == offline.category


async def test_cap_counts_this_month_only_and_per_tenant_overrides_win(installed_toolkit: TriageToolkit, chat: FakeChat) -> None:
    ledger = installed_toolkit.usage_ledger
    assert ledger is not None
    installed_toolkit.settings = installed_toolkit.settings.model_copy(
        update={"tenant_monthly_cost_cap_usd": 1.0, "tenant_monthly_cost_caps_usd": {"acme": 0.0, "bigco": 100.0}}
    )
    spend(ledger, "demo", 5.0, at=datetime(2020, 1, 15, tzinfo=timezone.utc))  # an old month does not count
    spend(ledger, "bigco", 5.0)  # over the global cap, under its own
    for tenant in ("demo", "bigco"):
        chat.prompts.clear()
        state = await run_graph(tenant)
        assert len(chat.prompts) == 3 and not state["ai_fallbacks"], tenant
    chat.prompts.clear()
    state = await run_graph("acme")  # a cap of 0: AI off for this tenant
    assert chat.prompts == [] and result_of(state).ai_usage.by_node["classify"].fallback == "cost_cap_reached"


async def test_cap_is_checked_before_each_call_of_a_run(installed_toolkit: TriageToolkit, chat: FakeChat) -> None:
    """The classify call itself crosses the cap: the draft's calls, later in the same run, are not made."""
    per_call = call_cost("gpt-4o-mini", USAGE["input_tokens"], USAGE["output_tokens"], installed_toolkit.settings.llm_prices)
    installed_toolkit.settings = installed_toolkit.settings.model_copy(update={"tenant_monthly_cost_cap_usd": per_call / 2})
    state = await run_graph()
    by_node = result_of(state).ai_usage.by_node
    assert by_node["classify"].fallback is None and by_node["draft"].fallback == "cost_cap_reached"
    assert len(chat.prompts) == 1


def test_labeled_examples_are_redacted_before_they_reach_the_prompt(installed_toolkit: TriageToolkit) -> None:
    """The example bank is hand-edited data: a name written into an example must not reach a model."""
    from tools.classification.classifier import LabeledExample
    from tools.llm.classify import _examples_block

    example = LabeledExample(
        text="Parcel was signed for by Kowalski, but Pan Jan Kowalski never got it; call 601 222 333.",
        category="Shipping", subcategory="Lost Package", intent="report_lost_package",
    )
    block = _examples_block([(example, 0.9)], lambda text: installed_toolkit.redactor.redact(text).text)
    assert "Kowalski" not in block and "601 222 333" not in block
    assert "-> Shipping / Lost Package" in block
    assert "601 222 333" not in _examples_block([(example, 0.9)])  # the pattern net alone still holds numbers
