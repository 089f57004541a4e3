"""Each triage node on its own, through the registry, with no servers."""

from __future__ import annotations

import re

import pytest

from agents.registry import TriageToolkit
from agents.triage import nodes
from agents.triage.graph import make_triage_graph
from core.contracts import AnswerDraft, Citation, Classification, Entity, PolicyCheck, Priority, Routing


def _state(message: str, email: str = "john@example.com", name: str = "John Doe") -> dict:
    return {"request": {"tenant_id": "demo", "ticket_id": "T-1", "raw_message": message, "customer_name": name, "customer_email": email}}


async def _run_all(message: str, email: str = "john@example.com") -> dict:
    state = _state(message, email)
    for node in (nodes.classify, nodes.extract_entities, nodes.retrieve):
        state.update(await node(state))
    state.update(await nodes.prioritize(state))
    state.update(await nodes.draft(state))
    state.update(await nodes.policy_check(state))
    state.update(await nodes.route(state))
    return state


async def test_classify_gives_taxonomy_labels_and_intent_alternatives(installed_toolkit: TriageToolkit) -> None:
    update = await nodes.classify(_state("I was charged twice for my subscription this month, two identical payments. Please help!"))
    result = Classification.model_validate(update["classification"])
    assert result.category in installed_toolkit.taxonomy.names
    assert result.subcategory in installed_toolkit.taxonomy.category(result.category).subcategories
    assert result.sentiment == "frustrated"
    assert len(result.intent.alternatives) == 2
    assert result.intent.type not in {a.type for a in result.intent.alternatives}


async def test_classify_detects_polish(installed_toolkit: TriageToolkit) -> None:
    update = await nodes.classify(_state("Nie mogę zalogować się do VPN od rana, proszę o pilną pomoc."))
    assert update["classification"]["language"] == "pl"


async def test_prioritize_security_and_vip_bumps(installed_toolkit: TriageToolkit) -> None:
    state = _state("I think my account was hacked, there is a suspicious login from abroad.", email="ceo@vip.example.com")
    state.update(await nodes.classify(state))
    priority = Priority.model_validate((await nodes.prioritize(state))["priority"])
    assert priority.adjustments == ["security", "vip"]
    plain = _state("I think my account was hacked, there is a suspicious login from abroad.")
    plain.update(await nodes.classify(plain))
    plain_priority = Priority.model_validate((await nodes.prioritize(plain))["priority"])
    assert int(priority.level[1]) == max(1, int(plain_priority.level[1]) - 1)
    assert priority.sla_target <= plain_priority.sla_target


async def test_prioritize_outage_is_p1_or_p2(installed_toolkit: TriageToolkit) -> None:
    state = _state("Production is down for all users, HTTP 503 on the portal. Fix immediately!")
    state.update(await nodes.classify(state))
    priority = Priority.model_validate((await nodes.prioritize(state))["priority"])
    assert priority.level == "P1" and priority.impact == "critical" and priority.sla_target == 60


async def test_extract_entities_types_offsets_and_no_overlaps(installed_toolkit: TriageToolkit) -> None:
    text = "User anna.nowak@acme.pl, PESEL 44051401359, konto PL61109010140000071219812874, host 10.0.0.12."
    entities = [Entity.model_validate(e) for e in (await nodes.extract_entities(_state(text)))["entities"]]
    by_type = {e.type: e for e in entities}
    assert {"email", "pesel", "iban", "ip_address"} <= set(by_type)
    for entity in entities:
        assert text[entity.position : entity.end] == entity.value
    assert [e.position for e in entities] == sorted(e.position for e in entities)
    assert all(a.end <= b.position for a, b in zip(entities, entities[1:]))
    assert not any(e.type == "url" and "acme.pl" in e.value for e in entities), "an email domain is not a URL"


async def test_retrieve_returns_citations_from_the_kb(installed_toolkit: TriageToolkit) -> None:
    citations = [Citation.model_validate(c) for c in (await nodes.retrieve(_state("ORA-12541 TNS no listener lsnrctl")))["citations"]]
    assert citations and citations[0].doc_id == "KB-1008"
    assert len({c.doc_id for c in citations}) == len(citations)
    assert all(c.chunk_id.startswith(c.doc_id + "-c-") for c in citations)


async def test_draft_cites_only_retrieved_docs(installed_toolkit: TriageToolkit) -> None:
    state = await _run_all("Outlook is not syncing and says my mailbox is full.")
    draft = AnswerDraft.model_validate(state["answer_draft"])
    cited = set(re.findall(r"\[([A-Z]{2,5}-\d+)\]", draft.body))
    assert cited and cited <= {c["doc_id"] for c in state["citations"]}
    assert draft.greeting == "Dear John Doe,"


