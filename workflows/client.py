"""The Temporal client and worker options shared by the API and ``worker.py``."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from core.settings import Settings


async def connect_temporal(settings: Settings) -> Client:
    """Connect with the pydantic data converter (one model in, one model out everywhere)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )
