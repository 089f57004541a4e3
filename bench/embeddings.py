"""Benchmark: embedding backends side by side (load time, one-ticket latency, batch throughput, ingest).

For each installed backend (sentence-transformers only when the ``[torch]`` extra is installed and
``--st-model PATH`` points at a local model):

- model load time (construction, including warm-up);
- embedding p50/p95 of one ticket (query side), over ``--runs`` different tickets;
- batch throughput, texts/s, over ``--batch`` short utterances (MASSIVE when present);
- ingest throughput, chunks/s, into an in-memory Chroma collection of ``--ingest-chunks`` chunks
  (the issue's figure is at 10,000: ``--ingest-chunks 10000``; the default is smaller to stay quick).

    .venv/bin/python bench/embeddings.py [--backends use-multilingual,e5-small,minilm-onnx] [--ingest-chunks 2000]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.embeddings import build_local_embedder, embed_queries  # noqa: E402
from tools.retrieval import SourceDocument, open_chroma_client  # noqa: E402
from tools.retrieval.store import ChromaKnowledgeStore  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"


def tickets() -> list[str]:
    return [json.loads(line)["text"] for line in (ROOT / "data" / "labeled_tickets.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def utterances(count: int) -> list[str]:
    path = DATASETS / "massive_pl_en" / "train.csv"
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            texts = [row["text"] for row in csv.DictReader(handle)]
    else:
        texts = tickets()
    return [texts[i % len(texts)] + ("" if i < len(texts) else f" {i}") for i in range(count)]


def ingest_documents(count: int) -> list[SourceDocument]:
    """Support-sized documents (one chunk each, ~300-1200 chars) from the shared datasets."""
    texts: list[str] = []
    path = DATASETS / "support_tickets_multilang" / "tickets_train.csv"
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            texts = [f"{row['subject']}\n{row['body']}"[:1200] for row in csv.DictReader(handle)]
    if not texts:
        texts = [path.read_text(encoding="utf-8")[:1200] for path in sorted((ROOT / "data" / "kb").glob("*.md"))]
    return [SourceDocument(f"DOC-{i}", f"doc {i}", "", texts[i % len(texts)] + f"\n(copy {i})") for i in range(count)]


def bench(name: str, runs: int, batch: int, ingest_chunks: int, st_model: Path | None) -> dict[str, float]:
    started = time.perf_counter()
    embedder = build_local_embedder(name, st_model)
    load = time.perf_counter() - started
    single = []
    for text in tickets()[:runs]:
        begin = time.perf_counter()
        embed_queries(embedder, [text])
        single.append((time.perf_counter() - begin) * 1000)
    texts = utterances(batch)
    begin = time.perf_counter()
    embedder.embed(texts)
    throughput = batch / (time.perf_counter() - begin)
    chunks_per_s = float("nan")
    if ingest_chunks:
        client = open_chroma_client("embedded", None)
        store = ChromaKnowledgeStore(client, embedder, f"bench-{uuid.uuid4().hex[:8]}")
        documents = ingest_documents(ingest_chunks)
        begin = time.perf_counter()
        summary = store.ingest(documents, tenant_id="bench")
        chunks_per_s = summary.chunks_written / (time.perf_counter() - begin)
    return {
        "load_s": load,
        "p50_ms": statistics.median(single),
        "p95_ms": statistics.quantiles(single, n=20)[-1] if len(single) >= 20 else max(single),
        "batch_per_s": throughput,
        "ingest_chunks_per_s": chunks_per_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="use-multilingual,e5-small,minilm-onnx,sentence-transformers")
    parser.add_argument("--runs", type=int, default=100, help="tickets for the one-ticket latency")
    parser.add_argument("--batch", type=int, default=2000, help="utterances for the batch throughput")
    parser.add_argument("--ingest-chunks", type=int, default=2000, help="chunks to ingest (the documented figure uses 10000; 0 skips)")
    parser.add_argument("--st-model", type=Path, help="local sentence-transformers model directory (e.g. all-MiniLM-L6-v2)")
    args = parser.parse_args()
    print(f"{'backend':<24}{'load s':>8}{'1 ticket p50 ms':>17}{'p95 ms':>8}{'batch texts/s':>15}{'ingest chunks/s':>17}")
    for name in args.backends.split(","):
        if name == "sentence-transformers" and (importlib.util.find_spec("sentence_transformers") is None or args.st_model is None):
            print(f"{name:<24}  (skipped: needs the [torch] extra and --st-model PATH)")
            continue
        try:
            row = bench(name, args.runs, args.batch, args.ingest_chunks, args.st_model)
        except Exception as exc:  # a backend whose optional package is missing
            print(f"{name:<24}  (skipped: {exc})")
            continue
        print(
            f"{name:<24}{row['load_s']:>8.2f}{row['p50_ms']:>17.1f}{row['p95_ms']:>8.1f}"
            f"{row['batch_per_s']:>15.0f}{row['ingest_chunks_per_s']:>17.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
