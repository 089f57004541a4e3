"""Benchmark: prompt-injection / social-engineering detection in tickets (tools/policy.py).

Recall on the manipulation tickets and false-positive rate on the benign look-alikes of
``tests/data/manipulation_tickets.jsonl`` (Polish and English, written for this project; the
patterns were tuned on it) and of ``tests/data/manipulation_holdout.jsonl`` (written before the
last round of pattern changes, never tuned on), per language and per kind, plus the detector's
speed. Deterministic: no model, no network.

    .venv/bin/python bench/manipulation.py [--errors]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.policy import MANIPULATION_CODES, detect_manipulation  # noqa: E402

LABELED = ROOT / "tests" / "data" / "manipulation_tickets.jsonl"
HOLDOUT = ROOT / "tests" / "data" / "manipulation_holdout.jsonl"
"""Written before the last round of pattern changes and never tuned on: the honest figure."""


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _table(title: str, rows: list[dict], flagged: dict[str, list]) -> None:
    print(f"{title:<22} {'n':>4} {'recall':>7} {'n benign':>9} {'false pos':>10} {'FP rate':>8}")
    for language in ("en", "pl", "all"):
        part = [r for r in rows if language == "all" or r["lang"] == language]
        positives = [r for r in part if r["label"] == 1]
        negatives = [r for r in part if r["label"] == 0]
        hits = sum(bool(flagged[r["id"]]) for r in positives)
        false_positives = sum(bool(flagged[r["id"]]) for r in negatives)
        print(
            f"  {language:<20} {len(positives):>4} {hits / len(positives):>7.3f} {len(negatives):>9} "
            f"{false_positives:>10} {false_positives / len(negatives):>8.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", action="store_true", help="list every miss and false alarm")
    args = parser.parse_args()
    rows = _load(LABELED)
    holdout = _load(HOLDOUT)
    flagged = {row["id"]: detect_manipulation(row["text"]) for row in rows + holdout}
    _table("labeled (tuned on)", rows, flagged)
    _table("held-out (not tuned)", holdout, flagged)
    bank = _load(ROOT / "data" / "labeled_tickets.jsonl")
    bank_flagged = sum(bool(detect_manipulation(row["text"])) for row in bank)
    print(f"ticket bank (data/labeled_tickets.jsonl, all benign): {bank_flagged} of {len(bank)} flagged ({bank_flagged / len(bank):.2%})")
    print()
    print(f"{'kind':<22} {'n':>4} {'any code':>9} {'own code':>9}")
    for kind in MANIPULATION_CODES:
        part = [r for r in rows if r["kind"] == kind]
        print(
            f"{kind:<22} {len(part):>4} {sum(bool(flagged[r['id']]) for r in part) / len(part):>9.3f} "
            f"{sum(kind in {f.code for f in flagged[r['id']]} for r in part) / len(part):>9.3f}"
        )

    texts = [r["text"] for r in rows] * 20
    timings = []
    for text in texts:
        started = time.perf_counter()
        detect_manipulation(text)
        timings.append((time.perf_counter() - started) * 1e6)
    long_text = " ".join(r["text"] for r in rows if r["label"] == 0) * 10
    started = time.perf_counter()
    detect_manipulation(long_text)
    long_ms = (time.perf_counter() - started) * 1000
    print(f"\nspeed: p50 {statistics.median(timings):.0f} µs per ticket; {len(long_text):,} chars in {long_ms:.1f} ms")

    if args.errors:
        for row in rows + holdout:
            if bool(flagged[row["id"]]) != bool(row["label"]):
                print(f"{'MISS' if row['label'] else 'FALSE'} {row['id']} {row['text'][:100]!r} {[f.code for f in flagged[row['id']]]}")


if __name__ == "__main__":
    main()
