"""Ticket classification: category/subcategory/intent by a head over embeddings and n-grams, plus sentiment and language."""

from tools.classification.classifier import (
    ClassificationOutcome,
    EmbeddingClassifier,
    LabeledExample,
    NearestExampleClassifier,
    load_examples,
)
from tools.classification.features import HeadConfig, HybridHead, fold_diacritics
from tools.classification.language import detect_language
from tools.classification.sentiment import detect_sentiment

__all__ = [
    "ClassificationOutcome",
    "EmbeddingClassifier",
    "HeadConfig",
    "HybridHead",
    "LabeledExample",
    "NearestExampleClassifier",
    "detect_language",
    "detect_sentiment",
    "fold_diacritics",
    "load_examples",
]
