"""Deterministic workflow ids: a repeated request for the same ticket finds the same run.

The id joins tenant and ticket id with ``-``, so each part is escaped first: ``-``, ``~`` and every
character outside ``[A-Za-z0-9._:]`` become ``~XX`` (UTF-8 hex). No part then contains the
separator, and tenant ``acme-x`` with ticket ``1`` can never share a run with tenant ``acme`` and
ticket ``x-1``. ``~`` is URL-safe, so ids stay readable in the Temporal UI.
"""

from __future__ import annotations

import re

_SAFE = re.compile(r"[A-Za-z0-9._:]")


def escape_id_part(part: str) -> str:
    """``acme-x`` -> ``acme~2Dx``: a reversible, separator-free form of one id part."""
    return "".join(ch if _SAFE.fullmatch(ch) else "".join(f"~{byte:02X}" for byte in ch.encode("utf-8", "surrogatepass")) for ch in part)


def triage_workflow_id(tenant_id: str, ticket_id: str) -> str:
    """``triage-{tenant}-{ticket_id}``, each part escaped (see module docstring)."""
    return f"triage-{escape_id_part(tenant_id)}-{escape_id_part(ticket_id)}"


def tenant_workflow_prefix(kind: str, tenant_id: str) -> str:
    """The id prefix of every ``kind`` workflow of one tenant (for visibility queries)."""
    return f"{kind}-{escape_id_part(tenant_id)}-"
