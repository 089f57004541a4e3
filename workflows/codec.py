"""AES-GCM payload encryption for everything Temporal stores.

Workflow and activity inputs and results live in Temporal history and show in its UI; tickets
hold personal data (PESEL, IBAN, emails), so every payload is encrypted by the API's client and
the worker before it leaves the process. The key id travels in the payload metadata so keys can
rotate: new payloads use the active key, old ones decrypt with whichever key they name.
"""

from __future__ import annotations

import base64
import os
from typing import Iterable, Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from core.errors import ConfigurationError
from core.payload_keys import generate_key, parse_key  # noqa: F401  (generate_key: README's key recipe)

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"


class EncryptionCodec(PayloadCodec):
    """Encrypts with the active key; decrypts with the key named in each payload."""

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ConfigurationError(f"active payload key id {active_key_id!r} is not among the configured keys")
        self._keys = dict(keys)
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._active = active_key_id

    @property
    def keys(self) -> dict[str, bytes]:
        """Key id -> AES key, for other stores that encrypt at rest with the same keys."""
        return dict(self._keys)

    @property
    def active_key_id(self) -> str:
        return self._active

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._active]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(12)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), None)
            encoded.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID_METADATA: self._active.encode()},
                    data=nonce + sealed,
                )
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)
                continue
            key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode()
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise ConfigurationError(f"payload was encrypted with unknown key id {key_id!r}")
            plain = cipher.decrypt(payload.data[:12], payload.data[12:], None)
            decoded.append(Payload.FromString(plain))
        return decoded


def codec_from_keys(encoded_keys: Mapping[str, str], active_key_id: str) -> EncryptionCodec:
    return EncryptionCodec({key_id: parse_key(value) for key_id, value in encoded_keys.items()}, active_key_id)


def key_ids(codec: EncryptionCodec) -> Iterable[str]:
    return codec._ciphers.keys()
