"""API keys: shown once, hashed at rest, verified in constant time and cheaply, revocable; the dev key file."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.api_keys import DEV_KEY_FILE, ApiKeyStore, Principal, api_keys, ensure_dev_key
from core.errors import InvalidInputError, NotFoundError
from core.settings import Settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def engine(tmp_path: Path) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{tmp_path / 'keys.db'}")


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def store(engine: sa.Engine, clock: FakeClock) -> ApiKeyStore:
    return ApiKeyStore(engine, cache_seconds=30, clock=clock)


def _count_selects(engine: sa.Engine) -> list[str]:
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: statements.append(statement))
    return statements


def test_create_returns_the_key_once_and_stores_only_its_hash(store: ApiKeyStore, engine: sa.Engine) -> None:
    record, key = store.create("acme", "agent", user_id="anna@acme.pl")
    prefix, key_id, secret = key.split("_", 2)
    assert prefix == "td" and key_id == record.key_id and len(secret) == 43
    with engine.connect() as connection:
        row = connection.execute(sa.select(api_keys)).one()
    assert secret not in "".join(str(value) for value in row)
    assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert store.verify(key) == Principal(tenant_id="acme", user_id="anna@acme.pl", role="agent", key_id=record.key_id)
    assert record.created_at.tzinfo is not None and record.active


@pytest.mark.parametrize(
    "presented",
    ["", "td_", "not-a-key", "Bearer td_0123456789abcdef_" + "A" * 43, "td_0123456789abcdef_" + "A" * 43, "td_0123456789ABCDEF_" + "A" * 43],
)
def test_malformed_or_unknown_keys_do_not_verify(store: ApiKeyStore, presented: str) -> None:
    store.create("acme", "agent")
    assert store.verify(presented) is None


def test_a_wrong_secret_for_a_real_key_id_does_not_verify(store: ApiKeyStore) -> None:
    record, key = store.create("acme", "admin")
    assert store.verify(f"td_{record.key_id}_{'A' * 43}") is None
    assert store.verify(key[:-1] + ("x" if key[-1] != "x" else "y")) is None
    assert store.verify(key) is not None


def test_verification_is_cached_so_repeated_requests_skip_sql(store: ApiKeyStore, engine: sa.Engine, clock: FakeClock) -> None:
    _, key = store.create("acme", "agent")
    statements = _count_selects(engine)
    for _ in range(20):
        assert store.verify(key) is not None
    assert len(statements) == 1
    assert store.cached(key) == (True, store.verify(key))
    clock.now += 31
    assert store.cached(key) == (False, None)
    assert store.verify(key) is not None and len(statements) == 2


def test_wrong_keys_are_cached_too(store: ApiKeyStore, engine: sa.Engine) -> None:
    statements = _count_selects(engine)
    wrong = "td_0123456789abcdef_" + "A" * 43
    for _ in range(5):
        assert store.verify(wrong) is None
    assert len(statements) == 1


def test_revoke_takes_effect_at_once_in_this_process_and_after_the_cache_elsewhere(engine: sa.Engine, clock: FakeClock) -> None:
    api, operator = ApiKeyStore(engine, 30, clock), ApiKeyStore(engine, 0)
    record, key = operator.create("acme", "service")
    other, other_key = operator.create("acme", "agent")
    assert api.verify(key) is not None and api.verify(other_key) is not None

    operator.revoke(record.key_id)  # another process: the API's cache still trusts the key for a while
    assert api.verify(key) is not None
    clock.now += 31
    assert api.verify(key) is None

    revoked = api.revoke(other.key_id)  # the API's own store: at once
    assert api.verify(other_key) is None and revoked.revoked_at is not None and not revoked.active
    assert api.revoke(other.key_id).revoked_at == revoked.revoked_at  # idempotent
    with pytest.raises(NotFoundError) as missing:
        api.revoke("0123456789abcdef")
    assert missing.value.code == "api_key_not_found"


def test_list_by_tenant_and_active(store: ApiKeyStore) -> None:
    first, _ = store.create("acme", "agent")
    second, _ = store.create("acme", "admin")
    store.create("globex", "agent")
    store.revoke(first.key_id)
    assert [key.key_id for key in store.list("acme")] == [first.key_id, second.key_id]
    assert [key.key_id for key in store.list("acme", include_revoked=False)] == [second.key_id]
    assert len(store.list()) == 3 and store.list("nobody") == []


@pytest.mark.parametrize(
    ("tenant", "role", "user", "code"),
    [("acme", "root", None, "invalid_role"), ("acme x", "agent", None, "invalid_tenant"), ("", "agent", None, "invalid_tenant"), ("acme", "agent", "", "invalid_user")],
)
def test_create_rejects_bad_input_with_a_code(store: ApiKeyStore, tenant: str, role: str, user: str | None, code: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        store.create(tenant, role, user)
    assert error.value.code == code


def test_only_admin_and_service_may_act_for_other_tenants() -> None:
    assert [Principal("t", None, role, "k").may_act_for_other_tenants for role in ("agent", "admin", "service")] == [False, True, True]


def test_ensure_dev_key_writes_a_private_file_once(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state")
    key = ensure_dev_key(settings)
    path = settings.state_dir / DEV_KEY_FILE
    assert key is not None and path.read_text(encoding="utf-8").strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    engine = sa.create_engine(settings.sql_url)
    principal = ApiKeyStore(engine, cache_seconds=0).verify(key)
    assert principal is not None and principal.tenant_id == "demo" and principal.role == "admin"

    assert ensure_dev_key(settings) is None  # second start: the file holds it
    assert path.read_text(encoding="utf-8").strip() == key

    with engine.begin() as connection:  # the database was reset: the stale file is replaced
        connection.execute(api_keys.delete())
    engine.dispose()
    fresh = ensure_dev_key(settings)
    assert fresh is not None and fresh != key and path.read_text(encoding="utf-8").strip() == fresh
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
