"""Benchmark: retrieval quality (dense vs BM25 vs hybrid) and query latency by collection size.

1. Quality, per search mode side by side: recall@1, recall@5 and MRR at document level (a document's
   best chunk counts) on
   - ``bench/data/retrieval_queries.jsonl``: 80 hand-written tickets (paraphrases, exact error
     codes/hostnames, Polish) against ``data/kb`` and ``data/runbooks``;
   - ``../shared/datasets/stackfaq_retrieval`` (when present): 125 FAQ articles, 250 test queries.
2. Latency: p50/p95 per query for each mode with 1,000 and 10,000 chunks in the collection
   (chunks built from the public datasets' texts; embedding them takes a minute or two on CPU).

    .venv/bin/python bench/retrieval.py [--sizes 1000,10000] [--latency-queries 50] [--skip-latency]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.embeddings import UseMultilingualEmbedder  # noqa: E402
from tools.retrieval import HybridCollection, SourceDocument, load_documents, open_chroma_client  # noqa: E402
from tools.retrieval.store import ChromaKnowledgeStore  # noqa: E402

MODES = ("dense", "lexical", "hybrid")
TENANT = "bench"
DATASETS = ROOT.parent / "shared" / "datasets"


@dataclass
class Query:
    text: str
    collection: str
    expected: str


def new_collection(client: object, embedder: UseMultilingualEmbedder, lexical_root: Path, name: str) -> HybridCollection:
    physical = f"{name}_{uuid.uuid4().hex[:6]}"
    return HybridCollection(ChromaKnowledgeStore(client, embedder, physical), lexical_root / "lexical.sqlite3")


def document_ranking(collection: HybridCollection, query: str, mode: str, filters: dict[str, str]) -> list[str]:
    ranking: list[str] = []
    for hit in collection.search(query, limit=30, filters=filters, mode=mode):  # type: ignore[arg-type]
        if hit.doc_id not in ranking:
            ranking.append(hit.doc_id)
    return ranking


def quality(collections: dict[str, HybridCollection], queries: list[Query], filters: dict[str, str]) -> dict[str, tuple[float, float, float]]:
    scores: dict[str, tuple[float, float, float]] = {}
    for mode in MODES:
        hits1 = hits5 = 0
        reciprocal = 0.0
        for query in queries:
            ranking = document_ranking(collections[query.collection], query.text, mode, filters)
            if query.expected in ranking:
                rank = ranking.index(query.expected) + 1
                hits1 += rank == 1
                hits5 += rank <= 5
                reciprocal += 1.0 / rank
        n = len(queries)
        scores[mode] = (hits1 / n, hits5 / n, reciprocal / n)
    return scores


def print_quality(title: str, scores: dict[str, tuple[float, float, float]], count: int) -> None:
    print(f"\n{title} ({count} queries)")
    print(f"{'mode':<10}{'recall@1':>10}{'recall@5':>10}{'MRR':>8}")
    for mode, (r1, r5, mrr) in scores.items():
        print(f"{mode:<10}{r1:>10.3f}{r5:>10.3f}{mrr:>8.3f}")


def own_set(client: object, embedder: UseMultilingualEmbedder, lexical_root: Path) -> None:
    collections = {
        "knowledge_base": new_collection(client, embedder, lexical_root, "kb"),
        "runbooks": new_collection(client, embedder, lexical_root, "rb"),
    }
    collections["knowledge_base"].ingest(load_documents(ROOT / "data" / "kb"), TENANT)
    collections["runbooks"].ingest(load_documents(ROOT / "data" / "runbooks"), TENANT)
    rows = [json.loads(line) for line in (ROOT / "bench" / "data" / "retrieval_queries.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [Query(r["query"], r["collection"], r["expected"]) for r in rows]
    filters = {"tenant_id": TENANT, "status": "published"}
    print_quality("Own set: data/kb + data/runbooks, bench/data/retrieval_queries.jsonl", quality(collections, queries, filters), len(queries))
    for kind in sorted({r["kind"] for r in rows}):
        subset = [Query(r["query"], r["collection"], r["expected"]) for r in rows if r["kind"] == kind]
        print_quality(f"  of which {kind}", quality(collections, subset, filters), len(subset))


def stackfaq(client: object, embedder: UseMultilingualEmbedder, lexical_root: Path) -> None:
    folder = DATASETS / "stackfaq_retrieval"
    if not folder.is_dir():
        print(f"\n(skipped StackFAQ: {folder} not found)")
        return
    articles = [json.loads(line) for line in (folder / "faq_articles.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    documents = [
        SourceDocument(a["faq_id"], a["question"], "", "\n\n".join(f"## Answer {i + 1}\n{text}" for i, text in enumerate(a["answers"])))
        for a in articles
    ]
    collection = new_collection(client, embedder, lexical_root, "faq")
    collection.ingest(documents, TENANT)
    rows = [json.loads(line) for line in (folder / "queries_test.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [Query(r["query"], "faq", r["faq_id"]) for r in rows]
    print_quality("StackFAQ (public): 125 articles, queries_test.jsonl", quality({"faq": collection}, queries, {"tenant_id": TENANT}), len(queries))


def corpus_texts(needed: int) -> list[str]:
    """Realistic support texts from the shared datasets (cycled with a marker when short)."""
    texts: list[str] = []
    tickets = DATASETS / "support_tickets_multilang" / "tickets_train.csv"
    if tickets.is_file():
        with tickets.open(encoding="utf-8") as handle:
            texts += [f"{row['subject']}\n{row['body']}"[:1200] for row in csv.DictReader(handle)]
    responses = DATASETS / "bitext_customer_service" / "responses_bank.csv"
    if responses.is_file():
        with responses.open(encoding="utf-8") as handle:
            texts += [" ".join(row.values())[:1200] for row in csv.DictReader(handle)]
    if not texts:
        texts = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "data" / "kb").glob("*.md"))]
    return [texts[i % len(texts)] + ("" if i < len(texts) else f"\n(copy {i // len(texts)})") for i in range(needed)]


def latency(client: object, embedder: UseMultilingualEmbedder, lexical_root: Path, sizes: list[int], query_count: int) -> None:
    rows = [json.loads(line) for line in (ROOT / "bench" / "data" / "retrieval_queries.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    queries = [r["query"] for r in rows][:query_count]
    texts = corpus_texts(max(sizes))
    print(f"\nQuery latency (ms, {len(queries)} queries, limit 10, tenant filter; embedding the query included)")
    print(f"{'chunks':>8}{'mode':>9}{'p50':>9}{'p95':>9}")
    for size in sizes:
        collection = new_collection(client, embedder, lexical_root, f"lat{size}")
        documents = [SourceDocument(f"DOC-{i}", text.splitlines()[0][:80] or f"doc {i}", "", text) for i, text in enumerate(texts[:size])]
        started = time.perf_counter()
        collection.ingest(documents, TENANT)
        collection.sync_lexical()
        print(f"{'':>8}  (ingested {collection.count()} chunks in {time.perf_counter() - started:.0f} s)")
        for mode in MODES:
            collection.search(queries[0], 10, {"tenant_id": TENANT}, mode=mode)  # type: ignore[arg-type]
            timings = []
            for query in queries:
                begin = time.perf_counter()
                collection.search(query, 10, {"tenant_id": TENANT}, mode=mode)  # type: ignore[arg-type]
                timings.append((time.perf_counter() - begin) * 1000)
            print(f"{collection.count():>8}{mode:>9}{statistics.median(timings):>9.1f}{statistics.quantiles(timings, n=20)[-1]:>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="collection sizes (chunks) for the latency table")
    parser.add_argument("--latency-queries", type=int, default=50)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    embedder = UseMultilingualEmbedder()
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as workdir:
        client = open_chroma_client("embedded", Path(workdir) / "chroma")
        lexical_root = Path(workdir) / "bm25"
        own_set(client, embedder, lexical_root)
        stackfaq(client, embedder, lexical_root)
        if not args.skip_latency:
            latency(client, embedder, lexical_root, [int(s) for s in args.sizes.split(",")], args.latency_queries)


if __name__ == "__main__":
    main()
