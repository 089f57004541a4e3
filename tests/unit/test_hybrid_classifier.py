"""The start-up-trained classifier: labels from the taxonomy, probabilities, vector reuse, fast training."""

from __future__ import annotations

import time

import numpy as np
from scipy import sparse

from tools.classification import EmbeddingClassifier, HeadConfig, HybridHead, fold_diacritics, load_examples
from tools.classification import features as head_features
from tools.taxonomy import load_taxonomy


class CountingEmbedder:
    """Wraps the test embedder and counts the texts it embeds."""

    def __init__(self) -> None:
        from tests.unit.conftest import HashingEmbedder

        self._inner = HashingEmbedder()
        self.dimension = self._inner.dimension
        self.model_id = self._inner.model_id
        self.embedded = 0

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.embedded += len(texts)
        return self._inner.embed(texts)


def _classifier(settings, embedder=None):  # type: ignore[no-untyped-def]
    taxonomy = load_taxonomy(settings.taxonomy_path)
    return EmbeddingClassifier(embedder or CountingEmbedder(), taxonomy, load_examples(settings.labeled_tickets_path, taxonomy)), taxonomy


def test_outcome_is_a_consistent_probability(settings) -> None:  # type: ignore[no-untyped-def]
    classifier, taxonomy = _classifier(settings)
    outcome = classifier.classify("Zostałem obciążony dwukrotnie za to samo zamówienie, proszę o zwrot")
    assert outcome.subcategory in taxonomy.category(outcome.category).subcategories
    assert 0.0 <= outcome.confidence <= 1.0 and 0.0 <= outcome.intent_confidence <= 1.0
    assert abs(sum(outcome.category_scores.values()) - 1.0) < 1e-3
    assert outcome.confidence == max(outcome.category_scores.values()) or abs(outcome.confidence - max(outcome.category_scores.values())) < 1e-5
    assert len(outcome.intent_alternatives) == 2 and outcome.intent not in {name for name, _ in outcome.intent_alternatives}


def test_a_given_vector_is_used_instead_of_embedding_again(settings) -> None:  # type: ignore[no-untyped-def]
    embedder = CountingEmbedder()
    classifier, _ = _classifier(settings, embedder)
    text = "I cannot log in to the VPN since this morning"
    vector = embedder.embed([text])[0]
    before = embedder.embedded
    with_vector = classifier.classify(text, vector=vector)
    assert embedder.embedded == before
    assert classifier.classify(text) == with_vector
    assert embedder.embedded == before + 1


def test_training_at_start_up_is_fast(settings) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    _classifier(settings)
    assert time.perf_counter() - started < 10  # ~1 s on 2 busy cores for ~700 examples; generous for CI


def test_row_space_fit_is_the_same_model_as_the_direct_one() -> None:
    rng = np.random.RandomState(0)
    texts = [f"ticket {i} about {'vpn login' if i % 3 == 0 else 'refund money' if i % 3 == 1 else 'printer paper'}" for i in range(60)]
    labels = [str(i % 3) for i in range(60)]
    vectors = rng.rand(60, 16).astype(np.float32)
    for combine in ("pool", "concat"):
        config = HeadConfig(regularisation_c=1.0, vector_c=1.0, max_iter=2000, combine=combine)  # both converge: same optimum
        compact = HybridHead(config).fit(texts[:45], vectors[:45], labels[:45])
        lexical_model = compact._models[0][0] if combine == "concat" else next(m for m, name, _ in compact._models if name == "ngrams")
        assert lexical_model.basis is not None
        limit = head_features.ROW_SPACE_LIMIT
        head_features.ROW_SPACE_LIMIT = 0
        try:
            direct = HybridHead(config).fit(texts[:45], vectors[:45], labels[:45])
        finally:
            head_features.ROW_SPACE_LIMIT = limit
        assert all(model.basis is None for model, _, _ in direct._models)
        assert any(isinstance(model.fit_matrix, sparse.csr_matrix) for model, _, _ in direct._models)
        ours, reference = compact.predict_proba(texts[45:], vectors[45:]), direct.predict_proba(texts[45:], vectors[45:])
        assert np.allclose(ours, reference, atol=1e-2)  # the same optimum, up to the solver's tolerance
        assert (ours.argmax(axis=1) == reference.argmax(axis=1)).all()


def test_pooled_heads_are_a_weighted_product() -> None:
    texts = ["zwrot pieniędzy", "refund please", "vpn nie działa", "vpn is down", "drukarka nie drukuje", "printer jam"]
    labels = ["r", "r", "v", "v", "p", "p"]
    vectors = np.eye(6, dtype=np.float32)
    pooled = HybridHead(HeadConfig(lexical_weight=0.7, vector_weight=0.3)).fit(texts, vectors, labels)
    lexical = HybridHead(HeadConfig(embedding_weight=0.0)).fit(texts, None, labels)
    dense = HybridHead(HeadConfig(lexical=False)).fit(texts, vectors, labels)
    query, vector = ["zwroty pieniedzy za vpn"], vectors[2:3]
    expected = lexical.predict_proba(query, None) ** 0.7 * dense.predict_proba(query, vector) ** 0.3
    assert np.allclose(pooled.predict_proba(query, vector), expected / expected.sum(), atol=1e-6)


