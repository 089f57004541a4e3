"""A text classifier head over sentence embeddings plus character and word TF-IDF.

Why both: on MASSIVE pl/en (60 intents) a linear model on multilingual sentence vectors alone
reaches 0.77 in Polish, TF-IDF word+char n-grams alone 0.81 (dataset README); the two make
different mistakes (the embedding knows that "rachunek" and "faktura" are close, the n-grams
know that "fakturę" and "faktury" share a stem without a Polish stemmer), so combining them
beats either. Two regressions, one per feature set, pooled as a product of experts, beat one
regression over the concatenation (MASSIVE pl 0.824 vs 0.795, own Polish tickets 0.834 vs
0.767): in one regression the dense vector and ~100k sparse columns share one penalty, and
whichever block the scaling favours crowds out the other. Measured figures are in
docs/classification.md.

Polish diacritics are folded for the n-grams ("zalogowac" matches "zalogować": people type
tickets without them) but the embedder sees the text as written.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy import sparse

# ł/Ł have no Unicode decomposition, so NFKD alone would keep them.
_FOLD_EXTRA = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ß": "ss"})


_controller: Any = None


def _one_blas_thread() -> Any:
    """A context that runs BLAS on one thread.

    Why: the head's matrices are small, and OpenBLAS threads spin-waiting on a busy 2-core box
    made a start-up fit ten times slower (1.06 s vs 0.10 s measured on the same fit).
    """
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()  # discovering the BLAS libraries once, not per call
    return _controller.limit(limits=1, user_api="blas")


def fold_diacritics(text: str) -> str:
    """Lower-case, strip accents (ą->a, ł->l, ż->z), keep everything else; for matching only."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


#: Up to this many training rows the head is fitted in the span of the rows (see ``_fit_row_space``).
ROW_SPACE_LIMIT = 3000


_WORD = re.compile(r"\w+")
# Polish inflectional endings (diacritics already folded: -ą/-ę/-ów read -a/-e/-ow), longest first.
_SUFFIXES = tuple(
    sorted(
        "owania owanie owaniu ami ach owi ow om iem em ego emu ej ymi imi ych ich ym im ie a e i y o u".split(),
        key=len,
        reverse=True,
    )
)


def light_stem(word: str) -> str:
    """Strip one inflectional ending, keeping at least 3 letters ("fakturami" -> "faktur", "drukarki" -> "drukark").

    Why so crude: it only feeds extra n-gram features next to the words as written, so an over-
    or under-stemmed word costs little. Off by default (``HeadConfig.stems``): measured, it adds
    nothing next to char_wb 2-5-grams, which already match a stem across its endings.
    """
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _stemmed(folded: str) -> str:
    return " ".join(light_stem(word) for word in _WORD.findall(folded))


@dataclass(frozen=True)
class HeadConfig:
    """What the head looks at and how hard it fits.

    ``combine="pool"`` (shipped): one logistic regression on the n-grams (C = ``regularisation_c``)
    and one on the sentence vector (C = ``vector_c``), pooled as a product of experts,
    ``p ~ p_ngrams^a * p_vector^b`` (a = ``lexical_weight``, b = ``vector_weight``, renormalised).
    a = b = 1 (measured: unequal weights did no better); how sharp the result should be is left
    to the temperature ``calibrate`` fits, since that depends on the bank's size.
    ``combine="concat"``: the previous head, one regression over [n-grams, vector x ``embedding_weight``].
    ``embedding_weight=0`` turns the vector off, ``lexical=False`` the n-grams (for the docs' comparisons);
    ``stems`` adds word 1-2-grams of light-stemmed words to the n-grams.
    ``calibrate`` fits a temperature on held-out training rows and, with ``prior_correction``
    (shipped), how much of the label prior the product counts twice (see :meth:`HybridHead._fit_pooling`).
    """

    embedding_weight: float = 3.0
    lexical: bool = True
    regularisation_c: float = 100.0
    vector_c: float = 10.0
    lexical_weight: float = 1.0
    vector_weight: float = 1.0
    calibrate: bool = True
    prior_correction: bool = True
    combine: str = "pool"
    stems: bool = False
    max_iter: int = 300

    @property
    def uses_vectors(self) -> bool:
        return self.embedding_weight > 0


