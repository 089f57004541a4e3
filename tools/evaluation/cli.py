"""The ``triage-desk eval`` subcommand (wired into ``cli.py`` by :func:`add_eval_command`).

    triage-desk eval classification --dataset massive_pl_en [--limit 800] [--embedder e5-small] [--method hybrid]
    triage-desk eval classification --dataset own --provider openai [--llm-base-url URL] [--llm-model NAME] [--limit 60]
    triage-desk eval retrieval --dataset stackfaq [--embedder use-multilingual]
    triage-desk eval language
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tools.embeddings import LOCAL_EMBEDDERS
from tools.evaluation.datasets import CLASSIFICATION_DATASETS, RETRIEVAL_DATASETS, datasets_dir
from tools.evaluation.runner import METHODS, evaluate_classification, evaluate_retrieval, format_report


def _embedder(args: argparse.Namespace) -> Any:
    from core.settings import get_settings

    settings = get_settings()
    if args.embedder:
        from tools.embeddings import build_local_embedder

        return build_local_embedder(args.embedder, settings.embedding_model_path)
    from agents.registry import build_embedder

    return build_embedder(settings)


def _cache_dir(args: argparse.Namespace) -> Path | None:
    from core.settings import get_settings

    return None if args.no_cache else get_settings().state_dir / "eval-cache"


def _chat_provider(args: argparse.Namespace) -> Any:
    """The openai provider from --llm-base-url/--llm-model, else from TRIAGE_OPENAI_BASE_URL/TRIAGE_LLM_MODEL."""
    from core.settings import get_settings
    from tools.llm import OpenAIProvider

    settings = get_settings()
    base_url = args.llm_base_url or settings.openai_base_url
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if not base_url and not key:
        return None
    return OpenAIProvider(
        model=args.llm_model or settings.llm_model, base_url=base_url, api_key=key, timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries, backoff_s=settings.llm_retry_backoff_s, max_output_tokens=settings.llm_max_output_tokens,
    )


def run_classification(args: argparse.Namespace) -> int:
    if args.provider == "openai":
        if args.dataset != "own":
            print("--provider openai classifies into the triage taxonomy: use --dataset own (data/labeled_tickets.jsonl)")
            return 2
        from tools.evaluation.llm_eval import evaluate_llm_classification
        from tools.evaluation.runner import VectorCache

        provider = _chat_provider(args)
        if provider is None:
            print("--provider openai needs --llm-base-url, or TRIAGE_OPENAI_BASE_URL / TRIAGE_OPENAI_API_KEY")
            return 2
        report = evaluate_llm_classification(
            provider, _embedder(args), limit=args.limit, folds=args.folds,
            cache=VectorCache(_cache_dir(args), not args.quiet), progress=not args.quiet, threshold=args.threshold,
        )
        print(format_report(report))
        return 0
    embedder = None if args.method == "tfidf" else _embedder(args)
    report = evaluate_classification(
        args.dataset, embedder, datasets_dir(args.datasets_dir), limit=args.limit, method=args.method,
        cache_dir=_cache_dir(args), folds=args.folds, progress=not args.quiet, threshold=args.threshold,
    )
    print(format_report(report))
    return 0


def run_retrieval(args: argparse.Namespace) -> int:
    report = evaluate_retrieval(args.dataset, _embedder(args), datasets_dir(args.datasets_dir), limit=args.limit, progress=not args.quiet)
    print(format_report(report))
    return 0


def run_language(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from tools.evaluation.language_eval import evaluate_language, format_language_report

    report = evaluate_language(datasets_dir(args.datasets_dir), get_settings().labeled_tickets_path)
    print(format_language_report(report))
    return 0


def add_eval_command(commands: Any) -> None:
    """Add ``eval classification`` and ``eval retrieval`` to the ``triage-desk`` subparsers."""
    eval_cmd = commands.add_parser("eval", help="measure classification or retrieval quality on a dataset")
    kinds = eval_cmd.add_subparsers(dest="eval_kind", required=True)

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--limit", type=int, help="score at most N test rows per language (seeded sample)")
        parser.add_argument("--embedder", choices=(*LOCAL_EMBEDDERS, "local"), help="default: TRIAGE_EMBEDDING_PROVIDER")
        parser.add_argument("--datasets-dir", help="public datasets folder (default: TRIAGE_DATASETS_DIR or ../shared/datasets)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    classification = kinds.add_parser(
        "classification", help="accuracy and macro-F1 per language",
        description="Train on the dataset's training rows, score its test rows. `own` is data/labeled_tickets.jsonl by "
        "stratified k-fold (--folds; 0 = leave-one-out) through the shipped classifier.",
    )
    classification.add_argument("--dataset", required=True, choices=CLASSIFICATION_DATASETS)
    classification.add_argument("--method", choices=METHODS, default="hybrid", help="hybrid is what the worker runs")
    classification.add_argument("--folds", type=int, default=10, help="own dataset: stratified k folds (0 = leave-one-out: one classifier per example, slow)")
    classification.add_argument("--threshold", type=float, default=0.7, help="report accuracy above/below this confidence")
    classification.add_argument("--no-cache", action="store_true", help="do not read or write cached vectors")
    classification.add_argument(
        "--provider", choices=("offline", "openai"), default="offline",
        help="openai: the classify node's model path (candidates from the nearest labeled examples) on --dataset own",
    )
    classification.add_argument("--llm-base-url", help="OpenAI-compatible endpoint (default: TRIAGE_OPENAI_BASE_URL)")
    classification.add_argument("--llm-model", help="model name (default: TRIAGE_LLM_MODEL)")
    common(classification)
    classification.set_defaults(handler=run_classification)

    retrieval = kinds.add_parser("retrieval", help="recall@1/@5 and MRR of dense search per language")
    retrieval.add_argument("--dataset", required=True, choices=RETRIEVAL_DATASETS)
    common(retrieval)
    retrieval.set_defaults(handler=run_retrieval)

    language = kinds.add_parser(
        "language", help="accuracy of pl/en detection per language",
        description="detect_language against the reference language of data/labeled_tickets.jsonl, the MASSIVE pl/en "
        "test rows and the English support_tickets_multilang test tickets (sets missing from --datasets-dir are skipped).",
    )
    language.add_argument("--datasets-dir", help="public datasets folder (default: TRIAGE_DATASETS_DIR or ../shared/datasets)")
    language.set_defaults(handler=run_language)


def run_reembed(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from agents.registry import build_embedder
    from core.settings import get_settings
    from tools.retrieval import open_chroma_client
    from tools.retrieval.reembed import reembed_collection

    settings = get_settings()
    name = settings.collection_names.get(args.collection, args.collection)
    embedder = build_embedder(settings)
    client = open_chroma_client(settings.chroma_mode, settings.chroma_path, settings.chroma_host, settings.chroma_port)
    with tqdm(desc=f"re-embedding {name} with {embedder.model_id}", unit="chunk", disable=args.quiet) as bar:
        count = reembed_collection(client, name, embedder, progress=bar.update)
    print(f"{name}: {count} chunks re-embedded with {embedder.model_id}")
    return 0


def add_reembed_command(commands: Any) -> None:
    """Add ``reembed --collection NAME``: rebuild a collection's vectors with the configured model."""
    reembed = commands.add_parser(
        "reembed", help="re-embed a collection with the configured embedding model",
        description="Re-embed every chunk of a collection (texts and metadata as stored) with TRIAGE_EMBEDDING_PROVIDER's "
        "model, into a new collection that then replaces the old one. Needed after changing the model: a collection "
        "built by another model is refused.",
    )
    reembed.add_argument("--collection", required=True, help="knowledge_base, runbooks, tickets (or a Chroma collection name)")
    reembed.add_argument("--quiet", action="store_true", help="no progress bar")
    reembed.set_defaults(handler=run_reembed)