async def test_draft_without_citations_says_so_and_escalation_is_flagged(installed_toolkit: TriageToolkit) -> None:
    state = _state("zzzz qqqq xxxx wwww")
    state.update(await nodes.classify(state))
    state.update(await nodes.prioritize(state))
    state["citations"] = []
    state.update(await nodes.draft(state))
    assert "knowledge base does not cover" in state["answer_draft"]["body"]
    check = PolicyCheck.model_validate((await nodes.policy_check(state))["policy_check"])
    assert check.compliance == "warning" and any("no knowledge-base article" in i for i in check.issues or [])


async def test_policy_check_fails_refund_promise(installed_toolkit: TriageToolkit) -> None:
    state = await _run_all("I was charged twice this month.")
    state["answer_draft"]["body"] += "\nWe will refund the full amount today."
    check = PolicyCheck.model_validate((await nodes.policy_check(state))["policy_check"])
    assert check.refund_promise and check.compliance == "failed"
    routing = Routing.model_validate((await nodes.route({**state, "policy_check": check.model_dump()}))["routing"])
    assert routing.decision == "escalate"


async def test_route_uses_taxonomy_team(installed_toolkit: TriageToolkit) -> None:
    state = await _run_all("My parcel has not arrived, tracking has not updated for a week.")
    routing = Routing.model_validate(state["routing"])
    assert routing.team == installed_toolkit.taxonomy.category(state["classification"]["category"]).team
    assert routing.decision in {"auto_resolve", "agent_assist", "escalate"}


def test_graph_places_io_nodes_in_activities_and_pure_nodes_in_the_workflow() -> None:
    graph = make_triage_graph()
    from core.graphs import TRIAGE_ACTIVITY_NODES, TRIAGE_WORKFLOW_NODES

    assert set(graph.nodes) == set(TRIAGE_ACTIVITY_NODES) | set(TRIAGE_WORKFLOW_NODES)
    assert {"classify", "prioritize", "extract_entities", "retrieve", "draft", "policy_check", "route", "record_ticket"} <= set(graph.nodes)
    for name, spec in graph.nodes.items():
        assert callable(spec.metadata["summary_fn"])
        if name in ("prioritize", "policy_check", "route"):
            assert spec.metadata == {"execute_in": "workflow", "summary_fn": spec.metadata["summary_fn"]}
            continue
        assert spec.metadata["execute_in"] == "activity"
        assert spec.metadata["start_to_close_timeout"].total_seconds() > 0
        assert 0 < spec.metadata["heartbeat_timeout"].total_seconds() <= 10
        assert spec.metadata["retry_policy"].maximum_attempts == 3


async def test_one_embedding_of_the_ticket_per_run(installed_toolkit: TriageToolkit) -> None:
    """classify, retrieve and record share the ticket's vector through the toolkit's caching embedder."""
    from tools.embeddings.cache import CachingEmbedder

    cached = CachingEmbedder(installed_toolkit.embedder)
    original = installed_toolkit.embedder
    installed_toolkit.embedder = cached
    try:
        state = await _run_all("Printer on floor 3 shows paper jam error 0x41 since this morning, unique-7731")
        await nodes.record_ticket(state)
    finally:
        installed_toolkit.embedder = original
    assert cached.computed == 1


async def test_record_ticket_enters_the_run_in_the_ledger_once(installed_toolkit: TriageToolkit) -> None:
    state = await _run_all("Outlook stopped syncing my mailbox this morning, ledger-test")
    state["run"] = {"workflow_id": "triage-demo-LEDGER-1", "run_id": "r1", "started_at": "2026-01-01T00:00:00+00:00"}
    before = installed_toolkit.ledger.count("demo")
    await nodes.record_ticket(state)
    await nodes.record_ticket(state)  # a retried attempt
    state["routing"]["decision"] = "escalate"  # a reset run with another outcome replaces the row
    await nodes.record_ticket(state)
    assert installed_toolkit.ledger.count("demo") == before + 1
    assert installed_toolkit.ledger.metrics("demo", "30d")["decisions"]["escalate"] >= 1


@pytest.mark.parametrize("missing", ["classification", "priority"])
async def test_nodes_fail_loudly_on_missing_upstream_state(installed_toolkit: TriageToolkit, missing: str) -> None:
    state = await _run_all("VPN error 809")
    del state[missing]
    with pytest.raises(KeyError):
        await nodes.draft(state)


