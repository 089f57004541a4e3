"""Dependency aliases: the process-wide clients opened in the app lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from temporalio.client import Client

from core.settings import Settings


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _temporal(request: Request) -> Client:
    return request.app.state.temporal


def _tenant(
    request: Request,
    x_tenant_id: Annotated[str | None, Header(pattern=r"^[A-Za-z0-9_\-]{1,64}$", description="Tenant; defaults to the configured one")] = None,
) -> str:
    return x_tenant_id or request.app.state.settings.default_tenant


SettingsDep = Annotated[Settings, Depends(_settings)]
TemporalDep = Annotated[Client, Depends(_temporal)]
TenantDep = Annotated[str, Depends(_tenant)]
