"""``triage-desk keys``: create, list and revoke API keys (kept out of ``cli.py`` so it stays a table of commands).

    triage-desk keys create --tenant acme --role agent [--user anna]
    triage-desk keys list [--tenant acme] [--active]
    triage-desk keys revoke KEY_ID
"""

from __future__ import annotations

import argparse

import sqlalchemy as sa

from core.sql import create_engine
from core.api_keys import ROLES, ApiKey, ApiKeyStore
from core.settings import get_settings

__all__ = ["add_keys_command"]


def _store() -> tuple[ApiKeyStore, sa.Engine]:
    settings = get_settings()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.sql_url)
    return ApiKeyStore(engine, cache_seconds=0), engine


def _line(key: ApiKey) -> str:
    state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}Z" if key.revoked_at else "active"
    return f"{key.key_id}  {key.tenant_id:<20} {key.role:<8} {key.user_id or '-':<24} {key.created_at:%Y-%m-%d %H:%M}Z  {state}"


def create(args: argparse.Namespace) -> int:
    store, engine = _store()
    try:
        record, key = store.create(args.tenant, args.role, args.user)
    finally:
        engine.dispose()
    print(f"API key {record.key_id} for tenant {record.tenant_id}, role {record.role}" + (f", user {record.user_id}" if record.user_id else ""))
    print(key)
    print("Store it now: it will not be shown again. Send it as 'Authorization: Bearer <key>' (or 'X-API-Key: <key>').")
    return 0


def list_keys(args: argparse.Namespace) -> int:
    store, engine = _store()
    try:
        keys = store.list(args.tenant, include_revoked=not args.active)
    finally:
        engine.dispose()
    if not keys:
        print("no API keys" + (f" for tenant {args.tenant}" if args.tenant else ""))
    for key in keys:
        print(_line(key))
    return 0


def revoke(args: argparse.Namespace) -> int:
    store, engine = _store()
    try:
        key = store.revoke(args.key_id)
    finally:
        engine.dispose()
    print(f"revoked {_line(key)}")
    print("API processes stop accepting it within TRIAGE_API_KEY_CACHE_SECONDS.")
    return 0


def add_keys_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``keys create|list|revoke`` on the ``triage-desk`` parser; handlers return exit codes and
    raise :class:`core.errors.TriageError` for bad input (``cli.main`` prints its code)."""
    keys_cmd = commands.add_parser("keys", help="create, list and revoke API keys", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = keys_cmd.add_subparsers(dest="keys_command", required=True)

    create_cmd = actions.add_parser("create", help="mint a key (printed once)")
    create_cmd.add_argument("--tenant", required=True, help="tenant the key acts for")
    create_cmd.add_argument("--role", required=True, choices=ROLES, help="agent: own tenant only; admin/service: may act for any tenant via X-Tenant-ID")
    create_cmd.add_argument(
        "--user",
        help="user or system the key belongs to (for audit; it owns conversations and cases); conversation workflow ids "
        "carry a hash of it, never the id itself",
    )
    create_cmd.set_defaults(handler=create)

    list_cmd = actions.add_parser("list", help="list keys (never their secrets)")
    list_cmd.add_argument("--tenant")
    list_cmd.add_argument("--active", action="store_true", help="hide revoked keys")
    list_cmd.set_defaults(handler=list_keys)

    revoke_cmd = actions.add_parser("revoke", help="revoke a key by its id")
    revoke_cmd.add_argument("key_id")
    revoke_cmd.set_defaults(handler=revoke)
