"""The AES keys that seal personal data at rest: Temporal payloads, redaction mappings, graph hashes.

Kept in core/ because three layers need them without importing each other: the workflow client's
payload codec, the worker's redaction vault and graph keyer, and the API's vault reader.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import ConfigurationError
from core.settings import Settings


@dataclass(frozen=True)
class PayloadKeys:
    keys: dict[str, str]
    """Key id -> base64 AES key."""
    active: str
    """Id of the key new data is sealed with; the others still open older data (rotation)."""

    def raw(self) -> dict[str, bytes]:
        return {key_id: parse_key(value) for key_id, value in self.keys.items()}


def generate_key() -> str:
    """A new base64 AES-256 key (for ``TRIAGE_PAYLOAD_KEYS``)."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def parse_key(encoded: str) -> bytes:
    """A base64 AES key of 16, 24 or 32 bytes."""
    try:
        key = base64.b64decode(encoded, validate=True)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError("payload encryption key is not valid base64") from exc
    if len(key) not in (16, 24, 32):
        raise ConfigurationError(f"payload encryption key must be 16, 24 or 32 bytes, got {len(key)}")
    return key


def load_payload_keys(settings: Settings) -> PayloadKeys:
    """``TRIAGE_PAYLOAD_KEYS``; without them, a local key file made once (mode 0600) in the state directory."""
    if settings.payload_keys:
        keys = {key_id: secret.get_secret_value() for key_id, secret in settings.payload_keys.items()}
        return PayloadKeys(keys, settings.payload_key_id or next(iter(keys)))
    key_file = settings.state_dir / "payload-keys.json"
    if not key_file.exists():
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it just now
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                json.dump({"active": "local-1", "keys": {"local-1": generate_key()}}, handle)
    stored = json.loads(key_file.read_text())
    return PayloadKeys(stored["keys"], stored["active"])
