"""Graph keys of entities: normalised values, and keyed hashes for personal identifiers.

Two mentions of the same thing must meet on one node (``ORA-12541`` and ``ora-12541``; an IBAN
with and without spaces), and personal identifiers (the redactor's
:data:`tools.pii.redaction.PERSONAL_TYPES`: emails, phones, PESEL, NIP, IBAN, names...) must never
be stored in clear. They become ``h:<HMAC-SHA256>`` under a secret key: equal values still meet,
but the graph alone cannot be reversed by hashing candidate PESELs (a plain hash could).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from typing import Iterable

from core.graph_contracts import GraphEntityRef
from tools.pii.redaction import PERSONAL_TYPES

_SPACES = re.compile(r"\s+")
_DIGITS_ONLY = frozenset({"phone", "pesel", "nip", "regon", "credit_card"})
_COMPACT = frozenset({"iban", "pl_id_card", "mac_address"})
HASH_CHARS = 32
"""Hex characters of the HMAC kept in a key (128 bits: no collisions at any realistic graph size)."""


def normalise(entity_type: str, value: str) -> str:
    """The value two mentions of one thing share: case-folded, spacing and punctuation made canonical."""
    text = unicodedata.normalize("NFKC", value).strip()
    if entity_type in _DIGITS_ONLY:
        digits = re.sub(r"\D", "", text)
        if entity_type == "phone" and len(digits) == 11 and digits.startswith("48"):
            digits = digits[2:]  # +48 600 100 200 and 600-100-200 are one Polish number
        return digits
    if entity_type in _COMPACT:
        return re.sub(r"[\s:-]", "", text).upper()
    return _SPACES.sub(" ", text).casefold()


class EntityKeyer:
    """Turns extracted entities into graph references; personal ones are hashed with ``secret``."""

    def __init__(self, secret: bytes, personal_types: Iterable[str] = PERSONAL_TYPES) -> None:
        if len(secret) < 16:
            raise ValueError("the graph hashing key must have at least 16 bytes")
        self._secret = secret
        self.personal_types = frozenset(personal_types)

    @property
    def fingerprint(self) -> str:
        """A short public digest of the key: tells stored hashes of one key from another's, reveals nothing of it."""
        return hmac.new(self._secret, b"triage-desk graph key fingerprint", hashlib.sha256).hexdigest()[:16]

    def hash(self, entity_type: str, value: str) -> str:
        """``h:<hex>``: the keyed hash of a normalised value (the type is part of the message)."""
        digest = hmac.new(self._secret, f"{entity_type}\x1f{normalise(entity_type, value)}".encode(), hashlib.sha256)
        return "h:" + digest.hexdigest()[:HASH_CHARS]

    def ref(self, entity_type: str, value: str, confidence: float = 1.0) -> GraphEntityRef | None:
        """The graph reference of one entity; ``None`` for a value that normalises to nothing."""
        normalised = normalise(entity_type, value)
        if not normalised:
            return None
        if entity_type in self.personal_types:
            key = self.hash(entity_type, value)
            return GraphEntityRef(type=entity_type, key=key, label=f"{entity_type}#{key[2:10]}", hashed=True, confidence=confidence)
        return GraphEntityRef(type=entity_type, key=normalised[:500], label=normalised[:200], hashed=False, confidence=confidence)

    def refs(self, entities: Iterable[tuple[str, str, float]]) -> list[GraphEntityRef]:
        """Distinct references of ``(type, value, confidence)`` triples, each at its highest confidence, in first-seen order."""
        found: dict[tuple[str, str], GraphEntityRef] = {}
        for entity_type, value, confidence in entities:
            ref = self.ref(entity_type, value, round(min(max(confidence, 0.0), 1.0), 4))
            if ref is None:
                continue
            known = found.get((ref.type, ref.key))
            if known is None or ref.confidence > known.confidence:
                found[(ref.type, ref.key)] = ref if known is None else known.model_copy(update={"confidence": ref.confidence})
        return list(found.values())


def derive_secret(material: bytes) -> bytes:
    """A graph hashing key derived from other key material (the payload key), bound to this use."""
    return hmac.new(material, b"triage-desk graph entity keys v1", hashlib.sha256).digest()
