"""``triage-desk eval classification --dataset own --provider openai``: the classify node's model path
measured on the same folds as the offline default.

Each fold trains the shipped classifier on the other folds; for every held-out ticket the model gets
exactly what the worker's classify node gives it (the fold classifier's top pairs and the nearest
*training* examples, so a ticket never sees itself; the ticket redacted as before any prompt) and
its checked answer is scored, or the offline answer when it fell back. The report puts the offline
figures on the same rows beside it, with calls, fallback reasons, tokens and cost.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Callable

import numpy as np

from tools.evaluation.runner import EvalReport, VectorCache, _folds, own_scores


def build_guard(settings: Any, extractor: Any = None) -> Callable[[str], str]:
    """The text a prompt may carry, as in the worker: entities found by the worker's extractor
    (Presidio + our recognizers), then the guard's pattern net. ``extractor``: reuse a loaded one."""
    from tools.llm import guard_text
    from tools.pii import Redactor
    from tools.queries import build_entity_extractor

    extractor = extractor or build_entity_extractor(settings)
    redactor = Redactor(extractor)

    def guard(text: str) -> str:
        entities = [
            {"type": e.type, "value": e.value, "confidence": e.confidence, "position": e.start, "end": e.end, "valid": e.valid}
            for e in extractor.extract(text)
        ]
        return guard_text(text, redactor=redactor, entities=entities).text

    return guard


def evaluate_llm_classification(
    provider: Any,
    embedder: Any,
    *,
    limit: int | None = None,
    folds: int = 10,
    cache: VectorCache | None = None,
    progress: bool = True,
    threshold: float = 0.7,
    guard_factory: Callable[[Any], Callable[[str], str]] | None = None,
) -> EvalReport:
    """k-fold over ``data/labeled_tickets.jsonl`` through :func:`tools.llm.classify.llm_classify`."""
    from tqdm import tqdm

    from core.settings import get_settings
    from tools.classification import EmbeddingClassifier, detect_language, load_examples
    from tools.llm import ProviderError, call_cost, load_prompt
    from tools.llm.classify import allowed_intents, build_candidates, llm_classify, merge_outcome
    from tools.taxonomy import load_taxonomy

    started = time.perf_counter()
    settings = get_settings()
    taxonomy = load_taxonomy(settings.taxonomy_path)
    examples = load_examples(settings.labeled_tickets_path, taxonomy)
    if limit:
        examples = examples[:limit]
    cache = cache or VectorCache(None, progress)
    vectors = cache.vectors(embedder, [e.text for e in examples], "embedding examples")
    guard = (guard_factory or build_guard)(settings) if settings.redact_before_llm else (lambda text: text)
    prompt = load_prompt("classify_ticket")
    offline: dict[int, Any] = {}
    chosen: dict[int, Any] = {}
    reasons: Counter[str] = Counter()
    tokens = [0, 0]
    for test_index in tqdm(_folds([f"{e.category}/{e.subcategory}" for e in examples], folds), desc="folds", unit="fold", disable=not progress):
        train_index = np.setdiff1d(np.arange(len(examples)), test_index)
        classifier = EmbeddingClassifier(embedder, taxonomy, [examples[i] for i in train_index], example_vectors=vectors[train_index])
        intents = allowed_intents(taxonomy, classifier)
        for i in test_index:
            text, vector = examples[i].text, vectors[i]
            offline[int(i)] = outcome = classifier.classify(text, vector=vector)
            try:
                candidates = build_candidates(classifier, text, vector, pairs=settings.llm_classify_candidates, examples=settings.llm_classify_examples)
                answer, result = llm_classify(provider, prompt, ticket=guard(text), candidates=candidates, intents=intents, taxonomy=taxonomy)
                chosen[int(i)] = merge_outcome(outcome, answer)
                tokens[0] += result.input_tokens
                tokens[1] += result.output_tokens
                reasons["ok"] += 1
            except ProviderError as error:
                chosen[int(i)] = outcome
                reasons[error.code] += 1
    report = EvalReport("own", getattr(embedder, "model_id", "none"), f"llm ({provider.model})")
    languages = [detect_language(e.text) for e in examples]
    report.classification.extend(own_scores(examples, languages, chosen, threshold))
    offline_figures = [
        f"{score.label} {score.accuracy:.3f}" for score in own_scores(examples, languages, offline, threshold) if score.lang == "all"
    ]
    cost = call_cost(provider.model, tokens[0], tokens[1], settings.llm_prices)
    report.notes.append("leave-one-out" if folds == 0 else f"stratified {folds}-fold cross-validation")
    report.notes.append("offline classifier on the same rows: accuracy " + ", ".join(offline_figures))
    report.notes.append(
        f"model calls {sum(reasons.values())}: " + ", ".join(f"{reason} {count}" for reason, count in sorted(reasons.items()))
        + f"; tokens in {tokens[0]} / out {tokens[1]}; cost {cost:.6f} USD"
    )
    report.seconds = time.perf_counter() - started
    return report
