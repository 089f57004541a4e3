"""The Temporal client and data converter shared by the API and ``worker.py``."""

from __future__ import annotations

import dataclasses
import json
import os

from datetime import timedelta

from temporalio.client import Client
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from core.settings import Settings
from workflows.codec import EncryptionCodec, codec_from_keys, generate_key


def payload_codec(settings: Settings) -> EncryptionCodec:
    """The codec from ``TRIAGE_PAYLOAD_KEYS``; without it, a local key file made once (mode 0600)."""
    if settings.payload_keys:
        keys = {key_id: secret.get_secret_value() for key_id, secret in settings.payload_keys.items()}
        return codec_from_keys(keys, settings.payload_key_id or next(iter(keys)))
    key_file = settings.state_dir / "payload-keys.json"
    if not key_file.exists():
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump({"active": "local-1", "keys": {"local-1": generate_key()}}, handle)
    stored = json.loads(key_file.read_text())
    return codec_from_keys(stored["keys"], stored["active"])


def data_converter(settings: Settings) -> DataConverter:
    """Pydantic payloads (one model in, one model out), encrypted with the payload codec."""
    return dataclasses.replace(pydantic_data_converter, payload_codec=payload_codec(settings))


async def connect_temporal(settings: Settings, *, for_worker: bool = False) -> Client:
    """The process's Temporal client.

    The API connects lazily, so it starts (and answers 503 ``engine_unavailable``) while Temporal
    is down. A worker connects at once, on a runtime that sends SDK worker heartbeats every
    ``TRIAGE_WORKER_HEARTBEAT_INTERVAL_S``: /health/ready calls a worker gone after two missed ones.
    """
    runtime = None
    if for_worker:
        runtime = Runtime(
            telemetry=TelemetryConfig(), worker_heartbeat_interval=timedelta(seconds=settings.worker_heartbeat_interval_s)
        )
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        runtime=runtime,
        lazy=not for_worker,
    )
