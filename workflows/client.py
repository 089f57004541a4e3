"""The Temporal client and data converter shared by the API and ``worker.py``."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from temporalio.client import Client
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from core.payload_keys import load_payload_keys
from core.settings import Settings
from workflows.codec import EncryptionCodec, codec_from_keys


def payload_codec(settings: Settings) -> EncryptionCodec:
    """The codec from ``TRIAGE_PAYLOAD_KEYS``, or the local key file (see :mod:`core.payload_keys`)."""
    keys = load_payload_keys(settings)
    return codec_from_keys(keys.keys, keys.active)


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
