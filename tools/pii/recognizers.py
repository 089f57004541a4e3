"""Custom Presidio recognizers for a Polish/English service desk.

Each is a ``PatternRecognizer`` with class-level patterns and context words (Polish and English).
Checksums are not enforced here: a wrongly-typed PESEL next to the word "PESEL" must still be
found so redaction cannot miss it; :mod:`tools.pii.entities` marks validity afterwards.
"""

from __future__ import annotations

import re
from pathlib import Path

from presidio_analyzer import Pattern, PatternRecognizer


def _recognizer(entity: str, patterns: list[tuple[str, str, float]], context: list[str], language: str) -> PatternRecognizer:
    return PatternRecognizer(
        supported_entity=entity,
        patterns=[Pattern(name, regex, score) for name, regex, score in patterns],
        context=context,
        supported_language=language,
        name=f"{entity.title().replace('_', '')}Recognizer",
    )


# (entity, [(pattern name, regex, base score)], context words in Polish and English)
_SPECS: tuple[tuple[str, list[tuple[str, str, float]], list[str]], ...] = (
    ("PL_PESEL", [("pesel", r"\b\d{11}\b", 0.3)], ["pesel", "numer pesel", "nr pesel"]),
    (
        "PL_NIP",
        [("nip dashed", r"\b(?:PL)?\d{3}-\d{3}-\d{2}-\d{2}\b|\b(?:PL)?\d{3}-\d{2}-\d{2}-\d{3}\b", 0.5), ("nip", r"\b(?:PL)?\d{10}\b", 0.2)],
        ["nip", "vat", "tax id", "numer nip"],
    ),
    ("PL_REGON", [("regon", r"\b\d{9}\b|\b\d{14}\b", 0.1)], ["regon", "numer regon"]),
    ("PL_ID_CARD", [("dowod", r"\b[A-Z]{3}\s?\d{6}\b", 0.3)], ["dowód", "dowod", "dowodu", "id card", "identity card", "osobisty"]),
    ("PL_POSTAL_CODE", [("kod", r"\b\d{2}-\d{3}\b", 0.4)], ["kod pocztowy", "ul.", "ulica", "postal", "zip", "address", "adres"]),
    (
        "MAC_ADDRESS",
        [("mac", r"\b(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\b", 0.85), ("mac dotted", r"\b[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\b", 0.8)],
        ["mac"],
    ),
    (
        "HOSTNAME",
        [
            ("server name", r"\b(?:srv|db|app|web|dc|fs|mail|vpn|proxy|lb|k8s|node|host)[a-z0-9]*(?:-[a-z0-9]+){1,5}\b", 0.75),
            ("fqdn", r"\b[a-z0-9][a-z0-9-]{1,62}(?:\.[a-z0-9-]{2,63}){1,5}\.(?:local|lan|corp|internal|intra)\b", 0.8),
        ],
        ["host", "server", "serwer", "hostname", "maszyna"],
    ),
    (
        "ERROR_CODE",
        [
            ("oracle", r"\b(?:ORA|TNS|PLS)-\d{5}\b", 0.9),
            ("http", r"\bHTTP\s?[1-5]\d{2}\b", 0.85),
            ("hresult", r"\b0x[0-9A-Fa-f]{8}\b", 0.85),
            ("azure", r"\bAADSTS\d{5,6}\b", 0.9),
            ("generic", r"\b(?:E|ERR|ERROR)[-_]?\d{3,5}\b", 0.6),
            ("windows error", r"(?<=\berror )\d{3,4}\b|(?<=\bbłąd )\d{3,4}\b", 0.6),
        ],
        ["error", "błąd", "code", "kod błędu", "exception"],
    ),
    (
        "VERSION",
        [("semver", r"\b[vV]?\d{1,3}\.\d{1,3}\.\d{1,4}(?:[.-][0-9A-Za-z]+)?\b", 0.5), ("version word", r"(?<=version )\d+(?:\.\d+)+\b|(?<=wersja )\d+(?:\.\d+)+\b", 0.7)],
        ["version", "wersja", "release", "build"],
    ),
    (
        "FILE_PATH",
        [
            ("unix", r"(?<![\w/])/(?:[\w.\-]+/)+[\w.\-]*[\w\-]", 0.6),
            ("windows", r"\b[A-Za-z]:\\(?:[^\\\s:*?\"<>|]+\\)*[^\\\s:*?\"<>|]*", 0.7),
            ("unc", r"\\\\[\w.\-]+(?:\\[^\\\s]+)+", 0.7),
        ],
        ["file", "path", "plik", "ścieżka", "folder", "katalog"],
    ),
    (
        "MONEY",
        [
            ("amount currency", r"(?<!\w)\d{1,3}(?:[ \u00a0]?\d{3})*(?:[.,]\d{1,2})?\s?(?:PLN|zł|zl|EUR|€|USD|\$|GBP|£)(?!\w)", 0.85),
            ("currency amount", r"(?:PLN|EUR|USD|GBP|\$|€|£)\s?\d{1,3}(?:[ ,]?\d{3})*(?:[.,]\d{1,2})?\b", 0.85),
        ],
        ["charged", "paid", "refund", "kwota", "zapłaciłem", "obciążono"],
    ),
    (
        "DATE",
        [
            ("iso", r"\b\d{4}-\d{2}-\d{2}\b", 0.7),
            ("dotted", r"\b\d{1,2}[./]\d{1,2}[./]\d{4}\b", 0.6),
            ("words en", r"\b\d{1,2}\s(?:January|February|March|April|May|June|July|August|September|October|November|December)\s\d{4}\b", 0.7),
            ("words pl", r"\b\d{1,2}\s(?:stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|listopada|grudnia)(?:\s\d{4})?\b", 0.7),
        ],
        ["date", "data", "dnia", "since", "od"],
    ),
)


def build_custom_recognizers(language: str, software_names: list[str], id_patterns: dict[str, str]) -> list[PatternRecognizer]:
    """All custom recognizers for one language."""
    recognizers = [_recognizer(entity, patterns, context, language) for entity, patterns, context in _SPECS]
    for entity, regex in id_patterns.items():
        recognizers.append(_recognizer(entity.upper(), [(entity, regex, 0.85)], [], language))
    if software_names:
        alternatives = "|".join(re.escape(name) for name in sorted(software_names, key=len, reverse=True))
        recognizers.append(
            _recognizer("SOFTWARE", [("gazetteer", rf"(?i)(?<!\w)(?:{alternatives})(?!\w)", 0.9)], ["system", "application", "aplikacja"], language)
        )
    return recognizers


def load_software_names(path: Path) -> list[str]:
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]
