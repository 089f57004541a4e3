"""``triage-desk eval``: classification and retrieval quality per dataset, language and embedder.

Classification methods (``--method``), all trained on the dataset's training rows:

- ``hybrid`` (shipped): one logistic regression on word/char TF-IDF and one on the sentence
  vector, probabilities pooled (weighted geometric mean, weights and a label-prior correction
  fitted on held-out training rows);
- ``hybrid-temperature``: the same heads pooled with equal weights and one fitted temperature (the
  previous pooling);
- ``hybrid-stems``: the same plus word 1-2-grams of light-stemmed (Polish endings cut) words;
- ``concat``: the previous head, one regression over [TF-IDF word+char, 3 x vector], C = 100;
- ``tfidf``: the n-gram regression alone; ``embedding-lr``: the vector regression alone;
- ``knn``: 10 nearest training rows by cosine, similarity-weighted vote.

``own`` is the project's example bank (``data/labeled_tickets.jsonl``) scored by stratified
k-fold (``--folds``, 0 = leave-one-out) through the shipped :class:`EmbeddingClassifier`, so the
taxonomy descriptions train every fold as they do in the worker.

Vectors of the public sets are cached under ``{state_dir}/eval-cache`` by model id and text
(``--no-cache`` to skip): re-running with another method does not re-embed 16k utterances.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from tools.classification.features import HeadConfig, HybridHead
from tools.embeddings import Embedder, embed_queries
from tools.evaluation.datasets import ClassificationSplit, RetrievalDataset, load_classification, load_retrieval
from tools.evaluation.metrics import ConfidenceSplit, RankingScores, accuracy, confidence_split, macro_f1, ranking_scores

METHODS = ("hybrid", "hybrid-temperature", "hybrid-stems", "concat", "tfidf", "embedding-lr", "knn")
EMBED_BATCH = 256


@dataclass
class ClassificationScore:
    """One line of the classification report."""

    dataset: str
    lang: str
    label: str
    examples: int
    accuracy: float
    macro_f1: float
    confidence: ConfidenceSplit | None = None


@dataclass
class EvalReport:
    """What an eval run measured (printed by the CLI, asserted by tests)."""

    dataset: str
    embedder: str
    method: str
    classification: list[ClassificationScore] = field(default_factory=list)
    retrieval: dict[str, RankingScores] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


class VectorCache:
    """Query vectors by (model id, text), kept in one .npy per model and batch of texts."""

    def __init__(self, directory: Path | None, progress: bool = True) -> None:
        self._directory = directory
        self._progress = progress

    def vectors(self, embedder: Embedder, texts: Sequence[str], desc: str = "embedding") -> np.ndarray:
        key = hashlib.sha256("\x1e".join([embedder.model_id, *texts]).encode("utf-8")).hexdigest()[:24]
        path = self._directory / f"{embedder.model_id.replace('/', '_').replace(':', '_')}-{key}.npy" if self._directory else None
        if path is not None and path.is_file():
            return np.load(path)
        from tqdm import tqdm

        parts = []
        for start in tqdm(range(0, len(texts), EMBED_BATCH), desc=desc, unit="batch", disable=not self._progress or len(texts) <= EMBED_BATCH):
            parts.append(embed_queries(embedder, list(texts[start : start + EMBED_BATCH])))
        vectors = np.vstack(parts) if parts else np.zeros((0, embedder.dimension), dtype=np.float32)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, vectors.astype(np.float32))
        return vectors


def _knn(train_vectors: np.ndarray, train_labels: Sequence[str], test_vectors: np.ndarray, k: int = 10) -> tuple[list[str], list[float]]:
    predictions, confidences = [], []
    similarities = test_vectors @ train_vectors.T
    for row in similarities:
        top = np.argsort(-row)[:k]
        votes: Counter[str] = Counter()
        for index in top:
            votes[train_labels[index]] += max(float(row[index]), 0.0)
        label, weight = votes.most_common(1)[0]
        predictions.append(label)
        confidences.append(weight / (sum(votes.values()) or 1.0))
    return predictions, confidences


def head_config(method: str) -> HeadConfig:
    """The head a ``--method`` name means (``knn`` has none)."""
    if method == "hybrid":
        return HeadConfig()
    if method == "hybrid-temperature":
        return HeadConfig(prior_correction=False)
    if method == "hybrid-stems":
        return HeadConfig(stems=True)
    if method == "concat":
        return HeadConfig(combine="concat", regularisation_c=100.0, stems=False, calibrate=False)
    if method == "tfidf":
        return HeadConfig(embedding_weight=0.0)
    if method == "embedding-lr":
        return HeadConfig(lexical=False)
    raise ValueError(f"no head for method {method!r}")


def _classify_split(split: ClassificationSplit, embedder: Embedder | None, method: str, cache: VectorCache) -> tuple[list[str], list[float]]:
    needs_vectors = method != "tfidf"
    train_vectors = test_vectors = None
    if needs_vectors:
        assert embedder is not None
        train_vectors = cache.vectors(embedder, split.train_texts, f"embedding train ({split.lang})")
        test_vectors = cache.vectors(embedder, split.test_texts, f"embedding test ({split.lang})")
    if method == "knn":
        assert train_vectors is not None and test_vectors is not None
        return _knn(train_vectors, split.train_labels, test_vectors)
    head = HybridHead(head_config(method)).fit(split.train_texts, train_vectors, split.train_labels)
    probabilities = head.predict_proba(split.test_texts, test_vectors)
    classes = head.classes
    return [classes[i] for i in probabilities.argmax(axis=1)], probabilities.max(axis=1).tolist()


def evaluate_classification(
    dataset: str,
    embedder: Embedder | None,
    datasets_root: Path,
    limit: int | None = None,
    method: str = "hybrid",
    cache_dir: Path | None = None,
    folds: int = 10,
    progress: bool = True,
    threshold: float = 0.7,
) -> EvalReport:
    """Train on the dataset's training rows, score its test rows, per language."""
    started = time.perf_counter()
    report = EvalReport(dataset, embedder.model_id if embedder else "none", method)
    cache = VectorCache(cache_dir, progress)
    if dataset == "own":
        report.classification = _own_cross_validation(embedder, method, folds, limit, cache, progress, threshold)
        report.notes.append("leave-one-out" if folds == 0 else f"stratified {folds}-fold cross-validation")
    else:
        data = load_classification(dataset, datasets_root, limit)
        report.notes.append(data.note)
        for split in data.splits:
            predicted, confidences = _classify_split(split, embedder, method, cache)
            report.classification.append(
                ClassificationScore(
                    dataset, split.lang, "intent", len(split.test_labels), accuracy(split.test_labels, predicted),
                    macro_f1(split.test_labels, predicted), confidence_split(split.test_labels, predicted, confidences, threshold),
                )
            )
    report.seconds = time.perf_counter() - started
    return report