def _minimise_log_loss(blocks: list[np.ndarray], gold: np.ndarray, start: np.ndarray, bounds: list[tuple[float, float]]) -> np.ndarray:
    """theta minimising the mean log-loss of softmax(sum_j theta_j * blocks_j) at the ``gold`` columns."""
    from scipy.optimize import minimize

    index = np.arange(len(gold))

    def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        logits = sum(t * block for t, block in zip(theta, blocks))
        logits = logits - logits.max(axis=1, keepdims=True)
        weights = np.exp(logits)
        total = weights.sum(axis=1, keepdims=True)
        probabilities = weights / total
        loss = float(np.mean(np.log(total[:, 0]) - logits[index, gold]))
        gradient = np.array([np.mean((probabilities * block).sum(axis=1) - block[index, gold]) for block in blocks])
        return loss, gradient

    return np.asarray(minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B", bounds=bounds).x)


class _LinearModel:
    """Multinomial logistic regression, fitted in the span of its rows when that is smaller."""

    def __init__(self, regularisation_c: float, max_iter: int) -> None:
        self.regularisation_c = regularisation_c
        self.max_iter = max_iter
        self.model: Any = None
        self.basis: np.ndarray | None = None
        self.train_t: Any = None
        self.fit_matrix: Any = None

    def fit(self, features: Any, labels: Sequence[str]) -> "_LinearModel":
        rows, columns = features.shape
        with _one_blas_thread():
            if rows <= ROW_SPACE_LIMIT and columns > rows:
                features = self._fit_row_space(features)
            self.fit_matrix = features
            self.model = self._regression(features, labels)
        return self

    def sibling(self, labels: Sequence[str], rows: Sequence[int]) -> "_LinearModel":
        """Another label set over some of the same rows: the basis is shared (their span lies inside it)."""
        other = _LinearModel(self.regularisation_c, self.max_iter)
        other.basis, other.train_t, other.fit_matrix = self.basis, self.train_t, self.fit_matrix
        with _one_blas_thread():
            other.model = self._regression(self.fit_matrix[list(rows)], labels)
        return other

    def _regression(self, features: Any, labels: Sequence[str]) -> Any:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=self.regularisation_c, max_iter=self.max_iter)
        with warnings.catch_warnings():
            # Fewer iterations than full convergence keep start-up fast; the ranking is settled long before.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(features, list(labels))
        return model

    def _fit_row_space(self, features: Any) -> np.ndarray:
        """Coordinates of the training rows in an orthonormal basis of their span.

        Why: a bank of a few hundred tickets has tens of thousands of n-gram columns, and L-BFGS
        over (columns x classes) weights took seconds at every worker start. An L2-regularised
        linear model's weights lie in the span of the training rows, and with X = U S V^T the map
        x -> x V keeps dot products and norms on that span, so the regression on the (rows x rank)
        coordinates Z = U S is the same model, in milliseconds. A new text maps to x X^T U S^-1.
        """
        gram = features @ features.T
        gram = gram.toarray() if sparse.issparse(gram) else np.asarray(gram)
        eigenvalues, eigenvectors = np.linalg.eigh(gram)
        keep = eigenvalues > eigenvalues.max() * 1e-9
        singular = np.sqrt(eigenvalues[keep])
        # X^T kept as CSR: ``x @ features.T`` would convert the transposed (CSC) matrix back to CSR on every
        # call, which was most of a classification's time (a 700 x 50k transpose per ticket).
        self.train_t = features.T.tocsr() if sparse.issparse(features) else np.ascontiguousarray(features.T)
        self.basis = eigenvectors[:, keep] / singular  # U S^-1: x X^T U S^-1 = x V
        return eigenvectors[:, keep] * singular  # U S

    def log_proba(self, features: Any) -> np.ndarray:
        if self.basis is not None:
            features = np.asarray((features @ self.train_t) @ self.basis)
        with _one_blas_thread():
            return np.asarray(self.model.predict_log_proba(features))


