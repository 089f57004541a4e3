"""Quality measurements behind ``triage-desk eval``: classification and retrieval per dataset and embedder."""

from tools.evaluation.datasets import CLASSIFICATION_DATASETS, RETRIEVAL_DATASETS, datasets_dir
from tools.evaluation.runner import METHODS, EvalReport, evaluate_classification, evaluate_retrieval, format_report

__all__ = [
    "CLASSIFICATION_DATASETS",
    "METHODS",
    "RETRIEVAL_DATASETS",
    "EvalReport",
    "datasets_dir",
    "evaluate_classification",
    "evaluate_retrieval",
    "format_report",
]