def _folds(labels: Sequence[str], folds: int) -> list[np.ndarray]:
    """Test indices of each fold: stratified by label (round-robin per label, seeded), or one per row."""
    count = len(labels)
    if folds == 0 or folds >= count:
        return [np.array([i]) for i in range(count)]
    rng = np.random.RandomState(42)
    assignment = np.zeros(count, dtype=int)
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    offset = 0
    for label in sorted(by_label):
        members = rng.permutation(by_label[label])
        for position, index in enumerate(members):
            assignment[index] = (offset + position) % folds
        offset += len(members)
    return [np.flatnonzero(assignment == fold) for fold in range(folds)]


def _own_cross_validation(
    embedder: Embedder | None, method: str, folds: int, limit: int | None, cache: VectorCache, progress: bool, threshold: float
) -> list[ClassificationScore]:
    from tqdm import tqdm

    from core.settings import get_settings
    from tools.classification import EmbeddingClassifier, NearestExampleClassifier, detect_language, load_examples
    from tools.taxonomy import load_taxonomy

    settings = get_settings()
    taxonomy = load_taxonomy(settings.taxonomy_path)
    examples = load_examples(settings.labeled_tickets_path, taxonomy)
    if limit:
        examples = examples[:limit]
    languages = [detect_language(e.text) for e in examples]
    vectors = cache.vectors(embedder, [e.text for e in examples], "embedding examples") if embedder else None
    predicted: dict[int, Any] = {}
    splits = _folds([f"{e.category}/{e.subcategory}" for e in examples], folds)
    for test_index in tqdm(splits, desc="folds", unit="fold", disable=not progress):
        train_index = np.setdiff1d(np.arange(len(examples)), test_index)
        train = [examples[i] for i in train_index]
        if method == "knn":
            assert embedder is not None and vectors is not None
            knn = NearestExampleClassifier(embedder, taxonomy, train)
            outcomes = [knn.classify(examples[i].text, vector=vectors[i]) for i in test_index]
        else:
            config = head_config(method)
            classifier = EmbeddingClassifier(
                embedder, taxonomy, train, head=config,  # type: ignore[arg-type]
                example_vectors=vectors[train_index] if vectors is not None and config.embedding_weight > 0 else None,
            )
            outcomes = classifier.classify_batch([examples[i].text for i in test_index], vectors[test_index] if vectors is not None and config.embedding_weight > 0 else None)
        for i, outcome in zip(test_index, outcomes):
            predicted[int(i)] = outcome
    return own_scores(examples, languages, predicted, threshold)


