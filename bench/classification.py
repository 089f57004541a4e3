"""Benchmark: the ticket classifier's start-up training time and one-ticket latency.

Builds :class:`tools.classification.EmbeddingClassifier` from ``data/labeled_tickets.jsonl`` the
way the worker does at start (embedding the bank included, then without it: vectors given), and
classifies ``--runs`` different tickets one at a time with their vector given (the triage graph
embeds a ticket once), printing p50/p95 of the head alone.

    .venv/bin/python bench/classification.py [--embedder use-multilingual] [--runs 200] [--method hybrid]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.settings import get_settings  # noqa: E402
from tools.classification import EmbeddingClassifier, load_examples  # noqa: E402
from tools.embeddings import build_local_embedder, embed_queries  # noqa: E402
from tools.evaluation.runner import METHODS, head_config  # noqa: E402
from tools.taxonomy import load_taxonomy  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedder", default="use-multilingual")
    parser.add_argument("--method", default="hybrid", choices=[m for m in METHODS if m != "knn"])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    settings = get_settings()
    taxonomy = load_taxonomy(settings.taxonomy_path)
    examples = load_examples(settings.labeled_tickets_path, taxonomy)
    embedder = build_local_embedder(args.embedder, settings.embedding_model_path)
    config = head_config(args.method)
    started = time.perf_counter()
    EmbeddingClassifier(embedder, taxonomy, examples, head=config)
    with_embedding = time.perf_counter() - started
    vectors = embed_queries(embedder, [e.text for e in examples])
    started = time.perf_counter()
    classifier = EmbeddingClassifier(embedder, taxonomy, examples, head=config, example_vectors=vectors)
    head_only = time.perf_counter() - started
    timings = []
    for index in range(args.runs):
        i = index % len(examples)
        started = time.perf_counter()
        classifier.classify(examples[i].text, vector=vectors[i])
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(f"classifier {args.method} on {embedder.model_id}, {len(examples)} examples")
    print(f"start-up training: {with_embedding:.2f} s with embedding the bank, {head_only:.2f} s with vectors given")
    print(f"one ticket (vector given): p50 {statistics.median(timings):.1f} ms, p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms over {args.runs}")


if __name__ == "__main__":
    main()
