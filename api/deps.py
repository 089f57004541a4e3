"""Dependency aliases: the process-wide clients opened in the app lifespan, the caller and its tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from temporalio.client import Client

from api.auth import Principal, authenticate, forbidden
from core.settings import Settings
from tools.queries import MappingVault, QueryServices, TriageLedger


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _temporal(request: Request) -> Client:
    return request.app.state.temporal


def _queries(request: Request) -> QueryServices:
    return request.app.state.queries


def _vault(request: Request) -> MappingVault:
    return request.app.state.vault


def _ledger(request: Request) -> TriageLedger:
    return request.app.state.ledger


def _tenant(
    principal: Annotated[Principal, Depends(authenticate)],
    x_tenant_id: Annotated[
        str | None,
        Header(pattern=r"^[A-Za-z0-9_\-]{1,64}$", description="Tenant to act for: admin and service keys only; default the key's tenant"),
    ] = None,
) -> str:
    """The tenant comes from the API key; a header a caller can set only counts for admin/service keys."""
    if x_tenant_id is None or x_tenant_id == principal.tenant_id:
        return principal.tenant_id
    if not principal.may_act_for_other_tenants:
        forbidden(f"an {principal.role} key of tenant {principal.tenant_id} cannot act for tenant {x_tenant_id}")
    return x_tenant_id


SettingsDep = Annotated[Settings, Depends(_settings)]
TemporalDep = Annotated[Client, Depends(_temporal)]
PrincipalDep = Annotated[Principal, Depends(authenticate)]
TenantDep = Annotated[str, Depends(_tenant)]
QueriesDep = Annotated[QueryServices, Depends(_queries)]
VaultDep = Annotated[MappingVault, Depends(_vault)]
LedgerDep = Annotated[TriageLedger, Depends(_ledger)]
