"""What may leave for a model: the ticket with personal data replaced by typed placeholders.

Three layers, because names are the weak spot of NER (bench/entities.py: person recall 0.60):

1. the entities extract_entities already found (Presidio + our recognizers), via
   :meth:`Redactor.redact_found` (no second analysis);
2. the values the request itself tells us belong to a person: the customer's name (and each part
   of it, with Polish inflected forms: "Kowalski" also covers "Kowalskiego") and email address;
3. a last pattern net for what must never leave even when a recognizer missed it or its checksum
   failed: email addresses, IBAN-like and card-like numbers, 11-digit numbers (PESEL), phone
   numbers.

The mapping lets :func:`tools.pii.redaction.rehydrate` put the originals back into the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from tools.pii.entities import ExtractedEntity
from tools.pii.redaction import Redactor

_PLACEHOLDER = re.compile(r"<([A-Z_]+)_(\d+)>")
_SAFETY_NET: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?\b")),
    ("CREDIT_CARD", re.compile(r"\b\d{4}(?:[ -]?\d{4}){2,3}\b")),
    ("PESEL", re.compile(r"\b\d{11}\b")),
    ("PHONE", re.compile(r"(?<![\w+])(?:\+\d{1,3}[ -]?)?(?:\(?\d{2,3}\)?[ -]?)?\d{3}[ -]?\d{3}[ -]?\d{2,3}\b")),
)


@dataclass(frozen=True)
class GuardedText:
    """Text safe to send, and placeholder -> original for re-hydration."""

    text: str
    mapping: dict[str, str]


def _entities(state_entities: Iterable[dict[str, Any]]) -> list[ExtractedEntity]:
    return [
        ExtractedEntity(e["type"], e["value"], e["confidence"], e["position"], e["end"], e.get("valid"))
        for e in state_entities
        if e.get("end") is not None
    ]


class _Numbering:
    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = dict(mapping)
        self._by_value = {value: placeholder for placeholder, value in mapping.items()}
        self._next: dict[str, int] = {}
        for placeholder in mapping:
            match = _PLACEHOLDER.fullmatch(placeholder)
            if match:
                self._next[match.group(1)] = max(self._next.get(match.group(1), 0), int(match.group(2)))

    def placeholder(self, kind: str, value: str) -> str:
        if value in self._by_value:
            return self._by_value[value]
        self._next[kind] = self._next.get(kind, 0) + 1
        placeholder = f"<{kind}_{self._next[kind]}>"
        self.mapping[placeholder] = value
        self._by_value[value] = placeholder
        return placeholder


def _name_patterns(name: str) -> list[re.Pattern[str]]:
    """The full name, then each capitalised part of 3+ letters with any inflected ending."""
    parts = [part for part in re.findall(r"[^\W\d_][^\W\d_'-]*", name) if len(part) >= 3]
    patterns = [re.compile(r"\b" + r"\s+".join(re.escape(p) for p in parts) + r"\b")] if len(parts) > 1 else []
    for part in sorted(parts, key=len, reverse=True):
        stem = part[:-1] if len(part) >= 5 and part[-1].lower() in "aeiouyi" else part
        stem = stem[:-1] if len(stem) >= 6 and stem.lower().endswith(("ki", "ka")) else stem
        patterns.append(re.compile(r"\b" + re.escape(stem[0].upper() + stem[1:]) + r"\w*"))
    return patterns


def guard_text(
    text: str,
    *,
    redactor: Redactor | None = None,
    entities: Iterable[dict[str, Any]] = (),
    people: Iterable[str] = (),
    emails: Iterable[str] = (),
    mapping: dict[str, str] | None = None,
) -> GuardedText:
    """``text`` with personal data replaced.

    ``mapping`` continues an earlier guard's numbering (the draft after the ticket), so one value
    keeps one placeholder across both texts; ``entities`` (offsets into ``text``) are used only
    when no mapping is given, since they come from the ticket.
    """
    base = dict(mapping or {})
    found = _entities(entities)
    if redactor is not None and found and not base:
        redaction = redactor.redact_found(text, found)
        text, base = redaction.text, dict(redaction.mapping)
    numbering = _Numbering(base)
    for email in emails:
        if email:
            text = re.sub(re.escape(email), lambda m: numbering.placeholder("EMAIL", m.group(0)), text, flags=re.IGNORECASE)
    for person in people:
        if person and person.strip():
            for pattern in _name_patterns(person.strip()):
                text = pattern.sub(lambda m: numbering.placeholder("PERSON", m.group(0)), text)
    for kind, pattern in _SAFETY_NET:
        text = pattern.sub(lambda m, kind=kind: numbering.placeholder(kind, m.group(0)), text)  # type: ignore[misc]
    return GuardedText(text=text, mapping=numbering.mapping)