class HybridHead:
    """Folded word 1-2 + char_wb 2-5 (+ stemmed word) TF-IDF and a sentence vector -> logistic regression(s)."""

    def __init__(self, config: HeadConfig | None = None) -> None:
        self.config = config or HeadConfig()
        self._vectorisers: list[tuple[Any, bool]] = []
        self._models: list[tuple[_LinearModel, str, float]] = []  # model, input ("ngrams"/"vector"/"both"), pool weight
        self._temperature = 1.0
        self._prior_weight = 0.0  # alpha in p ~ (prod p_i^w_i)^t / prior^alpha (see _fit_pooling)
        self._prior_shift: np.ndarray | None = None  # -alpha * log(label frequency), in classes order

    @property
    def classes(self) -> list[str]:
        if not self._models:
            raise RuntimeError("HybridHead.fit() first")
        return [str(label) for label in self._models[0][0].model.classes_]

    def _ngrams(self, texts: Sequence[str], fit: bool) -> sparse.csr_matrix:
        folded = [fold_diacritics(text) for text in texts]
        if fit:
            from sklearn.feature_extraction.text import TfidfVectorizer

            word = r"(?u)\b\w+\b"
            self._vectorisers = [
                (TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=word), False),
                (TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True), False),
            ]
            if self.config.stems:
                self._vectorisers.append((TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=word), True))
        blocks = []
        for vectoriser, stemmed in self._vectorisers:
            inputs = [_stemmed(text) for text in folded] if stemmed else folded
            blocks.append(vectoriser.fit_transform(inputs) if fit else vectoriser.transform(inputs))
        return sparse.hstack(blocks, format="csr")

    def _inputs(self, texts: Sequence[str], vectors: np.ndarray | None, fit: bool) -> dict[str, Any]:
        config = self.config
        if not config.lexical and not config.uses_vectors:
            raise ValueError("a head needs n-grams or vectors")
        inputs: dict[str, Any] = {}
        if config.uses_vectors:
            if vectors is None:
                raise ValueError("this head uses sentence vectors: pass them")
            inputs["vector"] = np.asarray(vectors, dtype=np.float64)
        if config.lexical:
            inputs["ngrams"] = self._ngrams(texts, fit)
        if config.combine == "concat" and len(inputs) == 2:
            vector = sparse.csr_matrix(inputs["vector"] * config.embedding_weight)
            return {"both": sparse.hstack([inputs["ngrams"], vector], format="csr")}
        return inputs

    def fit(self, texts: Sequence[str], vectors: np.ndarray | None, labels: Sequence[str]) -> "HybridHead":
        config = self.config
        if config.combine not in ("pool", "concat"):
            raise ValueError(f"unknown combine {config.combine!r}")
        self._temperature, self._prior_weight = self._fit_pooling(texts, vectors, labels) if config.calibrate else (1.0, 0.0)
        inputs = self._inputs(texts, vectors, fit=True)
        self._models = []
        for name, features in inputs.items():
            c = config.vector_c if name == "vector" else config.regularisation_c
            weight = 1.0 if len(inputs) == 1 else config.vector_weight if name == "vector" else config.lexical_weight
            self._models.append((_LinearModel(c, config.max_iter).fit(features, labels), name, weight))
        self._prior_shift = self._shift_for(labels)
        return self

    def _shift_for(self, labels: Sequence[str]) -> np.ndarray | None:
        """-alpha * log(frequency of each class among ``labels``), in :attr:`classes` order."""
        if not self._prior_weight:
            return None
        counts: dict[str, int] = {}
        for label in labels:
            counts[str(label)] = counts.get(str(label), 0) + 1
        frequency = np.array([counts[label] for label in self.classes], dtype=np.float64) / len(labels)
        return -self._prior_weight * np.log(frequency)

    def _fit_pooling(self, texts: Sequence[str], vectors: np.ndarray | None, labels: Sequence[str]) -> tuple[float, float]:
        """A temperature t and a prior correction alpha, p ~ exp(t * pooled - alpha * log prior), by held-out likelihood.

        Why t: how sharp the heads are depends on how many rows each label has against the L2
        penalty. On the ~700-ticket bank the product of the two heads was underconfident, on
        MASSIVE's 7,900 rows overconfident (predictions at >= 0.7 right 88% of the time); routing
        reads the confidence as a probability, so it is fitted rather than fixed.
        Why alpha (``prior_correction``): each head's intercepts carry the label prior, so their
        product counts it twice and frequent labels (MASSIVE's general_quirky, qa_factoid) win
        cases they should not; alpha in [0, 1] takes the extra copy back out as far as the
        held-out rows say (MASSIVE validation pl 0.829 -> 0.832, en 0.852 -> 0.856; own bank
        intents 0.679 -> 0.703; docs/classification.md). One weight per head was tried too: it
        helped MASSIVE en but cost own Polish tickets 1.2 points (mixed-language held-out rows
        favour the vector head, which is the weaker one in Polish), so both heads share t.
        Every fifth row of each label (labels with at least 2 rows) is held out, a head without
        calibration is fitted on the rest, and the held-out log-loss is minimised; the final head
        is then fitted on all rows (one extra fit on 80% of them at start-up).
        """
        label_list = list(labels)
        by_label: dict[str, list[int]] = {}
        for index, label in enumerate(label_list):
            by_label.setdefault(label, []).append(index)
        held = sorted(i for rows in by_label.values() if len(rows) >= 2 for k, i in enumerate(rows) if k % 5 == min(4, len(rows) - 1))
        if len(held) < 20:
            return 1.0, 0.0
        kept = np.setdiff1d(np.arange(len(label_list)), held)
        kept_labels = [label_list[i] for i in kept]
        inner = HybridHead(dataclasses.replace(self.config, calibrate=False)).fit(
            [texts[i] for i in kept], None if vectors is None else np.asarray(vectors)[kept], kept_labels
        )
        pooled = inner._pooled([texts[i] for i in held], None if vectors is None else np.asarray(vectors)[held])
        column = {label: j for j, label in enumerate(inner.classes)}
        rows = [r for r, i in enumerate(held) if label_list[i] in column]
        gold = np.array([column[label_list[held[r]]] for r in rows])
        blocks, start, bounds = [pooled[rows]], [1.0], [(0.25, 4.0)]
        if self.config.prior_correction:
            counts = np.array([kept_labels.count(label) for label in inner.classes], dtype=np.float64)
            blocks.append(np.broadcast_to(-np.log(counts / counts.sum()), blocks[0].shape))
            start.append(0.0)
            bounds.append((0.0, 1.0))
        solution = _minimise_log_loss(blocks, gold, np.array(start), bounds)
        return float(solution[0]), float(solution[1]) if self.config.prior_correction else 0.0

    def fit_sibling(self, labels: Sequence[str], rows: Sequence[int]) -> "HybridHead":
        """Another label set over some of the same training rows, sharing this head's features.

        The n-gram vocabulary and row bases are fitted once (the costly part); the sibling's models
        are exact for their rows too, since their span lies inside the one each basis covers.
        """
        if not self._models:
            raise RuntimeError("HybridHead.fit() first")
        sibling = HybridHead(self.config)
        sibling._vectorisers = self._vectorisers
        sibling._temperature = self._temperature
        sibling._prior_weight = self._prior_weight
        sibling._models = [(model.sibling(labels, rows), name, weight) for model, name, weight in self._models]
        sibling._prior_shift = sibling._shift_for(labels)
        return sibling

    def predict_proba(self, texts: Sequence[str], vectors: np.ndarray | None) -> np.ndarray:
        """Class probabilities, columns in :attr:`classes` order (the pooled heads' weighted product)."""
        if not self._models:
            raise RuntimeError("HybridHead.fit() first")
        pooled = self._pooled(texts, vectors) * self._temperature
        if self._prior_shift is not None:
            pooled = pooled + self._prior_shift
        pooled = pooled - pooled.max(axis=1, keepdims=True)
        probabilities = np.exp(pooled)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def _log_probas(self, texts: Sequence[str], vectors: np.ndarray | None) -> list[tuple[str, np.ndarray, float]]:
        """Each head's (input name, log-probabilities, pool weight)."""
        inputs = self._inputs(texts, vectors, fit=False)
        return [(name, model.log_proba(inputs[name]), weight) for model, name, weight in self._models]

    def _pooled(self, texts: Sequence[str], vectors: np.ndarray | None) -> np.ndarray:
        return np.asarray(sum(weight * log_proba for _, log_proba, weight in self._log_probas(texts, vectors)))

    @property
    def temperature(self) -> float:
        """The fitted scale of the pooled log-probabilities (1.0 without calibration)."""
        return self._temperature

    @property
    def prior_weight(self) -> float:
        """The fitted prior correction alpha (0.0 without calibration or ``prior_correction``)."""
        return self._prior_weight

    def predict(self, texts: Sequence[str], vectors: np.ndarray | None) -> list[str]:
        classes = self.classes
        return [classes[i] for i in self.predict_proba(texts, vectors).argmax(axis=1)]
