"""Shared fixtures: settings on a temporary state dir, and the real models loaded once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from core.settings import Settings  # noqa: E402
from tools.embeddings import UseMultilingualEmbedder  # noqa: E402


@pytest.fixture(scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("state")


@pytest.fixture(scope="session")
def settings(state_dir: Path) -> Settings:
    return Settings(state_dir=state_dir, task_queue="triage-test")


@pytest.fixture(scope="session")
def embedder() -> UseMultilingualEmbedder:
    """The real packaged multilingual USE model, loaded once per session."""
    return UseMultilingualEmbedder()
