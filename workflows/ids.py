"""Deterministic workflow ids: a repeated request for the same ticket finds the same run."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._:\-]")


def triage_workflow_id(tenant_id: str, ticket_id: str) -> str:
    """``triage-{tenant}-{ticket_id}`` with characters Temporal's UI URLs dislike replaced."""
    return f"triage-{_UNSAFE.sub('_', tenant_id)}-{_UNSAFE.sub('_', ticket_id)}"
