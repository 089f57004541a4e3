"""``triage-desk``: command-line tools for operators.

    triage-desk ingest PATH --collection knowledge_base [--tenant demo] [--no-graph]
    triage-desk search "ORA-12541 on srv-prod-db-03" --collection knowledge_base [--mode hybrid]

Both use the same settings (``TRIAGE_*``) as the worker and the API, so with
``TRIAGE_CHROMA_MODE=http`` they write to and read from the Chroma server.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from core.api_keys import _TENANT_PATTERN
from core.api_keys_cli import add_keys_command
from tools.evaluation.cli import add_eval_command, add_reembed_command
from core.settings import get_settings
from core.errors import TriageError
from tools.retrieval import COLLECTIONS, RetrievalCatalog, load_documents, open_chroma_client
from tools.retrieval.loaders import SUFFIXES

if TYPE_CHECKING:
    from tools.graph import LinkSummary
    from tools.retrieval.documents import SourceDocument


def _tenant(value: str) -> str:
    """A tenant id in the form API keys and ``X-Tenant-ID`` use: chunks stored under any other id
    could never be read through the API."""
    if not _TENANT_PATTERN.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a tenant id: 1-64 letters, digits, '_' or '-'")
    return value


def _bounded(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], int | float]:
    """An argparse type that keeps a number in the range the API accepts (a negative ``--limit``
    sliced the ranking from its end, a ``--threshold`` above 1 silently found nothing)."""

    def parse(value: str) -> int | float:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a{'n integer' if kind is int else ' number'}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range: {low:g}..{high:g}")
        return number

    return parse


def _query(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("the query is empty")
    return value


def _catalog() -> RetrievalCatalog:
    from tools.queries import build_embedder

    settings = get_settings()
    client = open_chroma_client(settings.chroma_mode, settings.chroma_path, settings.chroma_host, settings.chroma_port)
    return RetrievalCatalog(client, build_embedder(settings), settings.lexical_path, settings.collection_names)


def ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    settings = get_settings()
    tenant = args.tenant or settings.default_tenant
    documents = load_documents(Path(args.path))
    if not documents:
        print(f"nothing to ingest: no {', '.join(SUFFIXES)} files under {args.path}", file=sys.stderr)
        return 1
    if args.collection == "tickets" and not args.no_redact:
        from tools.queries import build_entity_extractor
        from tools.pii import Redactor
        from tools.retrieval.tickets import redacted_ticket

        redactor = Redactor(build_entity_extractor(settings))
        documents = [
            redacted_ticket(d, redactor)
            for d in tqdm(documents, desc="redacting", unit="doc", disable=args.quiet)
        ]
    collection = _catalog().collection(args.collection)
    started = time.perf_counter()
    with tqdm(total=len(documents), desc=f"ingesting into {args.collection}", unit="doc", disable=args.quiet) as bar:
        summary = collection.ingest(documents, tenant_id=tenant, progress=bar.update)
    collection.sync_lexical()
    elapsed = time.perf_counter() - started
    print(
        f"{args.collection} (tenant {tenant}): {summary.documents} documents — {summary.added} added, "
        f"{summary.replaced} replaced, {summary.unchanged} unchanged; {summary.chunks_written} chunks written; "
        f"{collection.count()} chunks in the collection; {elapsed:.1f} s"
    )
    if args.collection == "knowledge_base" and not args.no_graph:
        link_graph(documents, tenant)
    return 0


def link_graph(documents: list[SourceDocument], tenant: str) -> None:
    """Link ingested articles to the entities they mention in the entity graph (``TRIAGE_GRAPH``),
    as the worker does for the demo articles; unchanged articles are skipped without extraction.
    A graph store that cannot be reached raises ``StoreUnavailableError`` (exit code 2): the
    collection is already written, so running the same ingest again links them."""
    import asyncio

    from tools.graph import EntityKeyer, build_graph_store, graph_secret, link_articles
    from tools.queries import build_entity_extractor

    settings = get_settings()
    extractor = build_entity_extractor(settings)

    async def run() -> LinkSummary:
        store = build_graph_store(settings)
        try:
            await store.setup()
            return await link_articles(store, EntityKeyer(graph_secret(settings)), extractor.extract, tenant, documents)
        finally:
            await store.close()

    summary = asyncio.run(run())
    print(
        f"graph ({settings.graph}): {summary.documents} articles — {summary.linked} linked, "
        f"{summary.unchanged} unchanged; {summary.mentions} new entity mentions"
    )


def search(args: argparse.Namespace) -> int:
    settings = get_settings()
    filters = {"tenant_id": args.tenant or settings.default_tenant}
    hits = _catalog().collection(args.collection).search(args.query, args.limit, filters, args.threshold, args.mode)
    if not hits:
        print("no results")
    for hit in hits:
        print(f"{hit.score:5.3f}  cos {hit.similarity:5.3f}  bm25 {hit.lexical:6.2f}  {hit.chunk_id:<16} {hit.title}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="triage-desk", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    ingest_cmd = commands.add_parser(
        "ingest",
        help="load Markdown/HTML/text/JSONL/PDF/Word (.docx) into a collection",
        description="Chunk documents by headings (overlapping windows for long sections), embed them and upsert "
        "them idempotently: an unchanged document is skipped, a changed one replaces its chunks. "
        "Markdown may carry YAML front matter (doc_id, title, url, status, category...); HTML <meta name=...> "
        "tags become metadata; each JSONL line is one document (id/doc_id, title, body/description/text...). "
        "Ticket text is redacted before it is stored unless --no-redact. Knowledge-base articles are also linked "
        "to the entities they mention in the entity graph (TRIAGE_GRAPH), unless --no-graph.",
    )
    ingest_cmd.add_argument("path", help="a file or a directory (searched recursively)")
    ingest_cmd.add_argument("--collection", required=True, choices=COLLECTIONS)
    ingest_cmd.add_argument("--tenant", type=_tenant, help="tenant id stored on every chunk (default: TRIAGE_DEFAULT_TENANT)")
    ingest_cmd.add_argument("--no-redact", action="store_true", help="store ticket text as is")
    ingest_cmd.add_argument(
        "--no-graph", action="store_true", help="knowledge_base only: do not link the articles to their entities in the entity graph"
    )
    ingest_cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest_cmd.set_defaults(handler=ingest)

    search_cmd = commands.add_parser("search", help="query a collection (to check what ingest did)")
    search_cmd.add_argument("query", type=_query)
    search_cmd.add_argument("--collection", default="knowledge_base", choices=COLLECTIONS)
    search_cmd.add_argument("--tenant", type=_tenant, help="default: TRIAGE_DEFAULT_TENANT")
    search_cmd.add_argument("--limit", type=_bounded(int, 1, 100), default=5, help="chunks to show, 1..100 (default 5)")
    search_cmd.add_argument(
        "--threshold", type=_bounded(float, 0.0, 1.0), default=0.0, help="minimum score of the chosen --mode, 0..1 (default 0)"
    )
    search_cmd.add_argument("--mode", choices=("hybrid", "dense", "lexical"), default="hybrid")
    search_cmd.set_defaults(handler=search)

    add_keys_command(commands)
    add_eval_command(commands)
    add_reembed_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except TriageError as exc:
        print(f"error [{exc.code}]: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
