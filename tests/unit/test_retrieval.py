"""Retrieval pieces without servers: tokenizer, BM25, fusion, loaders, chunking, tenant scoping."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.unit.conftest import HashingEmbedder
from core.errors import InvalidInputError
from tools.retrieval import HybridCollection, SourceDocument, chunk_document, load_documents, open_chroma_client, reciprocal_rank_fusion
from tools.retrieval.documents import split_with_overlap
from tools.retrieval.lexical import LexicalIndex, tokenize
from tools.retrieval.store import ChromaKnowledgeStore


def test_tokenizer_keeps_codes_whole_and_split() -> None:
    tokens = tokenize("ORA-12541 on srv-prod-db-03, connecting")
    assert {"ora-12541", "ora", "12541", "srv-prod-db-03", "srv", "prod", "db", "03", "conne~"} <= set(tokens)
    assert "on" not in tokens


def test_tokenizer_folds_polish_diacritics_for_matching() -> None:
    assert tokenize("Załączniki nie działają, błąd łącza") == tokenize("zalaczniki nie dzialaja, blad lacza")


def test_bm25_finds_exact_identifiers_and_applies_filters(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3", "kb")
    ids = ["a", "b", "c"]
    texts = ["ORA-12541 TNS no listener", "ORA-12514 listener does not know service", "VPN disconnects"]
    metadatas = [{"tenant_id": "t1", "status": "published"}, {"tenant_id": "t1", "status": "draft"}, {"tenant_id": "t2", "status": "published"}]
    index.upsert(ids, texts, metadatas)
    assert index.search("ORA-12541", 3)[0][0] == "a"
    assert [i for i, _ in index.search("vpn", 3, {"tenant_id": "t1"})] == []
    assert [i for i, _ in index.search("listener", 3, {"status": ["draft"]})] == ["b"]
    assert index.search("listener", 3, {"status": []}) == []
    assert index.search("nothing matches", 3) == []
    reopened = LexicalIndex(tmp_path / "lexical.sqlite3", "kb")  # another process opening the same file
    assert reopened.search("ORA-12541", 1)[0][0] == "a" and reopened.size == 3
    index.delete(["a"])
    assert [i for i, _ in reopened.search("ORA-12541", 3)] == ["b"]  # only the shared "ora" token is left
    assert LexicalIndex(tmp_path / "lexical.sqlite3", "other").size == 0  # collections do not mix
    with pytest.raises(InvalidInputError):
        index.search("vpn", 3, {"status') OR 1=1 --": "x"})


def _write_chunks(database: str, writer: int, count: int) -> None:
    index = LexicalIndex(Path(database), "shared")
    for n in range(count):
        index.upsert([f"w{writer}-{n}"], [f"printer tonerfault writer{writer} item{n}"], [{"tenant_id": "acme", "n": n}])
        index.upsert([f"w{writer}-{n}"], [f"printer paperjam writer{writer} item{n}"], [{"tenant_id": "acme", "n": n}])


def test_lexical_index_holds_under_concurrent_writer_processes(tmp_path: Path) -> None:
    """Four processes upsert (and replace) 40 chunks each while this one reads: nothing lost, no error."""
    import multiprocessing

    database = tmp_path / "lexical.sqlite3"
    reader = LexicalIndex(database, "shared")
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_chunks, args=(str(database), w, 40)) for w in range(4)]
    for process in writers:
        process.start()
    while any(process.is_alive() for process in writers):
        reader.search("printer", 10)  # readers are never blocked into an error by writers
    assert all(process.exitcode == 0 for process in writers)
    assert reader.size == 160
    assert len(reader.search("paperjam", 500)) == 160 and reader.search("tonerfault", 500) == []


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([["x", "y", "z"], ["y", "w"]])
    assert max(fused, key=fused.__getitem__) == "y"
    assert fused["x"] > fused["w"] > 0


def test_split_with_overlap_keeps_every_character_and_overlaps() -> None:
    text = " ".join(f"Step {n} does a thing." for n in range(400))
    pieces = split_with_overlap(text, size=500, overlap=100)
    assert all(len(piece) <= 500 for piece in pieces) and len(pieces) > 5
    assert all(piece.split()[-1] in text for piece in pieces)
    for left, right in zip(pieces, pieces[1:]):
        assert left[-60:].strip()[:20] in right or right[:20] in left  # neighbours share text


def test_loaders_read_markdown_html_text_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "KB-9001-guide.md").write_text("# Guide\n\nIntro.\n\n## Steps\nDo it.\n", encoding="utf-8")
    (tmp_path / "faq.html").write_text(
        "<html><head><title>VPN FAQ</title><meta name='doc_id' content='KB-9002'><meta name='status' content='published'>"
        "<script>var x=1;</script></head><body><h1>VPN FAQ</h1><p>Intro</p><h2>Cannot connect</h2><ul><li>Restart</li></ul></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("Printer notes\nToner is in room 3.", encoding="utf-8")
    (tmp_path / "tickets.jsonl").write_text(
        json.dumps({"id": "T-1", "title": "Disk full", "description": "No space left", "status": "resolved", "nested": {"x": 1}}) + "\n",
        encoding="utf-8",
    )
    documents = {d.doc_id: d for d in load_documents(tmp_path)}
    assert set(documents) == {"KB-9001", "KB-9002", "notes", "T-1"}
    html = documents["KB-9002"]
    assert html.title == "VPN FAQ" and html.metadata["status"] == "published" and "var x" not in html.body
    assert [c.section for c in chunk_document(html, "t")] == ["Summary", "Cannot connect"]
    assert documents["T-1"].metadata == {"status": "resolved"}
    assert chunk_document(documents["KB-9001"], "t")[1].chunk_id == "KB-9001-c-1"


def test_loader_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"id": "x", "body": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match="bad.jsonl:2"):
        load_documents(tmp_path)
    with pytest.raises(InvalidInputError, match="no such file"):
        load_documents(tmp_path / "missing")


def _collection() -> HybridCollection:
    store = ChromaKnowledgeStore(open_chroma_client("embedded", None), HashingEmbedder(), f"c_{uuid.uuid4().hex[:8]}")
    return HybridCollection(store, None)


def test_hybrid_collection_is_tenant_scoped_and_idempotent() -> None:
    collection = _collection()
    doc = SourceDocument("KB-1", "Listener", "", "ORA-12541 means the listener is down.\n\n## Fix\nlsnrctl start", {"status": "published"})
    first = collection.ingest([doc], "acme")
    other = collection.ingest([doc], "globex")  # same doc id, another tenant: a separate copy
    again = collection.ingest([doc], "acme")
    assert (first.added, other.added, again.unchanged, again.chunks_written) == (1, 1, 1, 0)
    changed = collection.ingest([SourceDocument("KB-1", "Listener", "", "Rewritten body.", {"status": "published"})], "acme")
    assert changed.replaced == 1
    acme = collection.search("ORA-12541 listener", 5, {"tenant_id": "acme"})
    globex = collection.search("ORA-12541 listener", 5, {"tenant_id": "globex"})
    assert {h.metadata["tenant_id"] for h in acme} == {"acme"} and all("Rewritten" in h.text for h in acme)
    assert globex and all(h.metadata["tenant_id"] == "globex" for h in globex)
    for hit in collection.search("ORA-12541", 5, mode="lexical"):
        assert 0 <= hit.score <= 1 and hit.lexical > 0


def test_bm25_follows_a_replacement_written_by_another_process(tmp_path: Path) -> None:
    """Two HybridCollections on one Chroma collection and one lexical file stand in for a worker and the ingest CLI."""
    store = ChromaKnowledgeStore(open_chroma_client("embedded", None), HashingEmbedder(), f"c_{uuid.uuid4().hex[:8]}")
    worker, cli = HybridCollection(store, tmp_path / "lexical.sqlite3"), HybridCollection(store, tmp_path / "lexical.sqlite3")
    cli.ingest([SourceDocument("KB-1", "Printer", "", "Tonerfault reported by the print server.")], "acme")
    assert worker.search("tonerfault", 3, mode="lexical")[0].doc_id == "KB-1"
    cli.ingest([SourceDocument("KB-1", "Printer", "", "Paperjam reported by the print server.")], "acme")  # same chunk count
    assert store.count() == 1
    assert [h.doc_id for h in worker.search("paperjam", 3, mode="lexical")] == ["KB-1"]
    assert worker.search("tonerfault", 3, mode="lexical") == []