"""Benchmark: the entity graph, Neo4j (local launcher) and the embedded SQL backend side by side.

For each backend: upsert throughput (tickets/s, one ticket per transaction, as the indexing
activity writes them) while the graph grows to 1,000 and then 10,000 tickets, and the latency
(p50/p95) of the triage's neighbourhood query (related entities, resolved tickets, articles) at
both sizes. Tickets are synthetic: 3-6 entities each, drawn Zipf-like from a vocabulary of 3,000
(error codes, hosts, software, hashed emails), so a few hub entities appear in many tickets as
in a real desk. Also reports the Neo4j launcher's start time and the server's resident memory.

With ``--kb-linking``: the knowledge-base linking a worker start does (``data/kb``, real Presidio
extraction, embedded SQL store), the first time and again with every content hash known.

    .venv/bin/python bench/graph.py [--sizes 1000,10000] [--queries 200] [--backends sql,neo4j] [--kb-linking]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from core.graph_contracts import GraphEntityRef, TicketGraphRecord  # noqa: E402
from core.sql import create_engine  # noqa: E402
from tools.graph import EntityKeyer, GraphStore, Neo4jGraphStore, SqlGraphStore  # noqa: E402
from tools.graph.neo4j_local import build_launcher, free_port, start_neo4j, stop_neo4j  # noqa: E402

TENANT = "bench"
KEYER = EntityKeyer(b"bench-graph-key-0123456789abcdef")
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def vocabulary(size: int = 3000) -> list[GraphEntityRef]:
    kinds = [("error_code", "ERR-{:05d}"), ("hostname", "srv-{:04d}.corp.local"), ("software", "app-{:04d}"), ("email", "user{:05d}@example.com")]
    refs = []
    for i in range(size):
        kind, pattern = kinds[i % len(kinds)]
        ref = KEYER.ref(kind, pattern.format(i))
        assert ref is not None
        refs.append(ref)
    return refs


def tickets(count: int, start: int, vocab: list[GraphEntityRef], rng: random.Random) -> list[TicketGraphRecord]:
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(vocab))]
    made = []
    for n in range(start, start + count):
        picked = {e.key: e for e in rng.choices(vocab, weights=weights, k=rng.randint(3, 6))}
        made.append(
            TicketGraphRecord(
                tenant_id=TENANT, ticket_id=f"INC-{n}", created_at=T0 + timedelta(minutes=n),
                status="resolved" if n % 3 else "open", team=f"team-{n % 5}", customer_key=KEYER.hash("email", f"c{n % 500}@example.com"),
                entities=list(picked.values()), resolved_with=[f"KB-{n % 40:04d}"] if n % 3 else [],
            )
        )
    return made


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def run_backend(store: GraphStore, sizes: list[int], queries: int, seed: int = 7) -> list[dict[str, float]]:
    rng = random.Random(seed)
    vocab = vocabulary()
    await store.setup()
    await store.delete_tenant(TENANT)
    rows, loaded = [], 0
    for size in sizes:
        batch = tickets(size - loaded, loaded, vocab, rng)
        started = time.perf_counter()
        for record in batch:
            await store.upsert_ticket(record)
        upsert_s = time.perf_counter() - started
        loaded = size
        probes = [tickets(1, size + i, vocab, rng)[0] for i in range(queries)]
        for probe in probes[:10]:  # warm caches and plans
            await store.context(TENANT, probe.entities, exclude_ticket=probe.ticket_id)
        latencies, related = [], []
        for probe in probes:
            t = time.perf_counter()
            context = await store.context(TENANT, probe.entities, exclude_ticket=probe.ticket_id)
            latencies.append((time.perf_counter() - t) * 1000)
            related.append(len(context.related_entities))
        rows.append({
            "size": size, "upsert_per_s": len(batch) / upsert_s, "p50_ms": statistics.median(latencies),
            "p95_ms": pct(latencies, 0.95), "related_avg": statistics.mean(related),
        })
    return rows


async def kb_linking(tmp: Path) -> None:
    """Seconds to link data/kb into an empty graph, then again (every article's hash already stored)."""
    from core.settings import Settings
    from tools.graph import link_articles
    from tools.queries import build_entity_extractor
    from tools.retrieval import load_documents

    settings = Settings(state_dir=tmp / "state")
    t = time.perf_counter()
    extractor = build_entity_extractor(settings)
    extractor.extract("warm-up ORA-12541 on db-prod-01.corp.local")
    load_s = time.perf_counter() - t
    documents = load_documents(settings.kb_dir)
    store = SqlGraphStore(create_engine(f"sqlite:///{tmp / 'kb-graph.db'}"))
    await store.setup()
    timings = []
    for _ in range(2):
        t = time.perf_counter()
        summary = await link_articles(store, KEYER, extractor.extract, TENANT, documents)
        timings.append((time.perf_counter() - t, summary))
    await store.close()
    (first_s, first), (second_s, second) = timings
    print(f"kb linking ({len(documents)} articles, extractor load {load_s:.1f} s): first start {first_s:.2f} s "
          f"({first.linked} extracted, {first.mentions} mentions), next start {second_s * 1000:.1f} ms ({second.linked} extracted, "
          f"{second.unchanged} unchanged)")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backends", default="sql,neo4j")
    parser.add_argument("--kb-linking", action="store_true", help="only time the knowledge-base linking of a worker start")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[str, list[dict[str, float]]] = {}
    if args.kb_linking:
        with tempfile.TemporaryDirectory(prefix="bench-graph-") as tmp:
            await kb_linking(Path(tmp))
        return
    with tempfile.TemporaryDirectory(prefix="bench-graph-") as tmp:
        if "sql" in args.backends:
            store = SqlGraphStore(create_engine(f"sqlite:///{Path(tmp) / 'graph.db'}"))
            results["sql (SQLite)"] = await run_backend(store, sizes, args.queries)
            await store.close()
        if "neo4j" in args.backends:
            t = time.perf_counter()
            launcher = build_launcher()
            build_s = time.perf_counter() - t
            port = free_port()
            t = time.perf_counter()
            process = start_neo4j(Path(tmp) / "neo4j", port, launcher=launcher, jvm_options=("-Xms512m", "-Xmx1g", "-XX:+UseSerialGC"))
            start_s = time.perf_counter() - t
            idle_rss = rss_mb(process.pid)
            try:
                neo4j_store = Neo4jGraphStore.connect(f"bolt://127.0.0.1:{port}")
                results["neo4j 5.26 (embedded, Bolt)"] = await run_backend(neo4j_store, sizes, args.queries)
                await neo4j_store.close()
                loaded_rss = rss_mb(process.pid)
            finally:
                stop_neo4j(process)
            print(f"neo4j launcher: build/cache {build_s:.1f} s, start (new data dir, C2 JIT, 1 GB heap) {start_s:.1f} s, "
                  f"RSS idle {idle_rss:.0f} MB, after {sizes[-1]} tickets {loaded_rss:.0f} MB")
    print()
    print(f"{'backend':30} {'tickets':>8} {'upsert/s':>9} {'ctx p50 ms':>11} {'ctx p95 ms':>11} {'related':>8}")
    for name, rows in results.items():
        for row in rows:
            print(f"{name:30} {row['size']:>8} {row['upsert_per_s']:>9.0f} {row['p50_ms']:>11.1f} {row['p95_ms']:>11.1f} {row['related_avg']:>8.1f}")
    if len(results) == 2:
        (a, ra), (b, rb) = results.items()
        for x, y in zip(ra, rb):
            print(f"ratio {b} / {a} at {x['size']}: upsert {y['upsert_per_s'] / x['upsert_per_s']:.2f}x, "
                  f"p50 {y['p50_ms'] / x['p50_ms']:.2f}x, p95 {y['p95_ms'] / x['p95_ms']:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