async def test_record_ticket_indexes_the_ticket_redacted(installed_toolkit: TriageToolkit) -> None:
    state = await _run_all("Refund to PL61109010140000071219812874 please, my PESEL is 44051401359 and I was charged twice.")
    state["request"]["ticket_id"] = "T-REDACTED-1"  # its own id: another test may have resolved T-1, and a resolved ticket is kept
    update = await nodes.record_ticket(state)
    assert update["ticket_status"] in ("open", "resolved")
    [chunk] = installed_toolkit.retrieval.collection("tickets").document_chunks(state["request"]["ticket_id"], "demo")
    assert "44051401359" not in chunk.text and "<PESEL_1>" in chunk.text
    assert chunk.metadata["status"] == update["ticket_status"]


async def test_an_auto_resolved_tickets_stored_resolution_holds_no_personal_data(installed_toolkit: TriageToolkit) -> None:
    state = await _run_all("I was charged twice, refund to PL61109010140000071219812874 please, PESEL 44051401359.")
    state["request"]["ticket_id"] = "T-REDACTED-2"  # its own id: another test may have resolved T-1, and a resolved ticket is kept
    state["request"]["customer_name"] = "Anna Nowak"
    state["request"]["customer_email"] = "anna.nowak@acme.pl"
    state["routing"]["decision"] = "auto_resolve"
    state["answer_draft"]["body"] = (
        "Dear Anna Nowak, the refund to PL61109010140000071219812874 (PESEL 44051401359) is on its way; "
        "we will confirm at anna.nowak@acme.pl. Pani Nowakowej dziękujemy."
    )
    assert (await nodes.record_ticket(state))["ticket_status"] == "resolved"
    [chunk] = installed_toolkit.retrieval.collection("tickets").document_chunks(state["request"]["ticket_id"], "demo")
    resolution = chunk.metadata["resolution"]
    for value in ("Anna", "Nowak", "PL61109010140000071219812874", "44051401359", "anna.nowak@acme.pl"):
        assert value not in resolution, value
    assert "refund" in resolution and "<PESEL_1>" in resolution


async def test_retrieve_finds_similar_resolved_tickets(installed_toolkit: TriageToolkit) -> None:
    from tools.retrieval.tickets import TicketRecord, index_ticket

    tickets = installed_toolkit.retrieval.collection("tickets")
    index_ticket(tickets, None, TicketRecord("OLD-1", "demo", "VPN GlobalProtect cannot connect", "VPN GlobalProtect gateway cannot connect from home", "resolved", resolution="Re-enrolled the certificate", resolved_by="it"))
    index_ticket(tickets, None, TicketRecord("OLD-2", "demo", "VPN GlobalProtect cannot connect", "VPN GlobalProtect gateway cannot connect", "open"))
    update = await nodes.retrieve(_state("My VPN GlobalProtect cannot connect to the gateway since today"))
    ids = [t["id"] for t in update["similar_tickets"]]
    assert ids and ids[0] == "OLD-1" and "OLD-2" not in ids  # open tickets are not answers
    assert update["similar_tickets"][0]["resolution"] == "Re-enrolled the certificate"


async def test_record_ticket_never_reopens_a_resolved_ticket(installed_toolkit: TriageToolkit) -> None:
    from tools.retrieval.tickets import TicketRecord, index_ticket

    tickets = installed_toolkit.retrieval.collection("tickets")
    index_ticket(tickets, None, TicketRecord("T-9", "demo", "Disk full", "Disk full on app server", "resolved", resolution="Rotated logs", resolved_by="ops"))
    state = await _run_all("Disk full on app server, nothing can be written, please help us")
    state["request"]["ticket_id"] = "T-9"
    state["routing"]["decision"] = "escalate"
    assert (await nodes.record_ticket(state))["ticket_status"] == "resolved"
    [chunk] = tickets.document_chunks("T-9", "demo")
    assert chunk.metadata["status"] == "resolved" and chunk.metadata["resolution"] == "Rotated logs"


async def test_summaries_say_what_the_run_decided_without_personal_data(installed_toolkit: TriageToolkit) -> None:
    from agents.triage.graph import describe_progress

    state = await _run_all("Refund to PL61109010140000071219812874 please, my email is jan@example.com, charged twice")
    summary = describe_progress("record_ticket", state)
    assert summary.startswith("record_ticket · T-1 · ")
    assert state["classification"]["category"] in summary and state["priority"]["level"] in summary
    assert state["routing"]["decision"] in summary
    assert "PL61" not in summary and "jan@" not in summary
    assert describe_progress("classify", {"request": {"ticket_id": "T-9"}}) == "classify · T-9"
