"""A text classifier head over sentence embeddings plus character and word TF-IDF.

Why both: on MASSIVE pl/en (60 intents) a linear model on multilingual sentence vectors alone
reaches 0.77 in Polish, TF-IDF word+char n-grams alone 0.81 (dataset README); the two make
different mistakes (the embedding knows that "rachunek" and "faktura" are close, the n-grams
know that "fakturę" and "faktury" share a stem without a Polish stemmer), so one logistic
regression over the concatenation beats either. Measured figures are in docs/classification.md.

Polish diacritics are folded for the n-grams ("zalogowac" matches "zalogować": people type
tickets without them) but the embedder sees the text as written.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class HeadConfig:
    """What the head looks at and how hard it fits.

    ``embedding_weight`` scales the (unit) sentence vector against the two (unit) TF-IDF blocks;
    0 turns the embedding off, ``lexical=False`` the n-grams (for the comparisons in the docs).
    """

    embedding_weight: float = 3.0
    lexical: bool = True
    regularisation_c: float = 100.0
    max_iter: int = 300


class HybridHead:
    """TF-IDF (word 1-2 + char_wb 2-5, folded) and a sentence vector -> multinomial logistic regression."""

    def __init__(self, config: HeadConfig | None = None) -> None:
        self.config = config or HeadConfig()
        self._word: Any = None
        self._char: Any = None
        self._model: Any = None
        self._basis: np.ndarray | None = None
        self._train_features: sparse.csr_matrix | None = None
        self._train_features_t: sparse.csr_matrix | None = None
        self._fit_matrix: Any = None

    @property
    def classes(self) -> list[str]:
        if self._model is None:
            raise RuntimeError("HybridHead.fit() first")
        return [str(label) for label in self._model.classes_]

    def _features(self, texts: Sequence[str], vectors: np.ndarray | None, fit: bool) -> sparse.csr_matrix:
        blocks = []
        if self.config.lexical:
            folded = [fold_diacritics(text) for text in texts]
            if fit:
                from sklearn.feature_extraction.text import TfidfVectorizer

                self._word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, token_pattern=r"(?u)\b\w+\b")
                self._char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1)
                blocks += [self._word.fit_transform(folded), self._char.fit_transform(folded)]
            else:
                blocks += [self._word.transform(folded), self._char.transform(folded)]  # type: ignore[union-attr]
        if self.config.embedding_weight > 0:
            if vectors is None:
                raise ValueError("this head uses sentence vectors: pass them")
            blocks.append(sparse.csr_matrix(np.asarray(vectors, dtype=np.float64) * self.config.embedding_weight))
        if not blocks:
            raise ValueError("a head needs n-grams or vectors")
        return sparse.hstack(blocks, format="csr")

    def fit(self, texts: Sequence[str], vectors: np.ndarray | None, labels: Sequence[str]) -> "HybridHead":
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        features = self._features(texts, vectors, fit=True)
        self._basis = None
        self._train_features = None
        self._train_features_t = None
        rows, columns = features.shape
        with _one_blas_thread(), warnings.catch_warnings():
            if rows <= ROW_SPACE_LIMIT and columns > rows:
                features = self._fit_row_space(features)
            self._model = LogisticRegression(C=self.config.regularisation_c, max_iter=self.config.max_iter)
            # Fewer iterations than full convergence keep start-up fast; the ranking is settled long before.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self._model.fit(features, list(labels))
        self._fit_matrix = features
        return self

    def fit_sibling(self, labels: Sequence[str], rows: Sequence[int]) -> "HybridHead":
        """Another label set over some of the same training rows, sharing this head's features.

        The n-gram vocabulary and row basis are fitted once (the costly part); the sibling's model
        is exact for its rows too, since their span lies inside the one the basis covers.
        """
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        if self._fit_matrix is None:
            raise RuntimeError("HybridHead.fit() first")
        sibling = HybridHead(self.config)
        sibling._word, sibling._char = self._word, self._char
        sibling._basis, sibling._train_features = self._basis, self._train_features
        sibling._train_features_t = self._train_features_t
        sibling._fit_matrix = self._fit_matrix
        sibling._model = LogisticRegression(C=self.config.regularisation_c, max_iter=self.config.max_iter)
        with _one_blas_thread(), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sibling._model.fit(self._fit_matrix[list(rows)], list(labels))
        return sibling

    def _fit_row_space(self, features: sparse.csr_matrix) -> np.ndarray:
        """Coordinates of the training rows in an orthonormal basis of their span.

        Why: a bank of a few hundred tickets has tens of thousands of n-gram columns, and L-BFGS
        over (columns x classes) weights took seconds at every worker start. An L2-regularised
        linear model's weights lie in the span of the training rows, and with X = U S V^T the map
        x -> x V keeps dot products and norms on that span, so the regression on the (rows x rank)
        coordinates Z = U S is the same model, in milliseconds. A new text maps to x X^T U S^-1.
        """
        gram = (features @ features.T).toarray()
        eigenvalues, eigenvectors = np.linalg.eigh(gram)
        keep = eigenvalues > eigenvalues.max() * 1e-9
        singular = np.sqrt(eigenvalues[keep])
        self._train_features = features
        # X^T kept as CSR: ``x @ features.T`` would convert the transposed (CSC) matrix back to CSR on every
        # call, which was most of a classification's time (a 700 x 50k transpose per ticket).
        self._train_features_t = features.T.tocsr()
        self._basis = eigenvectors[:, keep] / singular  # U S^-1: x X^T U S^-1 = x V
        return eigenvectors[:, keep] * singular  # U S

    def _transform(self, texts: Sequence[str], vectors: np.ndarray | None) -> Any:
        features = self._features(texts, vectors, fit=False)
        if self._basis is None:
            return features
        return np.asarray((features @ self._train_features_t) @ self._basis)  # type: ignore[union-attr]

    def predict_proba(self, texts: Sequence[str], vectors: np.ndarray | None) -> np.ndarray:
        """Class probabilities, columns in :attr:`classes` order."""
        if self._model is None:
            raise RuntimeError("HybridHead.fit() first")
        with _one_blas_thread():
            return np.asarray(self._model.predict_proba(self._transform(texts, vectors)))

    def predict(self, texts: Sequence[str], vectors: np.ndarray | None) -> list[str]:
        classes = self.classes
        return [classes[i] for i in self.predict_proba(texts, vectors).argmax(axis=1)]
