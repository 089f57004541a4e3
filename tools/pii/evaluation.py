"""Precision and recall per entity type against a labeled set of spans.

A prediction counts as correct only with the same type and exactly the same offsets: a
redaction that misses the last digit of an IBAN has leaked it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from tools.pii.entities import EntityExtractor


@dataclass(frozen=True)
class LabeledText:
    id: str
    language: str
    text: str
    spans: frozenset[tuple[str, int, int]]


@dataclass
class TypeScore:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass
class EntityEvaluation:
    per_type: dict[str, TypeScore] = field(default_factory=dict)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (row id, "missed"/"spurious", detail)

    @property
    def micro(self) -> TypeScore:
        total = TypeScore()
        for score in self.per_type.values():
            total.true_positives += score.true_positives
            total.false_positives += score.false_positives
            total.false_negatives += score.false_negatives
        return total


def load_labeled(path: Path) -> list[LabeledText]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            spans = frozenset((e["type"], e["start"], e["end"]) for e in row["entities"])
            rows.append(LabeledText(row["id"], row["lang"], row["text"], spans))
    return rows


def evaluate(extractor: EntityExtractor, rows: Iterable[LabeledText]) -> EntityEvaluation:
    """Language is detected, not taken from the label, as it would be in production."""
    result = EntityEvaluation()
    for row in rows:
        predicted = {(e.type, e.start, e.end) for e in extractor.extract(row.text)}
        for kind, start, end in predicted | row.spans:
            score = result.per_type.setdefault(kind, TypeScore())
            if (kind, start, end) in predicted and (kind, start, end) in row.spans:
                score.true_positives += 1
            elif (kind, start, end) in predicted:
                score.false_positives += 1
                result.errors.append((row.id, "spurious", f"{kind} {row.text[start:end]!r}"))
            else:
                score.false_negatives += 1
                result.errors.append((row.id, "missed", f"{kind} {row.text[start:end]!r}"))
    return result
