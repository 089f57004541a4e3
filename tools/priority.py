"""Impact x urgency priority matrix (ITIL style) with VIP and security bumps.

Impact and urgency are read from the ticket's wording; the matrix maps them to P1..P5 and each
level carries an SLA target in minutes (seed 002). The seed-001 ``sla_hours`` is the tighter of
the category's SLA and the priority's target, rounded up to whole hours.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

SEVERITIES = ("critical", "high", "medium", "low")

MATRIX: dict[str, dict[str, str]] = {
    "critical": {"critical": "P1", "high": "P1", "medium": "P2", "low": "P3"},
    "high": {"critical": "P1", "high": "P2", "medium": "P3", "low": "P3"},
    "medium": {"critical": "P2", "high": "P3", "medium": "P3", "low": "P4"},
    "low": {"critical": "P3", "high": "P4", "medium": "P4", "low": "P5"},
}
SLA_MINUTES = {"P1": 60, "P2": 240, "P3": 480, "P4": 1440, "P5": 4320}

_IMPACT_CUES: dict[str, re.Pattern[str]] = {
    "critical": re.compile(
        r"\b(all users|all (our |of our )?customers|everyone|entire (company|office|site)|whole (company|office)|production (is )?down|"
        r"(production|main) (server|site|system|database) (is )?(completely )?down|"
        r"outage|data loss|ransomware|breach|"
        # Polish, with the case forms a sentence puts them in
        r"całkowita awaria|awaria (całego|całej|wszystkich)|wszyscy (użytkownicy|klienci|pracownicy)|"
        r"wszystkich (użytkowników|klientów|pracowników)|żaden (klient|użytkownik)|cał(a|ej|ą) firm(a|y|ie|ę)|"
        r"całe(go)? biur(o|a)|produkcja (nie działa|leży|stoi)|"
        r"(serwer|system|baza danych|strona|sklep|aplikacja)\w* produkcyjn\w* (nie działa|leży|padł\w*|stoi|nie odpowiada)|"
        r"produkcyjn\w* (serwer|system|baza danych|środowisko)\w* (nie działa|leży|padł\w*|stoi|nie odpowiada)|"
        r"utrat\w* danych|wyciek danych)\b",
        re.IGNORECASE,
    ),
    "high": re.compile(
        r"\b(production|prod|srv-prod\S*|many users|whole team|department|customers (can'?t|cannot)|"
        r"service unavailable|503|down|not responding|cały zespół|dział|klienci nie mogą|serwer|"
        r"produkcyjn\w*|wielu (użytkowników|klientów|pracowników)|usługa (jest )?niedostępna|nie odpowiada|"
        r"leży|padł\w*)\b",
        re.IGNORECASE,
    ),
    "low": re.compile(
        r"\b(question|how do i|how to|feature request|suggestion|feedback|when convenient|no rush|"
        r"pytanie|sugestia|jak mogę|propozycja|w wolnej chwili|bez pośpiechu|nie ma pośpiechu)\b",
        re.IGNORECASE,
    ),
}
_URGENCY_CUES: dict[str, re.Pattern[str]] = {
    "critical": re.compile(
        r"\b(immediately|right now|emergency|critical|asap|natychmiast\w*|od razu|krytyczn\w*|awaria|"
        r"stoimy|nikt nie może pracować)\b|!!!",
        re.IGNORECASE,
    ),
    "high": re.compile(
        r"\b(urgent\w*|today|deadline|blocked|cannot work|can'?t work|month-end|as soon as possible|"
        r"pilne|pilnie|dzisiaj|dziś|termin|nie mogę pracować|nie możemy pracować|zablokowan\w*|"
        r"jak najszybciej|blokuje|koniec miesiąca)\b",
        re.IGNORECASE,
    ),
    "low": re.compile(
        r"\b(whenever|no rush|not urgent|low priority|nie jest pilne|niepilne|w wolnej chwili|bez pośpiechu|nie ma pośpiechu)\b",
        re.IGNORECASE,
    ),
}
_SECURITY = re.compile(
    r"\b(phishing|hacked|breach|malware|ransomware|virus|compromised|suspicious (login|activity|email)|"
    r"stolen|leak\w*|unauthori[sz]ed|włamanie|wyciek\w*|podejrzan\w*)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PriorityAssessment:
    level: str
    impact: str
    urgency: str
    sla_target: int
    sla_hours: int
    adjustments: list[str] = field(default_factory=list)


def _read_level(text: str, cues: dict[str, re.Pattern[str]], default: str) -> str:
    for level in ("critical", "high", "low"):
        if cues[level].search(text):
            return level
    return default


def matched_cues(text: str) -> dict[str, list[str]]:
    """The wording that set impact and urgency, per dimension (``impact``, ``urgency``, ``security``):
    the reasons a prediction can quote."""
    found: dict[str, list[str]] = {}
    for name, cues in (("impact", _IMPACT_CUES), ("urgency", _URGENCY_CUES)):
        level = _read_level(text, cues, "medium")
        if level in cues:
            found[name] = list(dict.fromkeys(m.group(0).lower() for m in cues[level].finditer(text)))
    security = [m.group(0).lower() for m in _SECURITY.finditer(text)]
    if security:
        found["security"] = list(dict.fromkeys(security))
    return found


def _bump(level: str) -> str:
    return f"P{max(1, int(level[1]) - 1)}"


class PriorityMatrix:
    """Assigns P1..P5 from the ticket text, category SLA, VIP status and security cues."""

    def __init__(self, vip_domains: list[str] | None = None, vip_emails: list[str] | None = None) -> None:
        self._vip_domains = {d.lower().lstrip("@") for d in (vip_domains or [])}
        self._vip_emails = {e.lower() for e in (vip_emails or [])}

    def is_vip(self, customer_email: str) -> bool:
        email = customer_email.lower().strip()
        return bool(email) and (email in self._vip_emails or email.rsplit("@", 1)[-1] in self._vip_domains)

    def assess(self, text: str, category_sla_hours: int, customer_email: str = "", sentiment: str = "neutral") -> PriorityAssessment:
        impact = _read_level(text, _IMPACT_CUES, "medium")
        urgency = _read_level(text, _URGENCY_CUES, "medium")
        if urgency == "medium" and sentiment == "angry":
            urgency = "high"
        level = MATRIX[impact][urgency]
        adjustments: list[str] = []
        if _SECURITY.search(text):
            level = _bump(level)
            adjustments.append("security")
        if self.is_vip(customer_email):
            level = _bump(level)
            adjustments.append("vip")
        sla_target = SLA_MINUTES[level]
        sla_hours = max(1, min(category_sla_hours, math.ceil(sla_target / 60), 168))
        return PriorityAssessment(level, impact, urgency, sla_target, sla_hours, adjustments)
