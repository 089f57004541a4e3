"""The ``triage-desk`` command: ingest is idempotent, replaces changed documents, reports clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

import cli



def test_ingest_twice_then_change_then_search(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = cli_env / "docs"
    docs.mkdir()
    (docs / "KB-7001-printer.md").write_text(
        "---\ndoc_id: KB-7001\ntitle: Printer PRN-7 offline\nstatus: published\n---\n# Printer\n\nPRN-7 shows offline.\n\n## Fix\nRestart the spooler.\n",
        encoding="utf-8",
    )
    (docs / "vpn.html").write_text("<title>VPN</title><h1>VPN</h1><p>GlobalProtect cannot connect: re-enter the portal.</p>", encoding="utf-8")

    assert cli.main(["ingest", str(docs), "--collection", "knowledge_base", "--tenant", "acme", "--quiet"]) == 0
    assert "2 documents — 2 added, 0 replaced, 0 unchanged" in capsys.readouterr().out
    assert cli.main(["ingest", str(docs), "--collection", "knowledge_base", "--tenant", "acme", "--quiet"]) == 0
    assert "0 added, 0 replaced, 2 unchanged; 0 chunks written" in capsys.readouterr().out

    (docs / "vpn.html").write_text("<title>VPN</title><h1>VPN</h1><p>Use the new portal vpn2.</p>", encoding="utf-8")
    assert cli.main(["ingest", str(docs), "--collection", "knowledge_base", "--tenant", "acme", "--quiet"]) == 0
    assert "0 added, 1 replaced, 1 unchanged" in capsys.readouterr().out

    assert cli.main(["search", "PRN-7", "--tenant", "acme"]) == 0
    assert "KB-7001-c-" in capsys.readouterr().out.splitlines()[0]


def test_ingest_reports_bad_input_with_a_code(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ingest", str(cli_env / "missing"), "--collection", "runbooks"]) == 2
    assert "error [invalid_input]" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["ingest", str(cli_env), "--collection", "wiki"])


def test_ingested_tickets_are_stored_redacted(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tickets = cli_env / "tickets.jsonl"
    tickets.write_text(
        '{"id": "T-1", "title": "Refund for anna@acme.pl", "description": "Refund to PL61109010140000071219812874 please", '
        '"status": "resolved", "resolution": "Refunded to PL61109010140000071219812874"}\n',
        encoding="utf-8",
    )
    assert cli.main(["ingest", str(tickets), "--collection", "tickets", "--tenant", "acme", "--quiet"]) == 0
    capsys.readouterr()
    [chunk] = cli._catalog().collection("tickets").document_chunks("T-1", "acme")
    stored = chunk.text + chunk.metadata["resolution"]
    assert "PL61109010140000071219812874" not in stored and "anna@acme.pl" not in stored and "<IBAN_1>" in stored


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "vpn", "--limit", "0"], "argument --limit: 0 is out of range: 1..100"),
        (["search", "vpn", "--limit", "-3"], "argument --limit: -3 is out of range: 1..100"),
        (["search", "vpn", "--threshold", "5"], "argument --threshold: 5 is out of range: 0..1"),
        (["search", "   "], "argument query: the query is empty"),
        (["search", "vpn", "--tenant", "bad tenant!"], "argument --tenant: 'bad tenant!' is not a tenant id"),
        (["ingest", "docs", "--collection", "tickets", "--tenant", "a/b"], "argument --tenant: 'a/b' is not a tenant id"),
    ],
)
def test_bad_arguments_are_refused_with_what_is_wrong(
    cli_env: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """The API's ranges hold on the command line too: a negative --limit used to slice the ranking
    from its end, and an ingest under a tenant id no API key can have stored unreachable chunks."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (cli_env / "state" / "chroma").exists()
