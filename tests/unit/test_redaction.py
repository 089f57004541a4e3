"""Redaction: stable typed placeholders, re-hydration, the encrypted mapping vault, scrubbed logs."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from tools.pii import EntityExtractor, RedactingEmbedder, Redactor, rehydrate
from tools.pii.log_scrubber import PiiScrubbingFilter, scrub
from tools.pii.vault import MappingNotFoundError, MappingVault

TICKET = (
    "Jestem Anna, PESEL 44051401359, mail anna.nowak@acme.pl. Proszę zwrócić środki na konto "
    "PL61109010140000071219812874. Jeszcze raz: anna.nowak@acme.pl. Serwer srv-prod-db-03 zwraca ORA-12541."
)


@pytest.fixture(scope="module")
def redactor(entity_extractor: EntityExtractor) -> Redactor:
    return Redactor(entity_extractor)


def test_placeholders_are_typed_numbered_and_stable(redactor: Redactor) -> None:
    result = redactor.redact(TICKET)
    assert "44051401359" not in result.text and "anna.nowak@acme.pl" not in result.text
    assert "PL61109010140000071219812874" not in result.text
    assert result.text.count("<EMAIL_1>") == 2 and "<EMAIL_2>" not in result.text
    assert "<PESEL_1>" in result.text and "<IBAN_1>" in result.text
    # Technical identifiers stay: the model needs them and they identify nobody.
    assert "srv-prod-db-03" in result.text and "ORA-12541" in result.text
    assert result.mapping["<PESEL_1>"] == "44051401359"
    assert result.counts() == {"person": 1, "pesel": 1, "email": 1, "iban": 1}  # "Jestem Anna": a given name on its own
    assert result.text.startswith("Jestem <PERSON_1>,")


def test_rehydration_restores_the_original_and_leaves_unknown_placeholders(redactor: Redactor) -> None:
    result = redactor.redact(TICKET)
    assert rehydrate(result.text, result.mapping) == TICKET
    draft = "Zwrot na <IBAN_1> zlecony; potwierdzenie wyślemy na <EMAIL_1> i <EMAIL_9>."
    assert rehydrate(draft, result.mapping) == (
        "Zwrot na PL61109010140000071219812874 zlecony; potwierdzenie wyślemy na anna.nowak@acme.pl i <EMAIL_9>."
    )


def test_two_values_of_one_type_get_two_numbers(redactor: Redactor) -> None:
    result = redactor.redact("Copy jan@example.com and ola@example.com, then jan@example.com again")
    assert result.text == "Copy <EMAIL_1> and <EMAIL_2>, then <EMAIL_1> again"


def test_invalid_pesel_next_to_its_word_is_still_redacted(redactor: Redactor) -> None:
    result = redactor.redact("Mój PESEL to 85010212345, proszę o pomoc")
    assert "85010212345" not in result.text and "<PESEL_1>" in result.text


def test_only_requested_types_are_redacted(redactor: Redactor) -> None:
    result = redactor.redact(TICKET, types=["pesel"])
    assert "<PESEL_1>" in result.text and "anna.nowak@acme.pl" in result.text


def test_nothing_to_redact_returns_the_text_unchanged(redactor: Redactor) -> None:
    result = redactor.redact("Outlook nie synchronizuje poczty od rana.")
    assert result.text == "Outlook nie synchronizuje poczty od rana." and result.mapping == {}


def test_redacting_embedder_sends_no_personal_data_to_the_provider(redactor: Redactor) -> None:
    seen: list[str] = []

    class Provider:
        dimension = 3

        def embed(self, texts: list[str]) -> np.ndarray:
            seen.extend(texts)
            return np.ones((len(texts), 3), dtype=np.float32)

    vectors = RedactingEmbedder(Provider(), redactor).embed([TICKET])
    assert vectors.shape == (1, 3)
    assert "44051401359" not in seen[0] and "anna.nowak@acme.pl" not in seen[0] and "<PESEL_1>" in seen[0]


def _vault(ttl: timedelta = timedelta(hours=1)) -> MappingVault:
    return MappingVault(sa.create_engine("sqlite://"), {"k1": os.urandom(32)}, "k1", ttl)


def test_vault_round_trip_is_tenant_scoped_and_encrypted() -> None:
    vault = _vault()
    mapping_id = vault.put("acme", {"<PESEL_1>": "44051401359"})
    assert vault.get("acme", mapping_id) == {"<PESEL_1>": "44051401359"}
    with pytest.raises(MappingNotFoundError):
        vault.get("other-tenant", mapping_id)
    with vault._engine.connect() as connection:  # the stored row never holds the value in clear
        stored = connection.execute(sa.text("select ciphertext from redaction_mappings")).scalar_one()
    assert b"44051401359" not in stored


def test_expired_mapping_is_gone() -> None:
    vault = _vault(ttl=timedelta(seconds=-1))
    mapping_id = vault.put("acme", {"<EMAIL_1>": "a@b.pl"})
    with pytest.raises(MappingNotFoundError):
        vault.get("acme", mapping_id)


def test_log_scrubber_masks_personal_data() -> None:
    line = "ticket from jan@acme.pl PESEL 44051401359 konto PL61 1090 1014 0000 0712 1981 2874 tel +48 601 234 567 host srv-prod-db-03"
    clean = scrub(line)
    for secret in ("jan@acme.pl", "44051401359", "1981 2874", "601 234 567"):
        assert secret not in clean
    assert "srv-prod-db-03" in clean


def test_log_scrubber_masks_an_email_inside_a_workflow_id() -> None:
    """Conversation workflow ids hold the key's user id escaped (``@`` -> ``~40``, ``-`` -> ``~2D``),
    and the Temporal server logs them: ``--user anna@acme.pl`` reached var/devstack.log in clear."""
    line = 'level=WARN msg="workflow task failed" wf-id=chat-demo-anna~40acme.pl-conv_508bc85cc32b4bddb44596d6 wf-run-id=01a2'
    assert scrub(line) == 'level=WARN msg="workflow task failed" wf-id=chat-demo-<EMAIL>-conv_508bc85cc32b4bddb44596d6 wf-run-id=01a2'
    assert "kowalski" not in scrub("chat-acme~2Dx-jan.kowalski~40acme~2Dcorp.com.pl-conv_1")
    assert scrub("triage-demo-TKT~2D2025~2D001 graph-index-triage-demo-srv~2Dprod") == "triage-demo-TKT~2D2025~2D001 graph-index-triage-demo-srv~2Dprod"


def test_log_filter_applies_to_formatted_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("triage.test.scrub")
    handler = caplog.handler
    handler.addFilter(PiiScrubbingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="triage.test.scrub"):
            logger.info("customer %s sent PESEL %s", "anna.nowak@acme.pl", "44051401359")
            logger.warning("lookup failed: %s (%d tries)", ValueError("no account for PL61109010140000071219812874"), 3)
    finally:
        handler.filters.clear()
    assert "anna.nowak@acme.pl" not in caplog.text and "44051401359" not in caplog.text
    assert "<EMAIL>" in caplog.text and "PL6110901014" not in caplog.text and "(3 tries)" in caplog.text


def test_redact_known_replaces_every_occurrence_of_values_found_in_the_source(redactor: Redactor) -> None:
    found = redactor.redact(TICKET).entities
    draft = "Dzień dobry, zwrot na konto PL61109010140000071219812874 (PESEL 44051401359) zlecony; potwierdzenie wyślemy na anna.nowak@acme.pl."
    result = redactor.redact_known(draft, found)
    for value in ("PL61109010140000071219812874", "44051401359", "anna.nowak@acme.pl"):
        assert value not in result.text
    assert "<PESEL_1>" in result.text and "<EMAIL_1>" in result.text
    assert rehydrate(result.text, result.mapping) == draft
    assert redactor.redact_known("nothing personal here", found).text == "nothing personal here"
