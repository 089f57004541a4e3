"""Evaluation datasets: the project's own files and the public sets in ``../shared/datasets``.

Rows are read where they lie; nothing is copied into the project. The public folder is found
beside the project root (``../shared/datasets``) unless ``--datasets-dir`` or
``TRIAGE_DATASETS_DIR`` says otherwise.
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from core.settings import PROJECT_ROOT
from core.errors import ConfigurationError
from tools.retrieval.documents import SourceDocument

CLASSIFICATION_DATASETS = ("own", "massive_pl_en", "banking77", "banking77-10shot", "bitext")
RETRIEVAL_DATASETS = ("own", "stackfaq")


def datasets_dir(override: str | Path | None = None) -> Path:
    """Where the public datasets are: the flag, ``TRIAGE_DATASETS_DIR``, else ``../shared/datasets``."""
    chosen = override or os.environ.get("TRIAGE_DATASETS_DIR") or PROJECT_ROOT.parent / "shared" / "datasets"
    return Path(chosen).expanduser().resolve()


@dataclass
class ClassificationSplit:
    """Train and test rows of one language (``lang`` is ``all`` for single-language sets)."""

    lang: str
    train_texts: list[str]
    train_labels: list[str]
    test_texts: list[str]
    test_labels: list[str]


@dataclass
class ClassificationDataset:
    name: str
    splits: list[ClassificationSplit]
    note: str = ""


@dataclass
class RetrievalQuery:
    text: str
    expected: str
    corpus: str
    lang: str


@dataclass
class RetrievalDataset:
    """Corpora of documents and queries naming the one relevant document."""

    name: str
    corpora: dict[str, list[SourceDocument]]
    queries: list[RetrievalQuery]


def _need(path: Path) -> Path:
    if not path.is_file():
        raise ConfigurationError(
            f"dataset file {path} not found (public sets live in ../shared/datasets; see --datasets-dir / TRIAGE_DATASETS_DIR)",
            code="dataset_missing",
        )
    return path


def _csv(path: Path) -> list[dict[str, str]]:
    with _need(path).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in _need(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _limit(texts: list[str], labels: list[str], limit: int | None, seed: int = 42) -> tuple[list[str], list[str]]:
    """A seeded random subset of the test rows (the files are sorted by label; a prefix would be one class)."""
    if limit is None or limit >= len(texts):
        return texts, labels
    order = random.Random(seed).sample(range(len(texts)), limit)
    return [texts[i] for i in order], [labels[i] for i in order]


def massive_pl_en(root: Path, limit: int | None) -> ClassificationDataset:
    """MASSIVE 1.1 pl-PL and en-US: train.csv -> test.csv, each language on its own, 60 intents."""
    folder = root / "massive_pl_en"
    train, test = _csv(folder / "train.csv"), _csv(folder / "test.csv")
    splits = []
    for lang in ("pl", "en"):
        test_texts, test_labels = _limit([r["text"] for r in test if r["lang"] == lang], [r["label"] for r in test if r["lang"] == lang], limit)
        splits.append(
            ClassificationSplit(
                lang,
                [r["text"] for r in train if r["lang"] == lang],
                [r["label"] for r in train if r["lang"] == lang],
                test_texts,
                test_labels,
            )
        )
    return ClassificationDataset("massive_pl_en", splits, "intent, train.csv -> test.csv per language")


def banking77(root: Path, limit: int | None, shots: int | None = None) -> ClassificationDataset:
    """BANKING77 official split; ``shots`` keeps that many seeded training rows per intent (10-shot)."""
    folder = root / "banking77"
    train, test = _csv(folder / "train.csv"), _csv(folder / "test.csv")
    if shots:
        by_label: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in train:
            by_label[row["category"]].append(row)
        rng = random.Random(42)
        train = [row for label in sorted(by_label) for row in rng.sample(by_label[label], min(shots, len(by_label[label])))]
    test_texts, test_labels = _limit([r["text"] for r in test], [r["category"] for r in test], limit)
    split = ClassificationSplit("en", [r["text"] for r in train], [r["category"] for r in train], test_texts, test_labels)
    name = f"banking77-{shots}shot" if shots else "banking77"
    note = f"{shots} training rows per intent (seed 42)" if shots else "full train.csv -> test.csv"
    return ClassificationDataset(name, [split], note)


def bitext(root: Path, limit: int | None) -> ClassificationDataset:
    """Bitext customer-service intents (27), official train -> test."""
    folder = root / "bitext_customer_service"
    train, test = _csv(folder / "intents_train.csv"), _csv(folder / "intents_test.csv")
    test_texts, test_labels = _limit([r["utterance"] for r in test], [r["intent"] for r in test], limit)
    split = ClassificationSplit("en", [r["utterance"] for r in train], [r["intent"] for r in train], test_texts, test_labels)
    return ClassificationDataset("bitext", [split], "intent, intents_train.csv -> intents_test.csv")


def load_classification(name: str, root: Path, limit: int | None = None) -> ClassificationDataset:
    """A public classification set by name (``own`` is evaluated by cross-validation elsewhere)."""
    if name == "massive_pl_en":
        return massive_pl_en(root, limit)
    if name == "banking77":
        return banking77(root, limit)
    if name == "banking77-10shot":
        return banking77(root, limit, shots=10)
    if name == "bitext":
        return bitext(root, limit)
    raise ConfigurationError(f"unknown classification dataset {name!r}; choose one of {', '.join(CLASSIFICATION_DATASETS)}", code="dataset_missing")


def stackfaq(root: Path, limit: int | None) -> RetrievalDataset:
    """StackFAQ: 125 articles (question + answers), the 250 test paraphrases."""
    folder = root / "stackfaq_retrieval"
    articles = _jsonl(folder / "faq_articles.jsonl")
    corpus = [
        SourceDocument(str(a["faq_id"]), str(a["question"]), "", "\n\n".join(f"## Answer {i + 1}\n{text}" for i, text in enumerate(a["answers"])))  # type: ignore[arg-type]
        for a in articles
    ]
    rows = _jsonl(folder / "queries_test.jsonl")[: limit or None]
    queries = [RetrievalQuery(str(r["query"]), str(r["faq_id"]), "faq", "en") for r in rows]
    return RetrievalDataset("stackfaq", {"faq": corpus}, queries)


def own_retrieval(limit: int | None) -> RetrievalDataset:
    """data/kb + data/runbooks against bench/data/retrieval_queries.jsonl (``kind: polish`` rows are pl)."""
    from tools.retrieval import load_documents

    corpora = {}
    for corpus, folder in (("knowledge_base", "kb"), ("runbooks", "runbooks")):
        documents = load_documents(PROJECT_ROOT / "data" / folder)
        corpora[corpus] = [d for d in documents if str(d.metadata.get("status", "published")) == "published"]
    rows = _jsonl(PROJECT_ROOT / "bench" / "data" / "retrieval_queries.jsonl")[: limit or None]
    queries = [RetrievalQuery(str(r["query"]), str(r["expected"]), str(r["collection"]), "pl" if r.get("kind") == "polish" else "en") for r in rows]
    return RetrievalDataset("own", corpora, queries)


def load_retrieval(name: str, root: Path, limit: int | None = None) -> RetrievalDataset:
    if name == "stackfaq":
        return stackfaq(root, limit)
    if name == "own":
        return own_retrieval(limit)
    raise ConfigurationError(f"unknown retrieval dataset {name!r}; choose one of {', '.join(RETRIEVAL_DATASETS)}", code="dataset_missing")
