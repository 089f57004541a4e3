"""Ticket classification: category/subcategory/intent by nearest labeled examples, plus sentiment and language."""

from tools.classification.classifier import ClassificationOutcome, EmbeddingClassifier, LabeledExample, load_examples
from tools.classification.language import detect_language
from tools.classification.sentiment import detect_sentiment

__all__ = [
    "ClassificationOutcome",
    "EmbeddingClassifier",
    "LabeledExample",
    "detect_language",
    "detect_sentiment",
    "load_examples",
]
