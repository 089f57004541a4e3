"""Entity extraction: one row per entity type (Polish and English), checksum validity, bad input."""

from __future__ import annotations

import pytest

from tools.pii import EntityExtractor

CASES = [
    ("Write to anna.nowak@acme.pl please", "email", "anna.nowak@acme.pl"),
    ("Zadzwoń pod +48 601 234 567 jutro", "phone", "+48 601 234 567"),
    ("Call me at +44 20 7946 0958 today", "phone", "+44 20 7946 0958"),
    ("Portal https://portal.acme.pl/help is down", "url", "https://portal.acme.pl/help"),
    ("Ping 10.0.0.12 fails", "ip_address", "10.0.0.12"),
    ("Address 2001:db8::8a2e:370:7334 unreachable", "ip_address", "2001:db8::8a2e:370:7334"),
    ("Database srv-prod-db-03 is slow", "hostname", "srv-prod-db-03"),
    ("Resolve fs01.corp.local again", "hostname", "fs01.corp.local"),
    ("Laptop MAC 00:1A:2B:3C:4D:5E blocked", "mac_address", "00:1A:2B:3C:4D:5E"),
    ("Przelew na konto PL61109010140000071219812874 nie doszedł", "iban", "PL61109010140000071219812874"),
    ("My card 4111 1111 1111 1111 was charged", "credit_card", "4111 1111 1111 1111"),
    ("Mój PESEL 44051401359, proszę o pomoc", "pesel", "44051401359"),
    ("Faktura dla NIP 526-000-12-46 jest błędna", "nip", "526-000-12-46"),
    ("NIP PL5260001246 na fakturze", "nip", "PL5260001246"),
    ("Firma REGON 012100784 zmieniła adres", "regon", "012100784"),
    ("Numer dowodu osobistego ABA300000", "pl_id_card", "ABA300000"),
    ("Adres: ul. Prosta 1, 00-950 Warszawa", "pl_postal_code", "00-950"),
    ("John Smith cannot log in", "person", "John Smith"),
    ("Our partner Acme Corporation complained", "organization", "Acme Corporation"),
    ("The office in London has no network", "location", "London"),
    ("Client fails with ORA-12541 now", "error_code", "ORA-12541"),
    ("The site returns HTTP 503 again", "error_code", "HTTP 503"),
    ("Install fails with 0x80070005", "error_code", "0x80070005"),
    ("Follow-up on INC-2024-0042 please", "ticket_id", "INC-2024-0042"),
    ("Where is order ORD-48213?", "order_id", "ORD-48213"),
    ("Active Directory locks my account", "software", "Active Directory"),
    ("Nie działa mi Outlook od rana", "software", "Outlook"),
    ("After upgrading to version 16.0.1234 it crashes", "version", "16.0.1234"),
    ("Check /etc/oracle/listener.ora on the host", "file_path", "/etc/oracle/listener.ora"),
    ("Saved to C:\\Users\\jan\\report.xlsx yesterday", "file_path", "C:\\Users\\jan\\report.xlsx"),
    ("Pobrano 249,99 zł dwukrotnie", "money", "249,99 zł"),
    ("I was charged $59.90 twice", "money", "$59.90"),
    ("Since 2026-03-14 nothing works", "date", "2026-03-14"),
    ("Od 14 marca 2026 nie działa", "date", "14 marca 2026"),
]


@pytest.mark.parametrize("text, entity_type, value", CASES, ids=[c[1] + ":" + c[2] for c in CASES])
def test_finds_entity(entity_extractor: EntityExtractor, text: str, entity_type: str, value: str) -> None:
    found = entity_extractor.extract(text)
    assert (entity_type, value) in {(e.type, e.value) for e in found}, found
    for entity in found:
        assert text[entity.start : entity.end] == entity.value and 0 <= entity.confidence <= 1


def test_at_least_22_types_covered() -> None:
    assert len({c[1] for c in CASES}) >= 22


def test_invalid_pesel_next_to_context_is_reported_as_invalid(entity_extractor: EntityExtractor) -> None:
    [pesel] = [e for e in entity_extractor.extract("PESEL 85010212345, konto zablokowane") if e.type == "pesel"]
    assert pesel.valid is False and pesel.confidence < 0.5
    valid = [e for e in entity_extractor.extract("PESEL 44051401359") if e.type == "pesel"]
    assert valid[0].valid is True and valid[0].confidence >= 0.9


def test_invalid_number_without_context_is_not_a_pesel(entity_extractor: EntityExtractor) -> None:
    assert not [e for e in entity_extractor.extract("Reference 85010212345 attached") if e.type == "pesel"]


def test_pesel_inside_a_longer_number_is_not_a_pesel(entity_extractor: EntityExtractor) -> None:
    assert not [e for e in entity_extractor.extract("PESEL? No, account 9944051401359123 only") if e.type == "pesel"]


