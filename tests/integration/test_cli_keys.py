"""``triage-desk keys``: create prints the key once, list never shows secrets, revoke stops the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

import cli
from core.api_keys import ApiKeyStore
from core.settings import get_settings



def _store() -> ApiKeyStore:
    return ApiKeyStore(sa.create_engine(get_settings().sql_url), cache_seconds=0)


def test_keys_create_list_revoke(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["keys", "create", "--tenant", "acme", "--role", "agent", "--user", "anna"]) == 0
    out = capsys.readouterr().out
    [key] = re.findall(r"^td_[0-9a-f]{16}_\S{43}$", out, flags=re.M)
    assert "will not be shown again" in out
    key_id = key.split("_")[1]
    principal = _store().verify(key)
    assert principal is not None and (principal.tenant_id, principal.role, principal.user_id) == ("acme", "agent", "anna")

    assert cli.main(["keys", "create", "--tenant", "globex", "--role", "service"]) == 0
    capsys.readouterr()
    assert cli.main(["keys", "list", "--tenant", "acme"]) == 0
    listed = capsys.readouterr().out
    assert key_id in listed and "anna" in listed and "active" in listed and "globex" not in listed
    assert key.split("_", 2)[2] not in listed  # never the secret
    assert cli.main(["keys", "list"]) == 0
    assert "globex" in capsys.readouterr().out

    assert cli.main(["keys", "revoke", key_id]) == 0
    assert "revoked" in capsys.readouterr().out
    assert _store().verify(key) is None
    assert cli.main(["keys", "list", "--tenant", "acme", "--active"]) == 0
    assert capsys.readouterr().out.strip() == "no API keys for tenant acme"


def test_keys_errors_carry_codes(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["keys", "revoke", "0123456789abcdef"]) == 2
    assert "error [api_key_not_found]" in capsys.readouterr().err
    assert cli.main(["keys", "create", "--tenant", "bad tenant", "--role", "agent"]) == 2
    assert "error [invalid_tenant]" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["keys", "create", "--tenant", "acme", "--role", "root"])
