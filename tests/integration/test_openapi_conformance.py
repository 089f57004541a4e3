"""schemathesis against the live app (ASGI, real worker and stores): for every operation, bounded
and deterministic schema-valid requests with an agent key; no 5xx, only status codes the OpenAPI
schema declares, responses that match their declared schemas, and every schema-valid request
accepted (``positive_data_acceptance``: a 4xx other than 401/403/404/409/429 means the schema
promised something the API refuses, so the schema is the truth about what is accepted).

Hypothesis runs in a thread (it is synchronous) and sends each request through the session's event
loop, where the app's Temporal client lives.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from core.settings import Settings
from tests.integration.conftest import KeyHeaders

#: Examples per operation; operations that run a whole triage per example get fewer.
MAX_EXAMPLES = 20
SLOW_OPERATIONS = {("POST", "/api/v1/tickets/process"): 6, ("POST", "/v1/ai/triage"): 6, ("PATCH", "/api/v1/tickets/{ticket_id}"): 8}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance, positive_data_acceptance]
TIME_LIMIT_S = 90


def _httpx_kwargs(transport_kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs = {key: transport_kwargs[key] for key in ("method", "url", "params", "headers", "cookies") if key in transport_kwargs}
    if "json" in transport_kwargs:
        kwargs["json"] = transport_kwargs["json"]
    elif "data" in transport_kwargs:
        data = transport_kwargs["data"]
        kwargs["content" if isinstance(data, (bytes, str)) else "data"] = data
    return kwargs


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_every_operation_conforms_to_the_openapi_schema(
    api_app: FastAPI, integration_settings: Settings, key_headers: KeyHeaders
) -> None:
    schema = schemathesis.openapi.from_dict(api_app.openapi())
    loop = asyncio.get_running_loop()
    tenant = integration_settings.default_tenant
    auth = key_headers(tenant)
    failures: list[str] = []
    statuses: dict[str, dict[int, int]] = {}
    started = time.monotonic()

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api_app), base_url="http://testserver", timeout=120) as http:

        def send(kwargs: dict[str, Any]) -> httpx.Response:
            return asyncio.run_coroutine_threadsafe(http.request(**kwargs), loop).result(timeout=150)

        def run_all() -> None:
            for result in schema.get_all_operations():
                operation = result.ok()
                examples = SLOW_OPERATIONS.get((operation.method.upper(), operation.path), MAX_EXAMPLES)

                @settings(
                    max_examples=examples,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
                def check(case: schemathesis.Case) -> None:
                    if case.headers and "X-Tenant-ID" in case.headers:
                        # Any other tenant is a documented 403 for this key: keep the header (it is
                        # optional and valid) but let the example reach the operation itself.
                        case.headers["X-Tenant-ID"] = tenant
                    response = send(_httpx_kwargs(case.as_transport_kwargs(base_url="http://testserver", headers=auth)))
                    seen = statuses.setdefault(f"{operation.method.upper()} {operation.path}", {})
                    seen[response.status_code] = seen.get(response.status_code, 0) + 1
                    case.validate_response(response, checks=CHECKS)

                try:
                    check()
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as exc:  # schemathesis' FailureGroup: collect every operation's, report them all
                    failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")

        await asyncio.to_thread(run_all)
    elapsed = time.monotonic() - started
    print(f"schemathesis: {sum(sum(s.values()) for s in statuses.values())} requests in {elapsed:.1f} s")
    for operation_name, seen in statuses.items():
        print(f"  {operation_name}: {dict(sorted(seen.items()))}")
    assert not failures, "\n\n".join(failures)
    assert elapsed < TIME_LIMIT_S, elapsed
