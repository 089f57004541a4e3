"""Score :func:`tools.classification.detect_language` on labeled pl/en text.

Why: the detected language picks the spaCy pipeline for entities, the sentiment lexicon and the
reply language, so a short Polish ticket read as English gets Polish words tagged as English
entities. Sources (each row carries a reference language):

* ``own``: ``data/labeled_tickets.jsonl`` (``language`` field per example);
* ``massive_pl_en``: the Polish and English rows of the public MASSIVE test split (short utterances);
* ``support_tickets_multilang``: its English test tickets only (long e-mails; an English regression check).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Callable

from tools.classification.language import detect_language

SOURCES = ("own", "massive_pl_en", "support_tickets_multilang")


def _rows(source: str, datasets: Path, labeled_path: Path) -> list[tuple[str, str]]:
    """``(text, language)`` pairs of one source, pl/en only."""
    if source == "own":
        rows = [json.loads(line) for line in labeled_path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [(r["text"], r["language"]) for r in rows if r.get("language") in ("pl", "en")]
    if source == "massive_pl_en":
        with (datasets / "massive_pl_en" / "test.csv").open(encoding="utf-8", newline="") as handle:
            return [(r["text"], r["lang"]) for r in csv.DictReader(handle) if r["lang"] in ("pl", "en")]
    with (datasets / "support_tickets_multilang" / "tickets_test.csv").open(encoding="utf-8", newline="") as handle:
        return [(f"{r['subject']}\n{r['body']}".strip(), "en") for r in csv.DictReader(handle) if r["language"] == "en"]


def evaluate_language(
    datasets: Path, labeled_path: Path, sources: tuple[str, ...] = SOURCES, detector: Callable[[str], str] = detect_language,
) -> dict[str, dict[str, tuple[int, int]]]:
    """``{source: {language: (correct, total)}}`` for every source whose file exists."""
    report: dict[str, dict[str, tuple[int, int]]] = {}
    for source in sources:
        try:
            rows = _rows(source, datasets, labeled_path)
        except FileNotFoundError:
            continue
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for text, language in rows:
            counts[language][1] += 1
            counts[language][0] += detector(text) == language
        report[source] = {lang: (c[0], c[1]) for lang, c in sorted(counts.items())}
    return report


def format_language_report(report: dict[str, dict[str, tuple[int, int]]]) -> str:
    lines = ["source                      lang  accuracy   correct/total"]
    for source, per_lang in report.items():
        for lang, (correct, total) in per_lang.items():
            lines.append(f"{source:<27} {lang:<5} {correct / total:8.2%}   {correct}/{total}")
    return "\n".join(lines)
