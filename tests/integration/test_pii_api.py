"""The entity and redaction endpoints through HTTP, on the real toolkit (Presidio, spaCy, SQLite)."""

from __future__ import annotations

import httpx

from tests.integration.conftest import KeyHeaders

SEED_TEXT = (
    "Pilne: serwer srv-prod-db-03 nie odpowiada, ORA-12541. Kontakt: jan.kowalski@acme.pl, tel. +48 601 234 567. "
    "Zwrot na konto PL61109010140000071219812874, PESEL 44051401359, NIP 526-000-12-46."
)


async def test_entities_endpoint_returns_typed_spans_with_validity(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/v1/ai/entities", json={"text": SEED_TEXT})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"] == "pl" and body["total"] == len(body["entities"])
    found = {(e["type"], e["value"]) for e in body["entities"]}
    for expected in [
        ("hostname", "srv-prod-db-03"),
        ("error_code", "ORA-12541"),
        ("email", "jan.kowalski@acme.pl"),
        ("phone", "+48 601 234 567"),
        ("iban", "PL61109010140000071219812874"),
        ("pesel", "44051401359"),
        ("nip", "526-000-12-46"),
    ]:
        assert expected in found, (expected, found)
    pesel = next(e for e in body["entities"] if e["type"] == "pesel")
    assert pesel["valid"] is True and SEED_TEXT[pesel["position"] : pesel["end"]] == "44051401359"
    positions = [e["position"] for e in body["entities"]]
    assert positions == sorted(positions)


async def test_entities_can_be_filtered_by_type(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/v1/ai/entities", json={"text": SEED_TEXT, "types": ["pesel", "iban"]})
    assert {e["type"] for e in response.json()["entities"]} == {"pesel", "iban"}
    unknown = await api_client.post("/v1/ai/entities", json={"text": SEED_TEXT, "types": ["shoe_size"]})
    assert unknown.status_code == 400 and unknown.json()["detail"]["code"] == "unknown_entity_type"


async def test_odd_input_gets_a_result_or_a_clear_4xx(api_client: httpx.AsyncClient) -> None:
    empty = await api_client.post("/v1/ai/entities", json={"text": ""})
    assert empty.status_code == 200 and empty.json()["entities"] == []
    emoji = await api_client.post("/v1/ai/entities", json={"text": "😀 pomocy 🙈 jan@example.com 🔥"})
    assert emoji.status_code == 200 and [e["value"] for e in emoji.json()["entities"]] == ["jan@example.com"]
    invalid_utf8 = await api_client.post(
        "/v1/ai/entities", content=b'{"text": "caf\xe9 \xff\xfe"}', headers={"content-type": "application/json"}
    )
    assert invalid_utf8.status_code == 400 and invalid_utf8.json()["detail"]["code"] == "invalid_body", invalid_utf8.text
    missing = await api_client.post("/v1/ai/entities", json={"txt": "x"})
    assert missing.status_code == 422 and "text" in missing.text


async def test_one_megabyte_of_text_is_analysed(api_client: httpx.AsyncClient) -> None:
    text = ("Logi z serwera bez danych osobowych. " * 28_000)[:1_000_000] + " kontakt: ola@example.com"
    response = await api_client.post("/v1/ai/entities", json={"text": text})
    assert response.status_code == 200, response.text[:300]
    assert [e["value"] for e in response.json()["entities"] if e["type"] == "email"] == ["ola@example.com"]
    too_long = await api_client.post("/v1/ai/entities", json={"text": "x" * 1_100_000})
    assert too_long.status_code == 400 and too_long.json()["detail"]["code"] == "text_too_long"


async def test_redact_then_rehydrate_a_draft(api_client: httpx.AsyncClient, key_headers: KeyHeaders) -> None:
    response = await api_client.post("/v1/ai/redact", json={"text": SEED_TEXT}, headers=key_headers("acme"))
    assert response.status_code == 200, response.text
    body = response.json()
    for secret in ("44051401359", "PL61109010140000071219812874", "jan.kowalski@acme.pl", "526-000-12-46"):
        assert secret not in body["redacted_text"]
    assert "srv-prod-db-03" in body["redacted_text"] and body["redacted"]["pesel"] == 1
    assert "<PESEL_1>" in body["placeholders"] and body["mapping_id"]

    draft = "Dzień dobry, zwrot na <IBAN_1> zlecony, potwierdzenie na <EMAIL_1>."
    hydrated = await api_client.post(
        "/v1/ai/rehydrate", json={"mapping_id": body["mapping_id"], "text": draft}, headers=key_headers("acme")
    )
    assert hydrated.status_code == 200
    assert hydrated.json() == {
        "text": "Dzień dobry, zwrot na PL61109010140000071219812874 zlecony, potwierdzenie na jan.kowalski@acme.pl.",
        "replaced": 2,
    }

    other_tenant = await api_client.post(
        "/v1/ai/rehydrate", json={"mapping_id": body["mapping_id"], "text": draft}, headers=key_headers("globex")
    )
    assert other_tenant.status_code == 404 and other_tenant.json()["detail"]["code"] == "mapping_not_found"


async def test_redact_with_nothing_personal_has_no_mapping(api_client: httpx.AsyncClient) -> None:
    response = await api_client.post("/v1/ai/redact", json={"text": "VPN nie działa od rana."})
    assert response.json()["mapping_id"] is None and response.json()["redacted_text"] == "VPN nie działa od rana."


async def test_short_polish_texts_of_identifiers_are_read_as_polish(api_client: httpx.AsyncClient) -> None:
    """Identifiers do not count as English words: these used to be detected as English, and the
    English tagger then called "Konto"/"konto" a location."""
    texts = [
        "Konto jkowalski zablokowane po 5 próbach, błąd AUTH-401 na srv-ad-01",
        "konto zablokowane, AUTH-401 srv-ad-01 ORD-48213 mag_07 VPN SAP",
        "reset hasla do poczty prosze, login m.zielinski",
    ]
    for text in texts:
        body = (await api_client.post("/v1/ai/entities", json={"text": text})).json()
        assert body["language"] == "pl", text
        assert not [e for e in body["entities"] if e["type"] == "location" and e["value"].lower() == "konto"], body
    english = (await api_client.post("/v1/ai/entities", json={"text": "Please ship ORD-61950 to our office in Łódź, AUTH-401 on srv-ad-01"})).json()
    assert english["language"] == "en"
