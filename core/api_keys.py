"""API keys: who is calling, for which tenant, in which role.

A key is ``td_<key id>_<secret>``: the key id is stored in clear so a key is found by one primary-key
look-up, the secret only as its SHA-256 (secrets are 32 random bytes, so a plain hash cannot be
brute-forced and no slow KDF is needed). The clear key is returned once, by :meth:`ApiKeyStore.create`.

The tenant of every API request comes from its key, never from a header a caller can set; only
``admin`` and ``service`` keys may act for another tenant explicitly (see ``api/auth.py``).

Verifying is on the hot path of every request, so verified answers (positive and negative) are
kept in process for ``cache_seconds``; a key revoked by another process therefore stops working
within that time (at once in the process that revoked it). Verifying never writes: the API does
not write stores on reads, which is why there is no ``last_used`` column.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal, get_args

import sqlalchemy as sa

from core.sql import create_engine
from core.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from core.settings import Settings

__all__ = [
    "ROLES",
    "ApiKey",
    "ApiKeyStore",
    "Principal",
    "Role",
    "ensure_dev_key",
    "DEV_KEY_FILE",
]

Role = Literal["agent", "admin", "service"]
ROLES: tuple[str, ...] = get_args(Role)
#: Roles that may name a tenant other than their own (``X-Tenant-ID``).
CROSS_TENANT_ROLES: frozenset[str] = frozenset({"admin", "service"})
KEY_PREFIX = "td"
DEV_KEY_FILE = "dev-api-key"
_KEY_PATTERN = re.compile(r"^td_([0-9a-f]{16})_([A-Za-z0-9_\-]{43})$")
_TENANT_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_CACHE_LIMIT = 10_000

_metadata = sa.MetaData()
api_keys = sa.Table(
    "api_keys",
    _metadata,
    sa.Column("key_id", sa.String(16), primary_key=True),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("tenant_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(200), nullable=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_api_keys_tenant", "tenant_id"),
)


@dataclass(frozen=True)
class Principal:
    """The verified caller of a request: the tenant it acts for, its user and role, and the key used."""

    tenant_id: str
    user_id: str | None
    role: str
    key_id: str

    @property
    def may_act_for_other_tenants(self) -> bool:
        """Admin and service keys may name a tenant explicitly; agent keys are bound to their own."""
        return self.role in CROSS_TENANT_ROLES


@dataclass(frozen=True)
class ApiKey:
    """A stored key as operators see it (never the secret)."""

    key_id: str
    tenant_id: str
    user_id: str | None
    role: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands timezone-aware columns back naive; they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def _row_to_key(row: sa.Row) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        role=row.role,
        created_at=_utc(row.created_at),  # type: ignore[arg-type]
        revoked_at=_utc(row.revoked_at),
    )


class ApiKeyStore:
    """API keys in the SQL store (same database as the triage ledger and the redaction vault).

    Args:
        engine: SQLAlchemy engine of ``settings.sql_url``.
        cache_seconds: how long a verification answer is reused in this process (0 disables the cache).
        clock: monotonic seconds; tests pass a fake to expire the cache.
    """

    def __init__(self, engine: sa.Engine, cache_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._cache_seconds = cache_seconds
        self._clock = clock
        # sha256(presented key) -> (expires at, principal or None). Keyed by a hash so the clear keys of
        # callers are not kept in memory longer than the request.
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()
        _metadata.create_all(engine)

    def create(self, tenant_id: str, role: str, user_id: str | None = None) -> tuple[ApiKey, str]:
        """Mint a key; returns the stored record and the clear key, which is not kept and cannot be shown again."""
        if role not in ROLES:
            raise InvalidInputError(f"role must be one of {', '.join(ROLES)}, not {role!r}", code="invalid_role")
        if not _TENANT_PATTERN.fullmatch(tenant_id):
            raise InvalidInputError(
                f"tenant id {tenant_id!r} must be 1-64 letters, digits, '_' or '-' (the form X-Tenant-ID accepts)", code="invalid_tenant"
            )
        if user_id is not None and not (0 < len(user_id) <= 200):
            raise InvalidInputError("user id must be 1-200 characters", code="invalid_user")
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)  # 32 random bytes -> 43 url-safe characters
        record = ApiKey(key_id, tenant_id, user_id, role, datetime.now(timezone.utc), None)
        with self._engine.begin() as connection:
            connection.execute(
                api_keys.insert().values(
                    key_id=key_id,
                    secret_sha256=_sha256(secret),
                    tenant_id=tenant_id,
                    user_id=user_id,
                    role=role,
                    created_at=record.created_at,
                    revoked_at=None,
                )
            )
        return record, f"{KEY_PREFIX}_{key_id}_{secret}"

    def cached(self, presented: str) -> tuple[bool, Principal | None]:
        """``(True, answer)`` when this key was verified less than ``cache_seconds`` ago; no I/O, so the
        API can answer the common case without a thread hop."""
        if self._cache_seconds <= 0:
            return False, None
        digest = _sha256(presented)
        with self._lock:
            entry = self._cache.get(digest)
            if entry is None:
                return False, None
            if entry[0] <= self._clock():
                del self._cache[digest]
                return False, None
            return True, entry[1]

    def verify(self, presented: str) -> Principal | None:
        """The principal of an active key, or None for a malformed, unknown, wrong or revoked one.

        Blocking (one SQL look-up on a cache miss): call it from a thread in async code.
        """
        hit, principal = self.cached(presented)
        if hit:
            return principal
        principal = self._verify_uncached(presented)
        if self._cache_seconds > 0:
            with self._lock:
                if len(self._cache) >= _CACHE_LIMIT:  # a flood of distinct bad keys must not grow memory without bound
                    self._cache.clear()
                self._cache[_sha256(presented)] = (self._clock() + self._cache_seconds, principal)
        return principal

    def _verify_uncached(self, presented: str) -> Principal | None:
        match = _KEY_PATTERN.fullmatch(presented.strip())
        if match is None:
            return None
        key_id, secret = match.groups()
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_sha256.encode(), _sha256(secret).encode()):
            return None
        return Principal(tenant_id=row.tenant_id, user_id=row.user_id, role=row.role, key_id=row.key_id)

    def list(self, tenant_id: str | None = None, include_revoked: bool = True) -> builtins.list[ApiKey]:
        """Keys, oldest first, optionally of one tenant and only active ones."""
        query = sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.key_id)
        if tenant_id is not None:
            query = query.where(api_keys.c.tenant_id == tenant_id)
        if not include_revoked:
            query = query.where(api_keys.c.revoked_at.is_(None))
        with self._engine.connect() as connection:
            return [_row_to_key(row) for row in connection.execute(query)]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key (idempotent: revoking twice keeps the first time). Other API processes stop
        accepting it within ``cache_seconds``; this one at once."""
        with self._engine.begin() as connection:
            row = connection.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()
            if row is None:
                raise NotFoundError(f"no API key with id {key_id!r}", code="api_key_not_found")
            if row.revoked_at is None:
                connection.execute(api_keys.update().where(api_keys.c.key_id == key_id).values(revoked_at=datetime.now(timezone.utc)))
            row = connection.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).one()
        with self._lock:
            self._cache = {digest: entry for digest, entry in self._cache.items() if entry[1] is None or entry[1].key_id != key_id}
        return _row_to_key(row)


def ensure_dev_key(settings: Settings) -> str | None:
    """Give a fresh dev stack a key, so the README's curl works on first start.

    Creates an ``admin`` key (user ``dev``) for ``settings.default_tenant`` and writes it to
    ``{state_dir}/dev-api-key`` (mode 0600). Returns the new key, or None when the file already holds
    a working one. A file whose key no longer verifies (the database was reset) is replaced.
    Admin, not agent, so a developer can try other tenants with ``X-Tenant-ID`` without minting keys.
    """
    path: Path = settings.state_dir / DEV_KEY_FILE
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.sql_url)
    try:
        store = ApiKeyStore(engine, cache_seconds=0)
        if path.exists():
            if store.verify(path.read_text(encoding="utf-8").strip()) is not None:
                return None
            path.unlink()
        _, key = store.create(settings.default_tenant, "admin", user_id="dev")
    finally:
        engine.dispose()
    # O_EXCL: never follow or overwrite a file someone else put there; 0600 from the start, not chmod after.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key
