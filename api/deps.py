"""Dependency aliases: the process-wide clients opened in the app lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from temporalio.client import Client

from agents.registry import TriageToolkit
from core.settings import Settings
from tools.pii.vault import MappingVault
from tools.triage_ledger import TriageLedger


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _temporal(request: Request) -> Client:
    return request.app.state.temporal


def _toolkit(request: Request) -> TriageToolkit:
    return request.app.state.toolkit


def _vault(request: Request) -> MappingVault:
    return request.app.state.vault


def _ledger(request: Request) -> TriageLedger:
    return request.app.state.ledger


def _tenant(
    request: Request,
    x_tenant_id: Annotated[str | None, Header(pattern=r"^[A-Za-z0-9_\-]{1,64}$", description="Tenant; defaults to the configured one")] = None,
) -> str:
    return x_tenant_id or request.app.state.settings.default_tenant


SettingsDep = Annotated[Settings, Depends(_settings)]
TemporalDep = Annotated[Client, Depends(_temporal)]
TenantDep = Annotated[str, Depends(_tenant)]
ToolkitDep = Annotated[TriageToolkit, Depends(_toolkit)]
VaultDep = Annotated[MappingVault, Depends(_vault)]
LedgerDep = Annotated[TriageLedger, Depends(_ledger)]
