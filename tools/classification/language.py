"""Cheap, dependency-free language detection for the two languages tickets arrive in (pl, en).

Why a vote and not a ratio: tickets are short and full of identifiers (``AUTH-401``, ``srv-ad-01``,
``ORD-48213``, logins), so "share of listed Polish words" put short Polish texts under the bar and
they were read as English; the English spaCy tagger then marked Polish words ("konto") as places.
Here identifiers do not vote at all, a word with a Polish-only letter is strong Polish evidence,
and Polish and English function words (ASCII spellings included: people type "prosze", "sie")
vote against each other. Words both languages use ("do", "to", "a", "i", "on", "no", "we") do not vote.
"""

from __future__ import annotations

import re

_POLISH_LETTERS = re.compile(r"[ąćęłńóśźż]", re.IGNORECASE)
# A "word": letters, optionally joined by apostrophes ("don't", "o'clock"). Tokens are taken from
# whitespace-separated chunks so identifiers can be dropped whole (see _is_identifier).
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
# Letter clusters that are routine in Polish spelling and rare in English words.
_POLISH_SHAPE = re.compile(r"(?:cz|sz|rz|prz|ych$|owac$|owa[lł]|iej$|ść)")

_POLISH_WORDS = frozenset(
    """
    nie jest są sa się sie że ze czy jak jaki jaka jakie jakiej jakim co kto gdzie kiedy ile dlaczego czemu
    mi mnie mój moj moje mojego moja moim mojej mojemu twój twoj twoje ta tego tej tym tymi jego jej ich nas nam wam
    dla przez od na w z za po pod przy bez nad o oraz albo lub ale tylko już juz jeszcze bardzo teraz dzisiaj dziś dzis
    jutro wczoraj tak nic nikt proszę prosze prosimy dzień dzien dobry witam pozdrawiam dziękuję dziekuje dzięki dzieki
    mam masz ma mamy macie być byc był byl była byla było bylo będzie bedzie mogę moge można mozna trzeba muszę musze
    chcę chce został zostal została zostala zostało zostalo konto konta koncie hasło haslo hasla hasła błąd blad bledem
    faktura fakture fakturę faktury zamówienie zamowienie zamówienia zamowienia zwrot zwrotu płatność platnosc działa dziala
    nadal znowu pilne sprawie jako też tez który która które ktory ktora ktore jestem jesteś jestes pani państwo panstwo
    wszystko wszystkie coś cos gdy jeśli jesli więc wiec żeby zeby aby bo ani czyli albo oraz około okolo razy
    """.split()
)
_ENGLISH_WORDS = frozenset(
    """
    the an is are was were be been being am of and or for with from by at in into onto it its this that these those
    there here what when where who whom why how which my your yours our their his her hers me you they he she us them
    please can could would should will shall may might must does did done not yes have has had get got getting need needs
    want like just all any some if but so than then up out about after before again still already also only new today
    tomorrow yesterday now every hi hello thanks thank make know tell show give let set been since while because
    """.split()
)
_IDENTIFIER_CHARS = re.compile(r"[\d_@/\\.:#=]|[^\W\d_]-|-[^\W\d_]*\d")


def _is_identifier(chunk: str) -> bool:
    """Codes, hostnames, logins, paths, e-mails, numbers: no language evidence in them.

    ``AUTH-401``, ``srv-ad-01``, ``mag_07``, ``j.kowalski@x.pl``, ``\\\\fs-01\\finance``, ``0x80070005``
    and all-caps acronyms (``VPN``, ``SAP``) are skipped whole. Hyphenated words without digits
    ("e-mail", "Wi-Fi") are skipped too: they are mostly product names.
    """
    core = chunk.strip(".,;:!?()[]{}\"'«»„”“…")
    if not core:
        return True
    if _IDENTIFIER_CHARS.search(core):
        return True
    letters = [c for c in core if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _scores(text: str) -> tuple[float, float]:
    polish = english = 0.0
    sentence_start = True
    for chunk in text.split():
        if _is_identifier(chunk):
            sentence_start = chunk.rstrip()[-1:] in ".!?"
            continue
        for raw in _WORD.findall(chunk):
            word = raw.lower()
            if raw == "I" or "'" in word or "’" in word:
                english += 1  # "I", "don't", "it's", "o'clock": English spelling
            elif _POLISH_LETTERS.search(word):
                # A capitalised word mid-sentence is likely a name ("an office in Łódź"): weaker evidence.
                polish += 1 if (raw[0].isupper() and not sentence_start) else 2
            elif word in _POLISH_WORDS:
                polish += 1
            elif word in _ENGLISH_WORDS:
                english += 1
            elif _POLISH_SHAPE.search(word):
                polish += 0.5
            sentence_start = False
        if chunk[-1:] in ".!?":
            sentence_start = True
    return polish, english


def detect_language(text: str) -> str:
    """Return ``"pl"`` when the text reads as Polish, else ``"en"``.

    Polish wins when its evidence outweighs the English evidence; with no evidence either way
    (only identifiers, or an empty text) the answer is English, the default pipeline.
    """
    polish, english = _scores(text)
    return "pl" if polish > english else "en"
