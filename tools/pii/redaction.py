"""Redaction with stable, typed placeholders, so a draft written on redacted text can be re-hydrated.

Presidio's anonymizer does the replacing; numbering is decided here, before it runs, because the
anonymizer walks entities from the end of the text and a counter inside the operator would number
them backwards. The same value gets the same placeholder everywhere in one text (``<PESEL_1>``
twice means the same person), which is what lets an LLM reason about "the account" and lets us
put the real value back into its answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Iterable, Sequence

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig, RecognizerResult

from tools.pii.entities import EntityExtractor, ExtractedEntity

if TYPE_CHECKING:
    import numpy as np

    from tools.embeddings import Embedder

# Personal data: who someone is, how to reach them, their money. Hostnames, error codes, versions
# and software names stay, because the model needs them to help and they identify nobody.
PERSONAL_TYPES: frozenset[str] = frozenset(
    {
        "email",
        "phone",
        "iban",
        "credit_card",
        "pesel",
        "nip",
        "regon",
        "pl_id_card",
        "pl_postal_code",
        "person",
        "ip_address",
        "mac_address",
    }
)
_PLACEHOLDER = re.compile(r"<([A-Z_]+)_(\d+)>")


@dataclass(frozen=True)
class Redaction:
    """Redacted text, the placeholder -> original mapping, and what was replaced."""

    text: str
    mapping: dict[str, str]
    entities: list[ExtractedEntity] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Distinct values replaced, per entity type."""
        totals: dict[str, int] = {}
        for placeholder in self.mapping:
            kind = _PLACEHOLDER.fullmatch(placeholder)
            if kind:
                totals[kind.group(1).lower()] = totals.get(kind.group(1).lower(), 0) + 1
        return totals


def placeholders_for(entities: Iterable[ExtractedEntity]) -> dict[tuple[str, str], str]:
    """(type, value) -> ``<TYPE_n>``, numbered per type in order of first appearance."""
    numbering: dict[tuple[str, str], str] = {}
    per_type: dict[str, int] = {}
    for entity in sorted(entities, key=lambda e: e.start):
        key = (entity.type, entity.value)
        if key not in numbering:
            per_type[entity.type] = per_type.get(entity.type, 0) + 1
            numbering[key] = f"<{entity.type.upper()}_{per_type[entity.type]}>"
    return numbering


def rehydrate(text: str, mapping: dict[str, str]) -> str:
    """Put original values back; unknown placeholders (an LLM inventing <EMAIL_7>) stay as they are."""
    return _PLACEHOLDER.sub(lambda match: mapping.get(match.group(0), match.group(0)), text)


class Redactor:
    """Replaces personal data found by :class:`EntityExtractor` with typed placeholders."""

    def __init__(self, extractor: EntityExtractor, types: Iterable[str] = PERSONAL_TYPES) -> None:
        self._extractor = extractor
        self._types = frozenset(types)
        self._engine = AnonymizerEngine()

    @property
    def types(self) -> frozenset[str]:
        """What is replaced by default."""
        return self._types

    @property
    def entity_types(self) -> set[str]:
        """Everything that could be replaced on request."""
        return self._extractor.entity_types

    def redact(self, text: str, language: str | None = None, types: Iterable[str] | None = None) -> Redaction:
        return self.redact_found(text, self._extractor.extract(text, language), types)

    def redact_known(self, text: str, known: Sequence[ExtractedEntity], types: Iterable[str] | None = None) -> Redaction:
        """Redact every occurrence in ``text`` of values found in another text it was made from.

        A triage draft is written from the ticket: the personal values it can hold are the ticket's
        own (already extracted), so its stored copy is redacted by value, without a Presidio pass
        (that pass was a fifth of the worker's CPU per auto-resolved ticket). Longer values win
        where occurrences overlap.
        """
        wanted = self._types if types is None else frozenset(types)
        spans: list[ExtractedEntity] = []
        taken: list[tuple[int, int]] = []
        for entity in sorted((e for e in known if e.type in wanted and e.value.strip()), key=lambda e: -len(e.value)):
            for match in re.finditer(re.escape(entity.value), text):
                if any(match.start() < end and start < match.end() for start, end in taken):
                    continue
                taken.append((match.start(), match.end()))
                spans.append(replace(entity, start=match.start(), end=match.end()))
        return self.redact_found(text, sorted(spans, key=lambda e: e.start), types)

    def redact_found(self, text: str, found: Sequence[ExtractedEntity], types: Iterable[str] | None = None) -> Redaction:
        """Redact with entities already extracted from ``text`` (a triage run has them), without analysing it again."""
        wanted = self._types if types is None else frozenset(types)
        entities = [e for e in found if e.type in wanted and text[e.start : e.end] == e.value]
        if not entities:
            return Redaction(text=text, mapping={}, entities=[])
        numbering = placeholders_for(entities)
        # One operator per entity occurrence type; the anonymizer hands each the original span text.
        operators = {
            kind: OperatorConfig("custom", {"lambda": _replacer(kind, numbering)}) for kind in {e.type for e in entities}
        }
        results = [RecognizerResult(entity_type=e.type, start=e.start, end=e.end, score=e.confidence) for e in entities]
        anonymized = self._engine.anonymize(text=text, analyzer_results=results, operators=operators)  # type: ignore[arg-type]
        mapping = {placeholder: value for (_, value), placeholder in numbering.items()}
        return Redaction(text=anonymized.text, mapping=mapping, entities=entities)


def _replacer(kind: str, numbering: dict[tuple[str, str], str]):  # type: ignore[no-untyped-def]
    def replace(value: str) -> str:
        return numbering[(kind, value)]

    return replace


class RedactingEmbedder:
    """Wraps an embedder that calls a provider, so no personal data leaves in the texts it embeds."""

    def __init__(self, inner: "Embedder", redactor: Redactor) -> None:
        self._inner = inner
        self._redactor = redactor

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    def embed(self, texts: Sequence[str]) -> "np.ndarray":
        return self._inner.embed([self._redactor.redact(text).text for text in texts])