OWN_LABELS: tuple[tuple[str, Callable[[Any], str], Callable[[Any], str]], ...] = (
    ("category", lambda e: e.category, lambda o: o.category),
    ("subcategory", lambda e: f"{e.category}/{e.subcategory}", lambda o: f"{o.category}/{o.subcategory}"),
    ("intent", lambda e: e.intent, lambda o: o.intent),
)
"""Each scored label of the own bank: name, gold label of an example, predicted label of an outcome."""


def own_scores(examples: list[Any], languages: list[str], predicted: dict[int, Any], threshold: float) -> list[ClassificationScore]:
    """Accuracy and macro-F1 per language (all, pl, en) and label of the own bank's predictions;
    the category's confidence split at the routing ``threshold``."""
    scores = []
    for lang in ("all", "pl", "en"):
        rows = [i for i in range(len(examples)) if lang == "all" or languages[i] == lang]
        if not rows:
            continue
        for label, gold_of, predicted_of in OWN_LABELS:
            gold = [gold_of(examples[i]) for i in rows]
            guess = [predicted_of(predicted[i]) for i in rows]
            confidence = [predicted[i].confidence if label != "intent" else predicted[i].intent_confidence for i in rows]
            scores.append(
                ClassificationScore(
                    "own", lang, label, len(rows), accuracy(gold, guess), macro_f1(gold, guess),
                    confidence_split(gold, guess, confidence, threshold) if label == "category" else None,
                )
            )
    return scores


def evaluate_retrieval(
    dataset: str, embedder: Embedder, datasets_root: Path, limit: int | None = None, progress: bool = True
) -> EvalReport:
    """Dense search through the real store (chunking, Chroma cosine) with an in-memory client.

    Documents are ranked by their best chunk, as the retrieve node cites one chunk per document.
    """
    import uuid

    from tqdm import tqdm

    from tools.retrieval.store import ChromaKnowledgeStore, open_chroma_client

    started = time.perf_counter()
    data: RetrievalDataset = load_retrieval(dataset, datasets_root, limit)
    report = EvalReport(dataset, embedder.model_id, "dense")
    client = open_chroma_client("embedded", None)
    stores = {}
    for corpus, documents in data.corpora.items():
        store = ChromaKnowledgeStore(client, embedder, f"eval-{corpus}-{uuid.uuid4().hex[:8]}")
        with tqdm(total=len(documents), desc=f"indexing {corpus}", unit="doc", disable=not progress) as bar:
            store.ingest(documents, tenant_id="eval", progress=bar.update)
        stores[corpus] = store
    rankings: list[list[str]] = []
    for query in tqdm(data.queries, desc="queries", unit="query", disable=not progress):
        ranking: list[str] = []
        for hit in stores[query.corpus].search(query.text, limit=30, filters={"tenant_id": "eval"}):
            if hit.doc_id not in ranking:
                ranking.append(hit.doc_id)
        rankings.append(ranking)
    for lang in ("all", "pl", "en"):
        rows = [i for i, q in enumerate(data.queries) if lang == "all" or q.lang == lang]
        if rows and (lang == "all" or len({q.lang for q in data.queries}) > 1):
            report.retrieval[lang] = ranking_scores([rankings[i] for i in rows], [data.queries[i].expected for i in rows])
    for store in stores.values():
        client.delete_collection(store.name)
    report.seconds = time.perf_counter() - started
    return report


def format_report(report: EvalReport) -> str:
    """The table the CLI prints."""
    lines = [f"{report.dataset} — embedder {report.embedder}, method {report.method}" + (f" ({'; '.join(report.notes)})" if report.notes else "")]
    if report.classification:
        lines.append(f"{'lang':<5}{'label':<12}{'n':>6}{'accuracy':>10}{'macro-F1':>10}   confidence >= t: n / accuracy | below: n / accuracy")
        for score in report.classification:
            split = score.confidence
            tail = (
                f"   t={split.threshold:.2f}: {split.above} / {split.above_accuracy:.3f} | {split.below} / {split.below_accuracy:.3f}"
                if split else ""
            )
            lines.append(f"{score.lang:<5}{score.label:<12}{score.examples:>6}{score.accuracy:>10.3f}{score.macro_f1:>10.3f}{tail}")
    if report.retrieval:
        lines.append(f"{'lang':<5}{'queries':>8}{'R@1':>8}{'R@5':>8}{'MRR':>8}")
        for lang, scores in report.retrieval.items():
            lines.append(f"{lang:<5}{scores.queries:>8}{scores.recall_at_1:>8.3f}{scores.recall_at_5:>8.3f}{scores.mrr:>8.3f}")
    lines.append(f"({report.seconds:.1f} s)")
    return "\n".join(lines)