def test_pesel_shaped_digits_inside_iban_are_not_a_pesel(entity_extractor: EntityExtractor) -> None:
    found = entity_extractor.extract("IBAN PL61109010140000071219812874 PESEL")
    assert [e.type for e in found] == ["iban"], found


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀 🙈", "\x00\x01\x02 binary \ufffd\ufffd"])
def test_odd_input_gives_a_result_not_a_crash(entity_extractor: EntityExtractor, text: str) -> None:
    assert isinstance(entity_extractor.extract(text), list)


def test_one_megabyte_of_text_is_windowed(entity_extractor: EntityExtractor) -> None:
    filler = "lorem ipsum dolor sit amet " * 40_000  # ~1 MB
    text = filler + " contact jan@example.com " + filler[:5000]
    found = entity_extractor.extract(text)
    emails = [e for e in found if e.type == "email"]
    assert emails and text[emails[0].start : emails[0].end] == "jan@example.com"


HOSTNAMES = [
    ("Serwer db-prod-03 nie odpowiada", "db-prod-03"),
    ("Firewall fw-edge-2 drops VPN sessions", "fw-edge-2"),
    ("Reimage workstation WKS-PL-0231 please", "WKS-PL-0231"),
    ("Klient nie łączy się z sqlnode01", "sqlnode01"),
    ("Na serwerze kadry01 brak miejsca", "kadry01"),
    ("loguje się do serwera terminali ts-krk-05", "ts-krk-05"),
    ("Host build-agent-7 ran out of disk", "build-agent-7"),
    ("Certyfikat na app-srv-01.example.pl wygasa", "app-srv-01.example.pl"),
    ("Outbound mail is stuck on mail.corp.local", "mail.corp.local"),
    ("Traffic to dc02.ad.firma.local is dropped", "dc02.ad.firma.local"),
]


@pytest.mark.parametrize("text, value", HOSTNAMES, ids=[h[1] for h in HOSTNAMES])
def test_hostnames_dotless_and_fqdn(entity_extractor: EntityExtractor, text: str, value: str) -> None:
    assert ("hostname", value) in {(e.type, e.value) for e in entity_extractor.extract(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Upgrade to v2.3.1 and then to version 10.0.19045 on 2024-03-15",
        "Order ORD-48213 and ticket INC-0012345 on the server: ORA-12541, 0x80070005",
        "The ThinkPad T14 needs a new RJ-45 adapter, USB-C dock and Wi-Fi 6 card",
        "COVID-19 rules, SHA-256 checksum, the x86-64 build and the e-mail self-service portal",
        "The web-based app-store and host-only networking; the k8s cluster; IBM DB2",
        "Files app01.config.yaml and backup-01.tar.gz, Windows Server 2019, serwer Dell R740",
    ],
)
def test_no_hostname_in_versions_dates_ids_and_hyphenated_words(entity_extractor: EntityExtractor, text: str) -> None:
    assert not [e for e in entity_extractor.extract(text) if e.type == "hostname"]


def test_scheme_or_path_keeps_a_server_name_a_url(entity_extractor: EntityExtractor) -> None:
    found = {(e.type, e.value) for e in entity_extractor.extract("See https://app-srv-01.example.pl/login or www.example.com/status.")}
    assert {("url", "https://app-srv-01.example.pl/login"), ("url", "www.example.com/status")} <= found, found
    assert not [kind for kind, _ in found if kind == "hostname"]


def test_labeled_set_quality_floor(entity_extractor: EntityExtractor) -> None:
    """The 143-text labeled set (docs/entities.md has the per-type table); identifiers must never be missed."""
    from pathlib import Path

    from tools.pii.evaluation import evaluate, load_labeled

    rows = load_labeled(Path(__file__).resolve().parent.parent / "data" / "entities_labeled.jsonl")
    assert len(rows) >= 60 and {r.language for r in rows} == {"pl", "en"}
    report = evaluate(entity_extractor, rows)
    assert report.micro.precision >= 0.95 and report.micro.recall >= 0.9, report.errors
    for kind in ("email", "phone", "iban", "credit_card", "pesel", "nip", "regon", "pl_id_card"):
        assert report.per_type[kind].recall == 1.0, (kind, report.errors)
    hostname = report.per_type["hostname"]
    assert hostname.recall >= 0.9 and hostname.precision >= 0.95, report.errors


def test_id_patterns_come_from_settings(settings) -> None:  # type: ignore[no-untyped-def]
    import pydantic

    from tools.queries import build_entity_extractor

    custom = settings.model_copy(update={"entity_id_patterns": {"ticket_id": r"\bHD-\d{5}\b", "asset_tag": r"\bAT\d{6}\b"}})
    found = {(e.type, e.value) for e in build_entity_extractor(custom).extract("Ticket HD-12345 about laptop AT004512")}
    assert {("ticket_id", "HD-12345"), ("asset_tag", "AT004512")} <= found
    with pytest.raises(pydantic.ValidationError, match="not a valid regex"):
        type(settings)(entity_id_patterns={"ticket_id": "(unclosed"})
