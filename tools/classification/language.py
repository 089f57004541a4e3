"""Cheap, dependency-free language detection for the two languages tickets arrive in (pl, en)."""

from __future__ import annotations

import re

_POLISH_LETTERS = re.compile(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
_POLISH_WORDS = frozenset(
    "nie jest się mam mój moje mojego proszę dzień dobry pan pani jak czy oraz który która "
    "że dla przez od do na w z zamówienie konto hasło faktura zwrot płatność błąd działa "
    "witam pozdrawiam dziękuję nadal znowu pilne ale jako go pod po przy tak już jeszcze sprawie bez "
    "mi mnie jestem został została można trzeba albo lub tylko".split()
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str) -> str:
    """Return ``"pl"`` when the text reads as Polish, else ``"en"``.

    Polish diacritics are a strong signal (one is enough next to a Polish function word); ASCII-only Polish ("nie moge sie zalogowac") is caught by
    the share of common Polish function words.
    """
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return "en"
    diacritics = len(_POLISH_LETTERS.findall(text))
    polish_words = sum(1 for w in words if w in _POLISH_WORDS)
    if diacritics >= 2 or (diacritics and polish_words) or polish_words / len(words) >= 0.15:
        return "pl"
    return "en"
