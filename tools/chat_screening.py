"""Screening a chat turn before any model sees it: prompt injection, abuse, out-of-scope requests.

Pure and deterministic (regular expressions, no model, no clock): the chat graph's ``screen``
node runs inside the Temporal workflow. Prompt injection reuses :func:`tools.policy.detect_manipulation`
(the same detector the triage policy check uses); abuse and out-of-scope are this module's small
English/Polish lists. A refused turn gets a fixed, typed answer and never reaches a model.
"""

from __future__ import annotations

import re
import unicodedata

from core.chat import Refusal
from tools.policy import CREDENTIAL_REQUEST, HIDDEN_INSTRUCTION, PROMPT_INJECTION, ROLE_OVERRIDE, detect_manipulation

_INJECTION_CODES = {PROMPT_INJECTION, ROLE_OVERRIDE, HIDDEN_INSTRUCTION, CREDENTIAL_REQUEST}
_FOLD = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")

_ABUSE = re.compile(
    r"\b(?:fuck\w*|shit\w*|bitch\w*|asshole\w*|bastard\w*|moron\w*|idiot\w*|retard\w*|stupid\s+(?:bot|machine|ai)|"
    r"(?:i(?:'ll| will)\s+(?:kill|hurt|find)\s+you)|go\s+to\s+hell|"
    r"kurw\w*|chuj\w*|jeb\w*|pierdol\w*|spierdal\w*|debil\w*|idiot\w*|kretyn\w*|skurwysyn\w*|zabije\s+cie)\b",
    re.IGNORECASE,
)
_OUT_OF_SCOPE = re.compile(
    r"\b(?:write|compose|tell)\s+(?:me\s+)?(?:a\s+)?(?:poem|song|story|joke|essay|haiku|limerick)\b"
    r"|\b(?:weather|forecast)\s+(?:in|for|today|tomorrow)\b|\bwhat(?:'s| is)\s+the\s+weather\b"
    r"|\b(?:recipe|cook|bake)\s+(?:for|a|an|me)\b|\bstock\s+(?:tips?|price|market)\b|\bwho\s+will\s+win\b"
    r"|\b(?:football|soccer|nba|election)\s+(?:score|results?|prediction)\b|\bdo\s+my\s+homework\b"
    r"|\b(?:napisz|ulóz)\s+(?:mi\s+)?(?:wiersz|piosenk\w*|opowiadanie|zart|dowcip)\b|\bopowiedz\s+(?:mi\s+)?(?:dowcip|zart|kawal)\b"
    r"|\bjaka\s+(?:bedzie\s+)?pogoda\b|\bprzepis\s+na\b|\bodrob\s+(?:za\s+mnie\s+)?(?:prace\s+domowa|lekcje)\b",
    re.IGNORECASE,
)

REFUSAL_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "out_of_scope": "I can help with IT and customer-support questions only (accounts, billing, devices, "
        "access, orders). Please ask me about one of those, or create a ticket for our team.",
        "abusive": "I want to help, but I can't continue with messages like this. Please describe the problem "
        "you need solved and I'll do my best.",
        "prompt_injection": "I can't follow instructions that change how I work or ask for credentials. "
        "Please describe the support problem you need help with.",
    },
    "pl": {
        "out_of_scope": "Pomagam tylko w sprawach IT i obsługi klienta (konta, płatności, urządzenia, dostępy, "
        "zamówienia). Zapytaj o jedną z nich albo utwórz zgłoszenie dla naszego zespołu.",
        "abusive": "Chcę pomóc, ale nie mogę kontynuować rozmowy w takim tonie. Opisz proszę problem, "
        "a zrobię, co w mojej mocy.",
        "prompt_injection": "Nie mogę wykonywać poleceń zmieniających sposób mojego działania ani podawać "
        "danych logowania. Opisz proszę problem, z którym potrzebujesz pomocy.",
    },
}


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


def screen_turn(message: str) -> Refusal | None:
    """The refusal for a turn that must not be answered, else None (injection first, then abuse, then scope)."""
    findings = [f for f in detect_manipulation(message) if f.code in _INJECTION_CODES]
    if findings:
        return Refusal(kind="prompt_injection", reason=f"{findings[0].code}: {findings[0].evidence}")
    text = _folded(message)
    if (hit := _ABUSE.search(text)) is not None:
        return Refusal(kind="abusive", reason=f"abusive language: {hit.group(0)[:30]}")
    if (hit := _OUT_OF_SCOPE.search(text)) is not None:
        return Refusal(kind="out_of_scope", reason=f"not a support request: {' '.join(hit.group(0).split())[:40]}")
    return None


def refusal_text(kind: str, language: str) -> str:
    return REFUSAL_TEXT.get(language, REFUSAL_TEXT["en"])[kind]
