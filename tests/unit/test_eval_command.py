"""`triage-desk eval` on tiny made-up datasets laid out like ../shared/datasets (seconds, no model)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cli import main
from tools.evaluation import evaluate_classification, evaluate_retrieval
from tools.evaluation.metrics import confidence_split, macro_f1, ranking_scores

INTENTS = {
    "alarm_set": (["wake me up at {n}", "set an alarm for {n}"], ["obudź mnie o {n}", "ustaw budzik na {n}"]),
    "weather_query": (["is it raining in city {n}", "weather forecast for day {n}"], ["czy pada w mieście {n}", "prognoza pogody na dzień {n}"]),
}


def _massive(root: Path) -> Path:
    folder = root / "massive_pl_en"
    folder.mkdir(parents=True)
    for name, numbers in (("train.csv", range(6)), ("test.csv", range(6, 9))):
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "lang", "text", "label", "scenario"])
            for label, (english, polish) in INTENTS.items():
                for n in numbers:
                    for lang, templates in (("en", english), ("pl", polish)):
                        writer.writerow([f"m-{label}-{n}", lang, templates[n % 2].format(n=n), label, label.split("_")[0]])
    return root


def _stackfaq(root: Path) -> Path:
    folder = root / "stackfaq_retrieval"
    folder.mkdir(parents=True)
    articles = [{"faq_id": "F1", "question": "How do I reset my gmail password", "answers": ["Use account recovery."]},
                {"faq_id": "F2", "question": "How do I delete a trello board", "answers": ["Close the board, then delete it."]}]
    (folder / "faq_articles.jsonl").write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
    queries = [{"query_id": "q1", "query": "forgot gmail password reset", "faq_id": "F1"},
               {"query_id": "q2", "query": "remove a trello board", "faq_id": "F2"}]
    (folder / "queries_test.jsonl").write_text("\n".join(json.dumps(q) for q in queries), encoding="utf-8")
    return root


def test_classification_per_language(tmp_path: Path) -> None:
    from tests.unit.conftest import HashingEmbedder

    report = evaluate_classification("massive_pl_en", HashingEmbedder(), _massive(tmp_path), progress=False)
    assert [score.lang for score in report.classification] == ["pl", "en"]
    for score in report.classification:
        assert score.examples == 6 and score.accuracy >= 0.5 and score.confidence is not None


def test_cli_runs_and_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _massive(tmp_path)
    assert main(["eval", "classification", "--dataset", "massive_pl_en", "--method", "tfidf", "--datasets-dir", str(root), "--quiet", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "massive_pl_en" in out and "accuracy" in out and "pl   intent" in out
    assert main(["eval", "classification", "--dataset", "banking77", "--datasets-dir", str(root), "--quiet", "--method", "tfidf"]) == 2


def test_own_bank_cross_validation(settings) -> None:  # type: ignore[no-untyped-def]
    from tests.unit.conftest import HashingEmbedder

    report = evaluate_classification("own", HashingEmbedder(), Path("."), limit=60, folds=3, progress=False)
    labels = {(score.lang, score.label) for score in report.classification}
    assert ("all", "category") in labels and ("all", "intent") in labels


def test_retrieval_scores(tmp_path: Path) -> None:
    from tests.unit.conftest import HashingEmbedder

    report = evaluate_retrieval("stackfaq", HashingEmbedder(), _stackfaq(tmp_path), progress=False)
    assert report.retrieval["all"].queries == 2 and report.retrieval["all"].recall_at_5 == 1.0


def test_metrics() -> None:
    assert macro_f1(["a", "a", "b"], ["a", "b", "b"]) == pytest.approx((2 / 3 + 2 / 3) / 2)
    split = confidence_split(["a", "b"], ["a", "a"], [0.9, 0.2])
    assert (split.above, split.above_accuracy, split.below, split.below_accuracy) == (1, 1.0, 1, 0.0)
    scores = ranking_scores([["x", "y"], ["y", "x"], []], ["x", "x", "x"])
    assert (scores.recall_at_1, scores.mrr) == (pytest.approx(1 / 3), pytest.approx(0.5))