def test_light_stem_strips_polish_endings() -> None:
    assert {head_features.light_stem(w) for w in ("faktura", "faktury", "fakture", "fakturami", "fakturach")} == {"faktur"}
    assert head_features.light_stem("vpn") == "vpn"  # too short to strip


def test_heads_without_vectors_or_without_ngrams() -> None:
    texts, labels = ["zwrot pieniędzy", "refund please", "vpn nie działa", "vpn is down"], ["r", "r", "v", "v"]
    lexical = HybridHead(HeadConfig(embedding_weight=0.0)).fit(texts, None, labels)
    assert lexical.predict(["zwrot pieniedzy prosze"], None) == ["r"]
    vectors = np.eye(4, dtype=np.float32)
    dense = HybridHead(HeadConfig(lexical=False)).fit(texts, vectors, labels)
    assert dense.predict(["?"], vectors[2:3]) == ["v"]


def test_folding_is_for_matching_only() -> None:
    assert fold_diacritics("Zażółć GĘŚLĄ jaźń, łódź") == "zazolc gesla jazn, lodz"


def _topic_rows(rng: np.random.RandomState, per_label: dict[str, int] | None = None) -> tuple[list[str], list[str]]:
    topics = {"vpn": "vpn tunnel login", "refund": "refund money invoice", "printer": "printer paper toner", "mail": "mailbox outlook quota"}
    texts, labels = [], []
    for label, words in topics.items():
        for i in range((per_label or {}).get(label, 30)):
            noise = " ".join(rng.choice(["please", "urgent", "since", "monday", "again", "help", "office", "team"], 3))
            texts.append(f"{rng.choice(words.split())} {noise} {rng.choice(list(topics.values())).split()[0]}")
            labels.append(label)
    return texts, labels


def test_temperature_and_prior_correction_are_fitted_on_held_out_rows() -> None:
    """The shipped pooling: p ~ (p_ngrams * p_vector)^t / prior^alpha, (t, alpha) by held-out log-loss."""
    rng = np.random.RandomState(2)
    texts, labels = _topic_rows(rng, {"vpn": 90, "refund": 30, "printer": 20, "mail": 20})
    vectors = rng.rand(len(texts), 8).astype(np.float32)
    head = HybridHead(HeadConfig()).fit(texts, vectors, labels)
    assert 0.0 < head.prior_weight <= 1.0 and head.temperature != 1.0  # the product counted vpn's prior twice
    query, vector = ["printer toner again"], vectors[:1]
    pooled = sum(log_proba for _, log_proba, _ in head._log_probas(query, vector))
    frequency = np.array([labels.count(label) for label in head.classes]) / len(labels)
    logits = head.temperature * pooled - head.prior_weight * np.log(frequency)
    expected = np.exp(logits - logits.max())
    assert np.allclose(head.predict_proba(query, vector), expected / expected.sum(), atol=1e-9)
    uncorrected = HybridHead(HeadConfig(prior_correction=False)).fit(texts, vectors, labels)
    assert uncorrected.prior_weight == 0.0
    held_out_texts, held_out_labels = _topic_rows(np.random.RandomState(3))  # balanced: the prior should not win
    held_out_vectors = np.random.RandomState(4).rand(len(held_out_texts), 8).astype(np.float32)
    def vpn_share(model: HybridHead) -> float:
        return float(np.mean(np.array(model.predict(held_out_texts, held_out_vectors)) == "vpn"))
    assert vpn_share(head) <= vpn_share(uncorrected)
    assert np.mean(np.array(head.predict(held_out_texts, held_out_vectors)) == np.array(held_out_labels)) > 0.8


def test_temperature_is_fitted_on_held_out_rows_and_keeps_the_ranking() -> None:
    rng = np.random.RandomState(1)
    topics = {"vpn": "vpn tunnel login", "refund": "refund money invoice", "printer": "printer paper toner", "mail": "mailbox outlook quota"}
    texts, labels = [], []
    for label, words in topics.items():
        for i in range(30):
            noise = " ".join(rng.choice(["please", "urgent", "since", "monday", "again", "help", "office", "team"], 3))
            texts.append(f"{rng.choice(words.split())} {noise} {rng.choice(list(topics.values())).split()[0]}")
            labels.append(label)
    vectors = rng.rand(len(texts), 8).astype(np.float32)
    calibrated = HybridHead(HeadConfig(prior_correction=False)).fit(texts, vectors, labels)
    plain = HybridHead(HeadConfig(calibrate=False)).fit(texts, vectors, labels)
    assert plain.temperature == 1.0 and calibrated.temperature != 1.0
    ours, reference = calibrated.predict_proba(texts[:20], vectors[:20]), plain.predict_proba(texts[:20], vectors[:20])
    assert (ours.argmax(axis=1) == reference.argmax(axis=1)).all()  # one scale changes confidence, never the answer
    assert np.allclose(ours.sum(axis=1), 1.0)
