"""Benchmark: entity extraction quality and speed.

1. Precision / recall / F1 per entity type on the labeled set ``tests/data/entities_labeled.jsonl``
   (Polish and English ticket sentences with expected spans; exact type + offsets).
2. Person names per language (row label), on that set and on the held-out set
   ``tests/data/entities_persons_heldout.jsonl`` (written before the person rules, never tuned on).
3. Throughput (tickets/s) and p50/p95 latency per ticket on short (~300 chars) and long
   (~5,000 chars) tickets, one thread, extractor warmed up.

    .venv/bin/python bench/entities.py [--tickets 200] [--errors]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.queries import build_entity_extractor  # noqa: E402
from core.settings import Settings  # noqa: E402
from tools.pii.evaluation import evaluate, load_labeled  # noqa: E402

LABELED = ROOT / "tests" / "data" / "entities_labeled.jsonl"
HELDOUT = ROOT / "tests" / "data" / "entities_persons_heldout.jsonl"


def make_ticket(sentences: list[str], length: int, rng: random.Random) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < length:
        parts.append(rng.choice(sentences))
    return " ".join(parts)[:length]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=200, help="tickets per size for the speed table")
    parser.add_argument("--errors", action="store_true", help="also list every missed / spurious span")
    args = parser.parse_args()

    extractor = build_entity_extractor(Settings())
    rows = load_labeled(LABELED)
    report = evaluate(extractor, rows)
    print(f"Quality on {LABELED.relative_to(ROOT)} ({len(rows)} texts, exact type+offsets)\n")
    print(f"{'type':<16}{'support':>8}{'precision':>11}{'recall':>8}{'f1':>7}")
    for kind in sorted(report.per_type):
        score = report.per_type[kind]
        support = score.true_positives + score.false_negatives
        print(f"{kind:<16}{support:>8}{score.precision:>11.2f}{score.recall:>8.2f}{score.f1:>7.2f}")
    micro = report.micro
    print(f"{'micro':<16}{micro.true_positives + micro.false_negatives:>8}{micro.precision:>11.2f}{micro.recall:>8.2f}{micro.f1:>7.2f}\n")
    if args.errors:
        for row_id, kind, detail in report.errors:
            print(f"  {row_id}: {kind} {detail}")
        print()

    print("Person names per language (exact offsets)\n")
    print(f"{'set':<10}{'lang':<6}{'names':>6}{'precision':>11}{'recall':>8}{'f1':>7}")
    for name, path in (("tuning", LABELED), ("held-out", HELDOUT)):
        split = load_labeled(path)
        for language in ("pl", "en"):
            person = evaluate(extractor, [row for row in split if row.language == language]).per_type.get("person")
            if person is None:
                continue
            support = person.true_positives + person.false_negatives
            print(f"{name:<10}{language:<6}{support:>6}{person.precision:>11.2f}{person.recall:>8.2f}{person.f1:>7.2f}")
            if args.errors:
                for row_id, kind, detail in evaluate(extractor, [r for r in split if r.language == language]).errors:
                    if "person" in detail:
                        print(f"    {row_id}: {kind} {detail}")
    print()

    rng = random.Random(7)
    sentences = [row.text for row in rows]
    print(f"Speed ({args.tickets} tickets per size, one thread)\n")
    print(f"{'size':<8}{'chars':>7}{'tickets/s':>11}{'p50 ms':>9}{'p95 ms':>9}")
    for name, length in (("short", 300), ("long", 5000)):
        tickets = [make_ticket(sentences, length, rng) for _ in range(args.tickets)]
        extractor.extract(tickets[0])
        timings = []
        started = time.perf_counter()
        for ticket in tickets:
            begin = time.perf_counter()
            extractor.extract(ticket)
            timings.append((time.perf_counter() - begin) * 1000)
        elapsed = time.perf_counter() - started
        p50 = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"{name:<8}{length:>7}{len(tickets) / elapsed:>11.1f}{p50:>9.1f}{p95:>9.1f}")


if __name__ == "__main__":
    main()
