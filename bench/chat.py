"""Benchmark: a chat turn streamed through ``ConversationWorkflow`` versus the same chat graph in-process.

A fake model of fixed latency (``FixedLatencyChatModel``: ``--first-token-ms`` before the first
token, ``--per-token-ms`` between tokens) answers in both setups, so the difference is what the
workflow path adds: the Update, two activity hops (retrieve, answer), the activity's stream
client (signals, batched every 30 ms, the first token flushed at once) and the API's long-poll
subscription (``relay_turn``, the code the SSE route runs). Both sides run on one machine with
the real embedder and an embedded Chroma; the worker runs in this process.

Printed side by side, per setup: time to first token (p50, p90), mean spacing of tokens after
the first, the mean extra delay of each token relative to the first ("per-token overhead"), and
time to the final message. Goal: first-token overhead <= 150 ms.

    .venv/bin/python bench/chat.py [--runs 8] [--first-token-ms 200] [--per-token-ms 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from temporalio.client import WorkflowUpdateStage  # noqa: E402
from temporalio.contrib.workflow_streams import WorkflowStreamClient  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from agents.chat import make_chat_graph  # noqa: E402
from agents.chat.model import FixedLatencyChatModel  # noqa: E402
from agents.chat.services import build_chat_services, install_chat_services  # noqa: E402
from api.routers.chat import relay_turn  # noqa: E402
from core.chat import ChatTurn, ConversationInput, ConversationOwner  # noqa: E402
from core.settings import Settings  # noqa: E402
from worker import make_worker, prepare_toolkit  # noqa: E402
from workflows.client import data_converter  # noqa: E402
from workflows.conversation import ConversationWorkflow, conversation_workflow_id  # noqa: E402
from workflows.devserver import temporal_cli_path  # noqa: E402

MESSAGE = "GlobalProtect VPN says authentication failed when I try to connect from home"


def _owner() -> ConversationOwner:
    return ConversationOwner(tenant_id="demo", user_id="bench", conversation_id=f"conv_{uuid.uuid4().hex[:24]}")


async def in_process() -> list[float]:
    """Arrival times (s from the call) of every token of one turn, the graph run in this process."""
    app = make_chat_graph().compile()
    started = time.perf_counter()
    arrivals: list[float] = []
    async for event in app.astream(
        {"owner": _owner().model_dump(), "turn_id": "t", "message": MESSAGE, "history": []}, stream_mode="custom"
    ):
        if event.get("type") == "token":
            arrivals.append(time.perf_counter() - started)
    arrivals.append(time.perf_counter() - started)  # the final state (the "message")
    return arrivals


async def through_workflow(env: WorkflowEnvironment, settings: Settings) -> list[float]:
    """The same, as the SSE route does it: offset query, Update accepted, stream relayed."""
    owner = _owner()
    handle = await env.client.start_workflow(
        ConversationWorkflow.run,
        ConversationInput(owner=owner),
        id=conversation_workflow_id(owner.tenant_id, owner.user_id, owner.conversation_id),
        task_queue=settings.task_queue,
    )
    await handle.execute_update(ConversationWorkflow.ready)
    turn = ChatTurn(turn_id=f"turn_{uuid.uuid4().hex[:12]}", message=MESSAGE)
    started = time.perf_counter()
    offset = await WorkflowStreamClient.create(env.client, handle.id).get_offset()
    update = await handle.start_update(ConversationWorkflow.send_message, turn, id=turn.turn_id, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    result = asyncio.ensure_future(update.result())
    arrivals: list[float] = []
    async for event in relay_turn(env.client, handle.id, turn.turn_id, offset, -1, result):
        if event["event"] in ("token", "message"):
            arrivals.append(time.perf_counter() - started)
    await handle.terminate()
    return arrivals


def summarise(runs: list[list[float]], per_token_s: float) -> dict[str, float]:
    ttft = [r[0] for r in runs]
    spacing = [statistics.mean(b - a for a, b in zip(r[:-1], r[1:-1])) for r in runs if len(r) > 2]
    # Extra delay of token i beyond the model's own schedule (first token + i * per-token latency).
    lag = [statistics.mean(r[i] - r[0] - i * per_token_s for i in range(1, len(r) - 1)) for r in runs if len(r) > 2]
    return {
        "ttft_p50": statistics.median(ttft) * 1000,
        "ttft_p90": sorted(ttft)[max(0, int(len(ttft) * 0.9) - 1)] * 1000,
        "spacing": statistics.mean(spacing) * 1000,
        "lag": statistics.mean(lag) * 1000,
        "final": statistics.median(r[-1] for r in runs) * 1000,
        "tokens": statistics.median(len(r) - 1 for r in runs),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--first-token-ms", type=float, default=200)
    parser.add_argument("--per-token-ms", type=float, default=20)
    args = parser.parse_args()
    per_token_s = args.per_token_ms / 1000

    with tempfile.TemporaryDirectory(prefix="chat-bench-") as state:
        settings = Settings(state_dir=Path(state), task_queue=f"chat-bench-{uuid.uuid4().hex[:6]}")
        print("loading models and seeding the knowledge base...", flush=True)
        toolkit = prepare_toolkit(settings)
        install_chat_services(build_chat_services(toolkit, model=FixedLatencyChatModel(args.first_token_ms / 1000, per_token_s)))
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_cli_path(), data_converter=data_converter(settings), ui=False
        )
        try:
            async with make_worker(env.client, settings):
                await in_process()
                await through_workflow(env, settings)  # warm-up: caches, sticky queue, first compile
                local, remote = [], []
                for _ in range(args.runs):
                    local.append(await in_process())
                    remote.append(await through_workflow(env, settings))
        finally:
            await env.shutdown()

    a, b = summarise(local, per_token_s), summarise(remote, per_token_s)
    print(
        f"\nchat turn, fake model {args.first_token_ms:.0f} ms to first token + {args.per_token_ms:.0f} ms/token, "
        f"{a['tokens']:.0f} tokens, {args.runs} runs each\n"
    )
    print(f"{'':34}{'in-process graph':>18}{'workflow stream':>18}{'overhead':>12}")
    for key, label in [
        ("ttft_p50", "time to first token p50 (ms)"),
        ("ttft_p90", "time to first token p90 (ms)"),
        ("spacing", "token spacing, mean (ms)"),
        ("lag", "per-token delay vs model (ms)"),
        ("final", "time to final message p50 (ms)"),
    ]:
        print(f"{label:34}{a[key]:18.1f}{b[key]:18.1f}{b[key] - a[key]:12.1f}")
    overhead = b["ttft_p50"] - a["ttft_p50"]
    print(f"\nfirst-token overhead {overhead:.0f} ms (goal <= 150 ms): {'met' if overhead <= 150 else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
