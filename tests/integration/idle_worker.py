"""A minimal worker process for readiness tests: polls a task queue and sends SDK heartbeats.

``python idle_worker.py <address> <task queue> <heartbeat seconds | off>``; prints ``ready`` once
polling. Tests kill it with SIGKILL, as a crash would.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from temporalio import workflow
from temporalio.client import Client
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@workflow.defn(name="IdleProbeWorkflow")
class IdleProbeWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


async def main(address: str, task_queue: str, heartbeat: str) -> None:
    interval = None if heartbeat == "off" else timedelta(seconds=float(heartbeat))
    runtime = Runtime(telemetry=TelemetryConfig(), worker_heartbeat_interval=interval)
    client = await Client.connect(address, runtime=runtime)
    async with Worker(client, task_queue=task_queue, workflows=[IdleProbeWorkflow], workflow_runner=UnsandboxedWorkflowRunner()):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
