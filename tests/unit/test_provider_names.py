"""No person name leaves for the model provider, in any Polish case form: the ticket names people
other than the customer (so the customer-name guard cannot be what hides them), and the scriptable
OpenAI-compatible server records every byte the real langchain-openai client sent."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import sqlalchemy as sa

from agents.registry import TriageToolkit
from agents.triage import nodes
from tests.fake_openai import FakeOpenAI
from tools.llm import OpenAIProvider, UsageLedger

PEOPLE = ("Magdaleny Sikorskiej", "Sikorskiej", "Tomaszowi Kaczmarkowi", "Kaczmarkowi", "Annę Zielińską", "Kowalskiego", "Grzegorz Wróbel", "Ethan")
TICKET = (
    "Dzień dobry, piszę w imieniu Magdaleny Sikorskiej, która została obciążona dwa razy za subskrypcję. "
    "Proszę przekazać sprawę Tomaszowi Kaczmarkowi albo Panią Annę Zielińską poinformować o zwrocie. "
    "Kopię faktury wystawiono dla Pana Kowalskiego.\n\nPozdrawiam,\nGrzegorz Wróbel\n\nP.S. Hi Ethan, thanks for the help."
)


@pytest.fixture()
def provider_toolkit(installed_toolkit: TriageToolkit, tmp_path, monkeypatch) -> Iterator[tuple[TriageToolkit, FakeOpenAI]]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    original = (installed_toolkit.llm, installed_toolkit.usage_ledger)
    with FakeOpenAI() as fake:
        installed_toolkit.llm = OpenAIProvider(model="gpt-4o-mini", base_url=fake.base_url, api_key=None, timeout_s=2.0, max_retries=1, backoff_s=0.01)
        installed_toolkit.usage_ledger = UsageLedger(sa.create_engine(f"sqlite:///{tmp_path / 'usage.db'}"))
        try:
            yield installed_toolkit, fake
        finally:
            installed_toolkit.llm, installed_toolkit.usage_ledger = original


async def test_inflected_polish_names_never_reach_the_provider(provider_toolkit: tuple[TriageToolkit, FakeOpenAI]) -> None:
    _, fake = provider_toolkit
    state: dict[str, Any] = {
        "request": {"tenant_id": "demo", "ticket_id": "T-NAMES", "raw_message": TICKET, "customer_name": "Jan Nowak", "customer_email": "jan@example.pl"},
        "run": {"workflow_id": "triage-demo-T~2DNAMES", "run_id": "r1", "started_at": "2026-01-01T00:00:00+00:00"},
    }
    for node in (nodes.classify, nodes.extract_entities):
        state.update(await node(state))
    people = [e["value"] for e in state["entities"] if e["type"] == "person"]
    assert {"Magdaleny Sikorskiej", "Tomaszowi Kaczmarkowi", "Annę Zielińską", "Kowalskiego", "Grzegorz Wróbel", "Ethan"} <= set(people)
    state["citations"], state["similar_tickets"] = [{"doc_id": "KB-1001", "chunk_id": "KB-1001-c-1", "title": "Duplicate Charge Resolution", "score": 0.8, "url": "https://kb/1001"}], []
    for node in (nodes.prioritize, nodes.draft, nodes.policy_check):
        state.update(await node(state))
    assert fake.received, "the draft went to the provider"
    sent = fake.sent_text()
    assert "<PERSON_" in sent
    for name in PEOPLE:
        assert name not in sent, name
