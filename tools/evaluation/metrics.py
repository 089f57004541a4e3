"""Scores for the evaluation command: accuracy, macro-F1, recall@k, MRR, confidence buckets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(g == p for g, p in zip(gold, predicted)) / len(gold) if gold else 0.0


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean F1 over the gold labels (a label never predicted scores 0)."""
    labels = sorted(set(gold))
    if not labels:
        return 0.0
    total = 0.0
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        total += 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return total / len(labels)


@dataclass(frozen=True)
class ConfidenceSplit:
    """Accuracy of the predictions at or above a confidence threshold vs below it."""

    threshold: float
    above: int
    above_accuracy: float
    below: int
    below_accuracy: float


def confidence_split(gold: Sequence[str], predicted: Sequence[str], confidence: Sequence[float], threshold: float = 0.7) -> ConfidenceSplit:
    high = [g == p for g, p, c in zip(gold, predicted, confidence) if c >= threshold]
    low = [g == p for g, p, c in zip(gold, predicted, confidence) if c < threshold]
    return ConfidenceSplit(
        threshold,
        len(high),
        sum(high) / len(high) if high else 0.0,
        len(low),
        sum(low) / len(low) if low else 0.0,
    )


@dataclass(frozen=True)
class RankingScores:
    queries: int
    recall_at_1: float
    recall_at_5: float
    mrr: float


def ranking_scores(rankings: Sequence[Sequence[str]], expected: Sequence[str]) -> RankingScores:
    """Recall@1/@5 and MRR (over the whole ranking given) of one relevant id per query."""
    r1 = r5 = reciprocal = 0.0
    for ranking, target in zip(rankings, expected):
        if target in ranking:
            rank = list(ranking).index(target) + 1
            r1 += rank == 1
            r5 += rank <= 5
            reciprocal += 1.0 / rank
    n = len(expected) or 1
    return RankingScores(len(expected), r1 / n, r5 / n, reciprocal / n)
