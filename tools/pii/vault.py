"""Where redaction mappings wait until a draft is re-hydrated.

A mapping *is* the personal data, so it is stored encrypted (AES-GCM) and expires. Other services
only ever hold the mapping id; the SQL row is useless without the key.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone
from typing import Mapping

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import NotFoundError
from core.sql import as_utc

_metadata = sa.MetaData()
redaction_mappings = sa.Table(
    "redaction_mappings",
    _metadata,
    sa.Column("mapping_id", sa.String(64), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False, index=True),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("ciphertext", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)


class MappingNotFoundError(NotFoundError):
    code = "mapping_not_found"


class MappingVault:
    """Encrypted placeholder -> value mappings, scoped to a tenant, with a time to live.

    Rows name the key that sealed them, so keys rotate like the Temporal payload keys.
    """

    def __init__(self, engine: sa.Engine, keys: Mapping[str, bytes], active_key_id: str, ttl: timedelta = timedelta(hours=24)) -> None:
        self._engine = engine
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id
        self._ttl = ttl
        _metadata.create_all(engine)

    def put(self, tenant_id: str, mapping: dict[str, str]) -> str:
        mapping_id = f"map_{uuid.uuid4().hex}"
        nonce = os.urandom(12)
        sealed = nonce + self._ciphers[self._active].encrypt(nonce, json.dumps(mapping).encode(), f"{tenant_id}/{mapping_id}".encode())
        now = datetime.now(timezone.utc)
        with self._engine.begin() as connection:
            connection.execute(sa.delete(redaction_mappings).where(redaction_mappings.c.expires_at < now))
            connection.execute(
                redaction_mappings.insert().values(
                    mapping_id=mapping_id, tenant_id=tenant_id, key_id=self._active, ciphertext=sealed, created_at=now, expires_at=now + self._ttl
                )
            )
        return mapping_id

    def get(self, tenant_id: str, mapping_id: str) -> dict[str, str]:
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(redaction_mappings.c.key_id, redaction_mappings.c.ciphertext, redaction_mappings.c.expires_at).where(
                    redaction_mappings.c.mapping_id == mapping_id, redaction_mappings.c.tenant_id == tenant_id
                )
            ).first()
        if row is None or as_utc(row.expires_at) < datetime.now(timezone.utc) or row.key_id not in self._ciphers:
            raise MappingNotFoundError(f"No redaction mapping {mapping_id!r} for this tenant (unknown or expired).")
        sealed: bytes = row.ciphertext
        plain = self._ciphers[row.key_id].decrypt(sealed[:12], sealed[12:], f"{tenant_id}/{mapping_id}".encode())
        return json.loads(plain)



