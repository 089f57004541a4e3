"""``triage-desk ingest`` links knowledge-base articles to the entities they mention in the entity
graph (issue 12), once per content, with real Presidio and the embedded SQL graph store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

import cli
from core.settings import get_settings
from tools.graph import EntityKeyer, SqlGraphStore, graph_secret

pytestmark = pytest.mark.integration

ARTICLE = (
    "---\ndoc_id: KB-7301\ntitle: Print server PRN-7 offline\nstatus: published\n---\n# Print server\n\n"
    "Printing fails with ERR-7301 when the host prn-srv-07.corp.local loses its spooler.\n\n## Customer steps\n1. Restart the print job.\n"
)



def graph_articles(tenant: str, entity_type: str, value: str) -> list[str]:
    """Articles the CLI's graph store links to one entity (the same store and hashing key the worker uses)."""
    settings = get_settings()
    ref = EntityKeyer(graph_secret(settings)).ref(entity_type, value)
    assert ref is not None

    async def read() -> list[str]:
        store = SqlGraphStore(sa.create_engine(settings.sql_url))
        try:
            await store.setup()
            return [a.doc_id for a in (await store.context(tenant, [ref])).related_articles]
        finally:
            await store.close()

    return asyncio.run(read())


def test_ingest_links_articles_to_their_entities_once(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = cli_env / "kb"
    docs.mkdir()
    (docs / "KB-7301.md").write_text(ARTICLE, encoding="utf-8")
    args = ["ingest", str(docs), "--collection", "knowledge_base", "--tenant", "acme", "--quiet"]

    assert cli.main(args) == 0
    assert "graph (sql): 1 articles — 1 linked, 0 unchanged" in capsys.readouterr().out
    assert graph_articles("acme", "error_code", "ERR-7301") == ["KB-7301"]
    assert graph_articles("acme", "hostname", "prn-srv-07.corp.local") == ["KB-7301"]
    assert graph_articles("other", "error_code", "ERR-7301") == []

    assert cli.main(args) == 0  # unchanged: no extraction, nothing written
    assert "graph (sql): 1 articles — 0 linked, 1 unchanged; 0 new entity mentions" in capsys.readouterr().out

    (docs / "KB-7301.md").write_text(ARTICLE.replace("ERR-7301", "ERR-7302"), encoding="utf-8")
    assert cli.main(args) == 0
    assert "1 linked, 0 unchanged" in capsys.readouterr().out
    assert graph_articles("acme", "error_code", "ERR-7302") == ["KB-7301"] and graph_articles("acme", "error_code", "ERR-7301") == []


def test_other_collections_and_no_graph_leave_the_graph_alone(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = cli_env / "kb"
    docs.mkdir()
    (docs / "KB-7301.md").write_text(ARTICLE, encoding="utf-8")
    assert cli.main(["ingest", str(docs), "--collection", "knowledge_base", "--tenant", "acme", "--quiet", "--no-graph"]) == 0
    assert cli.main(["ingest", str(docs), "--collection", "runbooks", "--tenant", "acme", "--quiet"]) == 0
    assert "graph" not in capsys.readouterr().out
    assert graph_articles("acme", "error_code", "ERR-7301") == []
