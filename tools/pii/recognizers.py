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


# Hostnames. Shape alone is not enough (COVID-19, SHA-256, ORD-48213 and v2.3.1 look like names too), so a
# name needs a digit plus a stronger signal: a server role prefix (db-prod-03, fw-edge-2, sqlnode01,
# WKS-PL-0231), a host word just before it ("serwer kadry01", "na hoście erp-prod-2", "host build-agent-7"),
# an internal domain (mail.corp.local), or a server-like first label under a public domain
# (app-srv-01.example.pl, mail.acme.pl). A scheme or a path makes it a longer `url`, which wins the overlap.
_HOST_ROLES = (
    "srv|server|db|sql|app|web|dc|fs|mail|smtp|vpn|proxy|lb|k8s|node|host|fw|sw|rtr|router|vm|wks|ws|esxi?|hv"
    "|nas|san|prn|ts|rds|jump|bastion|backup|nfs|dns|dhcp|ftp|sftp|git|ldap|mon"
)
_HOST_START = r"\b(?<![.-])"  # not the tail of a longer token
_HOST_END = r"(?![\w-]|\.[a-z0-9])"  # not followed by more name: a dot and a label make it a (longer) FQDN
# Role-prefixed words that are software or codes (DB2, the ACME DNS-01 challenge), and code prefixes that a host word may precede ("server ORA-12541").
_NOT_A_HOST = (
    r"(?!(?:db2|sqlite3|web[23]|dns-01)\b)"
    r"(?!(?:ORA|TNS|PLS|INC|REQ|CHG|TKT|SR|ORD|RMA|PO|HTTP|ERR|ERROR|CVE|KB|RFC|ISO|SHA|COVID|UTF|RJ)-)"
)
_HOST_WORDS = (
    "server|servers|host|hosts|hostname|node|machine|vm|workstation|computer"
    "|serwer|serwera|serwerze|serwerem|serwerów|serwerach|hosta|hoście|hostem|węzeł|węzła|węźle"
    "|maszyna|maszyny|maszynie|maszynę|maszyną|komputer|komputera|komputerze|stacja|stacji|stację"
)
# Up to two plain words between the host word and the name: "serwera terminali ts-krk-05", "host z bazą db01".
_AFTER_HOST_WORD = rf"(?<=\b(?:{_HOST_WORDS})\s+(?:\p{{L}}+\s+){{0,2}})"
# After a host word: a hyphenated name with a digit in its last part, or three+ letters then digits
# (kadry01); not a model number such as R740 or T14.
_CONTEXT_NAME = r"(?:[a-z][a-z0-9]+(?:-[a-z0-9]+)*-[a-z]*\d[a-z0-9]*|[a-z]{3,}\d{1,4}[a-z]?)"
# First label of a public-domain FQDN that reads as a server: it has a digit, or it is a server role.
_SERVER_LABEL = (
    r"(?!www\d*\.)(?:(?=[a-z0-9-]*\d)[a-z][a-z0-9-]{0,62}"
    r"|(?:mail|smtp|imap|vpn|proxy|dc|fs|db|sql|srv|jump|bastion|ldap|ns|dns|ftp|sftp|exch|adfs)(?:-[a-z0-9]+)*)"
)
# "app01.config.yaml" or "backup-01.tar.gz" are files, not hosts.
_FILE_EXTENSIONS = (
    "log|txt|gz|tgz|zip|tar|bak|xml|json|yaml|yml|conf|cfg|ini|ora|csv|sql|xlsx?|docx?|pptx?|pdf|exe|msi|dll"
    "|sh|py|js|css|html?|php|jar|war|md|png|jpe?g|gif|iso|img|vmdk|vhdx|ova|tmp|old|dat|db|pst|ost|lnk|cab|rpm|deb"
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
            ("server name", _HOST_START + _NOT_A_HOST + rf"(?:{_HOST_ROLES})(?=[a-z0-9-]*\d)[a-z]{{0,10}}\d{{0,4}}[a-z]?(?:-[a-z0-9]+){{0,5}}" + _HOST_END, 0.75),
            ("name after host word", _AFTER_HOST_WORD + _HOST_START + _NOT_A_HOST + _CONTEXT_NAME + _HOST_END, 0.7),
            ("fqdn internal", _HOST_START + r"[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9][a-z0-9-]{0,62}){0,4}\.(?:local|lan|corp|internal|intra|localdomain|home\.arpa)" + _HOST_END, 0.9),
            ("fqdn server", _HOST_START + _SERVER_LABEL + r"(?:\.[a-z0-9][a-z0-9-]{0,62}){1,4}" + rf"\.(?!(?:{_FILE_EXTENSIONS})\b)[a-z]{{2,12}}" + _HOST_END, 0.9),
        ],
        ["host", "server", "serwer", "hostname", "maszyna", "node"],
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
        [("semver", r"\b[vV]?\d{1,3}\.\d{1,3}\.\d{1,4}(?:[.-][0-9A-Za-z]+)?\b", 0.5), ("version word", r"(?<=\b(?:version|wersja|wersji|wersję|wersją) )\d+(?:\.\d+)+\b", 0.7)],
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
