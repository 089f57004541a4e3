"""Person names in Polish and English tickets, from gazetteers, cues and (English) spaCy NER.

There is no Polish spaCy model on PyPI, and the small English tagger misses Polish names and
inflected forms ("Kowalskiego", "Annie Nowak"), so names are found by rules over the text:

* a known given name (``data/names/given_*.txt``), in any Polish case form generated from the
  nominative by rule (Anna -> Anny/Annie/Annę/Anną/Anno, Jan -> Jana/Janowi/Janem/Janie), with the
  capitalised words right after it as surname ("Jana Nowaka", "Annie Wiśniewskiej");
* a Polish adjectival surname (-ski/-cka/-dzkiego/-ską...) standing on its own;
* a cue before the name: honorifics (Pan/Pani/Panem/Panią, Mr/Mrs/Ms/Dr), greetings (Dear, Hi,
  Szanowny Panie, Cześć), introductions ("nazywam się", "my name is"), sign-offs (Pozdrawiam,
  Regards, Thanks...) and ``--`` signatures;
* in English, the spaCy tagger's PERSON spans, kept only when they pass the same guards.

Guards keep look-alikes out: months and days, teams, job titles, greetings and common
sentence-initial words, brands and devices (``data/names/not_names.txt``), software names
(``data/software.txt``) and places (``data/names/places.txt``, Polish case forms included).
Spans never include the honorific ("Pan <PERSON_1>"), so a reply can still address the person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from presidio_analyzer import EntityRecognizer, RecognizerResult

NAMES_DIR = Path(__file__).resolve().parents[2] / "data" / "names"

SCORE_FULL_NAME = 0.9  # known given name + capitalised surname, or a cue + name
SCORE_CUE = 0.85
SCORE_SPACY = 0.85
SCORE_GIVEN_ALONE = 0.75
SCORE_SURNAME_ALONE = 0.7
_MAX_TOKENS = 3

# A word: letters, with inner apostrophes (O'Connor) and hyphens (Nowak-Kowalska).
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*(?:-[^\W\d_]+(?:['’][^\W\d_]+)*)*")
_SURNAME_SHAPE = re.compile(r"(?:s|c|dz)k(?:i|a|iego|iemu|im|iej|ą|ich)$|(?:s|c|dz)cy$")
_VOWELS = set("aąeęioóuy")

_HONORIFIC = re.compile(
    r"(?:\b(?i:pan|pana|panu|panem|panie|pani|panią|panno|pannie)"
    r"|\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Mgr|Inż|Doktor|Doktora|Doktorem|Profesor|Profesora)\.?)[ \t]+$"
)
_GREETING = re.compile(
    r"(?:^|[\s,.!(])(?:Dear|Hi|Hello|Hey|Good (?:morning|afternoon|evening)|Morning|Cześć|Czesc|Hej|Witaj|Witam|"
    r"Dzień dobry|Dzien dobry|Drogi|Droga|Szanowny|Szanowna|Kochana|Kochany)[ \t,]+$"
)
_INTRO = re.compile(r"(?i:my name is|this is|nazywam się|nazywam sie|mam na imię|z tej strony|podpisano)[ \t:]+$")
_SIGNOFF = re.compile(
    r"^\W*(?:Pozdrawiam|Pozdrowienia|Serdecznie pozdrawiam|Łączę pozdrowienia|Z poważaniem|Z wyrazami szacunku|"
    r"Dziękuję|Dziekuje|Dzięki|Dzieki|Best|Kind regards|Warm regards|Best regards|Many thanks|Regards|Thanks|"
    r"Thank you|Cheers|Sincerely|Yours|BR|Pozdr)\b[^\n]{0,30}$",
    re.IGNORECASE,
)
_SIGNOFF_INLINE = re.compile(
    r"(?:Pozdrawiam|Pozdrowienia|Z poważaniem|Dziękuję|Dzięki|Regards|Thanks|Thank you|Cheers|Sincerely|Best)[ \t]*[,.!][ \t]*$",
)
_DASHES = re.compile(r"^[ \t]*(?:--|—|–)[ \t]*$")
_FROM_DEPT = re.compile(r"^[ \t]+(?:from|in|of|z|ze)[ \t]+(?:the[ \t]+)?(?:[a-ząćęłńóśźż]{2,}|HR|IT)\b")
_PLACE_PREFIX = re.compile(r"\b(?:San|Santa|St|Saint|Port|Fort|Lake|Mount|Nowy|Nowa|Nowe|Stary|Stara)\.?[ \t]+$")
_HONORIFIC_WORDS = {
    "pan", "pana", "panu", "panem", "panie", "pani", "panią", "panno", "pannie",
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "mgr", "inż", "dear", "sir",
}


@dataclass(frozen=True)
class NameLexicon:
    """Lower-cased word sets the rules consult."""

    given: frozenset[str]  # every case form of every given name
    ambiguous: frozenset[str]  # forms that are also common words (Will, Mark): need a surname or a cue
    stop: frozenset[str]  # never a name: months, teams, titles, brands, software
    places: frozenset[str]  # single-word place names and their Polish case forms


def polish_forms(name: str) -> set[str]:
    """Case forms of a given name, by rule from the nominative (extra junk forms are harmless).

    Feminine -a: Anna Anny Annie Annę Anną Anno; Maria Marii Marię Marią; Agnieszka Agnieszki
    Agnieszce; Kasia Kasi Kasię Kasią Kasiu. Masculine: Jan Jana Janowi Janem Janie; Marek Marka
    Markowi Markiem Marku; Tomasz Tomasza Tomaszu; Jerzy Jerzego Jerzemu Jerzym.
    """
    forms = {name}
    if len(name) < 3:
        return forms
    if name.endswith("a"):
        stem = name[:-1]
        forms |= {stem + "ę", stem + "ą", stem + "o"}
        if stem.endswith("i"):  # Maria -> Marii; Kasia -> Kasi, Kasiu
            forms |= {stem + "i", stem, stem[:-1] + "iu"}
        elif stem.endswith("j"):  # Alicja -> Alicji; Maja -> Mai
            forms.add(stem[:-1] + "i" if stem[-2] in _VOWELS else stem + "i")
        elif stem[-1] in "kgl":  # Agnieszka -> Agnieszki; Urszula -> Urszuli, Olu
            forms.add(stem + "i")
            if stem.endswith("l"):
                forms.add(stem + "u")
        elif stem.endswith(("cz", "sz", "rz", "ż", "c")):
            forms.add(stem + "y")
        else:
            forms.add(stem + "y")
        forms.add(_feminine_locative(stem))
        return forms
    if name.endswith(("y", "i")) and name[-2] not in _VOWELS:  # Jerzy, Antoni, Ignacy, Cezary
        stem = name[:-1] if name.endswith("y") else name
        forms |= {stem + "ego", stem + "emu", (stem + "m") if name.endswith("i") else (name + "m")}
        return forms
    if name[-1] in _VOWELS:  # Joe, Chloe, Bruno: left as they are
        return forms
    stem = name[:-2] + name[-1] if name.endswith("ek") and len(name) > 4 and name[-3] not in _VOWELS else name
    forms |= {stem + "a", stem + "owi", stem + ("iem" if stem[-1] in "kg" else "em"), _masculine_locative(stem)}
    return forms


def _feminine_locative(stem: str) -> str:
    for ending, replacement in (("st", "ście"), ("sł", "śle"), ("ch", "sze"), ("k", "ce"), ("g", "dze"), ("t", "cie"), ("d", "dzie"), ("r", "rze"), ("ł", "le"), ("s", "sie"), ("z", "zie")):
        if stem.endswith(ending) and not stem.endswith(("rz", "cz", "sz", "dz")):
            return stem[: -len(ending)] + replacement
    if stem.endswith(("i", "j", "l")):
        return stem + "i" if not (stem.endswith("j") and stem[-2] in _VOWELS) else stem[:-1] + "i"
    if stem.endswith(("rz", "cz", "sz", "ż", "c", "dz")):
        return stem + "y"
    return stem + "ie"


def _masculine_locative(stem: str) -> str:
    if stem.endswith(("k", "g", "ch", "h", "sz", "cz", "rz", "ż", "j", "l", "c", "dz", "ń")):
        return stem + "u"
    for ending, replacement in (("st", "ście"), ("r", "rze"), ("t", "cie"), ("d", "dzie"), ("ł", "le"), ("s", "sie"), ("z", "zie")):
        if stem.endswith(ending):
            return stem[: -len(ending)] + replacement
    return stem + "ie"


def _entries(path: Path) -> Iterable[str]:
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def load_lexicon(names_dir: Path = NAMES_DIR, software_names: Iterable[str] = ()) -> NameLexicon:
    """Read the gazetteers; given-name lines are ``Nominative[: extra forms]``, ``?`` marks ambiguity."""
    given: set[str] = set()
    ambiguous_sources: set[str] = set()
    for filename in ("given_pl.txt", "given_en.txt"):
        for line in _entries(names_dir / filename):
            is_ambiguous = line.startswith("?")
            head, _, extra = line.lstrip("?").partition(":")
            forms = {form.lower() for form in polish_forms(head.strip()) | set(extra.split())}
            (ambiguous_sources if is_ambiguous else given).update(forms)
    places: set[str] = set()
    for line in _entries(names_dir / "places.txt"):
        head, _, extra = line.partition(":")
        for place in [head.strip(), *extra.split()]:
            places.update(word.lower() for word in _WORD.findall(place))
    stop = {word.lower() for line in _entries(names_dir / "not_names.txt") for word in line.split()}
    stop |= {word.lower() for name in software_names for word in _WORD.findall(name)}
    return NameLexicon(
        given=frozenset(given | ambiguous_sources),
        ambiguous=frozenset(ambiguous_sources - given),
        stop=frozenset(stop),
        places=frozenset(places),
    )


class _Token:
    """One word: offsets, lower-cased text, and whether it is written like a name (Anna, O'Connor; not IT, not anna)."""

    __slots__ = ("start", "end", "low", "capitalised")

    def __init__(self, start: int, end: int, low: str, capitalised: bool) -> None:
        self.start, self.end, self.low, self.capitalised = start, end, low, capitalised


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _WORD.finditer(text):
        word, start, end = match.group(0), match.start(), match.end()
        if word.endswith(("'s", "’s")) and len(word) > 3:
            word, end = word[:-2], end - 2
        tokens.append(_Token(start, end, word.lower(), len(word) >= 2 and word[0].isupper() and not word[1:].isupper()))
    return tokens


def _joined(text: str, left: _Token, right: _Token) -> bool:
    """Two words of one name: only spaces between them (no comma, full stop or line break)."""
    gap = text[left.end : right.start]
    return 0 < len(gap) <= 2 and gap.strip(" \t") == ""


class _Finder:
    def __init__(self, text: str, lexicon: NameLexicon) -> None:
        self.text = text
        self.lex = lexicon
        self.tokens = _tokens(text)
        self.found: dict[tuple[int, int], float] = {}

    def is_stop(self, token: _Token) -> bool:
        return token.low in self.lex.stop or token.low in _HONORIFIC_WORDS

    def is_place(self, token: _Token) -> bool:
        return token.low in self.lex.places

    def name_word(self, token: _Token) -> bool:
        """Could be part of a name: capitalised, not a guarded word, not a place unless a given name."""
        return token.capitalised and not self.is_stop(token) and (not self.is_place(token) or token.low in self.lex.given)

    def chain(self, first: int) -> int:
        """Index after the last word of the name starting at ``first`` (words joined by spaces)."""
        last = first
        while last + 1 < len(self.tokens) and last + 1 - first < _MAX_TOKENS:
            nxt = self.tokens[last + 1]
            if not (_joined(self.text, self.tokens[last], nxt) and self.name_word(nxt) and not self.is_place(nxt)):
                break
            last += 1
        return last + 1

    def add(self, first: int, stop: int, score: float) -> None:
        start, end = self.tokens[first].start, self.tokens[stop - 1].end
        if _PLACE_PREFIX.search(self.text[max(0, start - 12) : start]):
            return  # San Jose, Santa Clara, St Helena
        key = (start, end)
        self.found[key] = max(score, self.found.get(key, 0.0))

    def line_rest(self, end: int) -> str:
        newline = self.text.find("\n", end)
        return self.text[end : len(self.text) if newline < 0 else newline]

    def previous_line(self, start: int) -> str:
        line_start = self.text.rfind("\n", 0, start)
        if line_start < 0:
            return ""
        end = len(self.text[:line_start].rstrip("\n \t"))  # skip blank lines between sign-off and name
        return self.text[self.text.rfind("\n", 0, end) + 1 : end]

    def run(self) -> dict[tuple[int, int], float]:
        for index, token in enumerate(self.tokens):
            if not token.capitalised:
                continue
            before = self.text[max(0, token.start - 40) : token.start]
            self._by_cue(index, token, before)
            if self.is_stop(token):
                continue
            if token.low in self.lex.given:
                self._by_given_name(index, token)
            elif _SURNAME_SHAPE.search(token.low) and len(token.low) >= 5 and not self.is_place(token):
                self._by_surname_shape(index, token)
        return self.found

    def _by_cue(self, index: int, token: _Token, before: str) -> None:
        if not self.name_word(token) or (self.is_place(token) and token.low not in self.lex.given):
            return
        stop = self.chain(index)
        rest = self.line_rest(self.tokens[stop - 1].end)
        if _HONORIFIC.search(before) or _INTRO.search(before):
            self.add(index, stop, SCORE_CUE)
        elif _GREETING.search(before):
            # "Dear Anna", "Hi Tom," -- an unknown word only when punctuation or the line end follows it
            if token.low in self.lex.given or re.match(r"^[ \t]*(?:[,!:]|$)", rest):
                self.add(index, stop, SCORE_CUE)
        elif _SIGNOFF_INLINE.search(before) and re.match(r"^[ \t]*(?:[,.]|$)", rest):
            self.add(index, stop, SCORE_CUE)  # "Regards, Sophie Turner"
        elif token.start == self._line_start(token.start) and re.match(r"^[ \t]*(?:,|$)", rest):
            previous = self.previous_line(token.start)
            if _SIGNOFF.match(previous) or _DASHES.match(previous):
                self.add(index, stop, SCORE_CUE)  # a signature line under "Pozdrawiam," or "--"
        elif re.search(r"(?:^|\n)[ \t]*(?:--|—)[ \t]*$", before) and re.match(r"^[ \t]*(?:,|$)", rest):
            self.add(index, stop, SCORE_CUE)  # "-- Anna Nowak"

    def _line_start(self, position: int) -> int:
        line_start = self.text.rfind("\n", 0, position) + 1
        return line_start + (len(self.text[line_start:position]) - len(self.text[line_start:position].lstrip(" \t")))

    def _by_given_name(self, index: int, token: _Token) -> None:
        first = index
        if index > 0:  # "Kowalski Jan": a -ski surname just before the given name
            previous = self.tokens[index - 1]
            if previous.capitalised and _SURNAME_SHAPE.search(previous.low) and _joined(self.text, previous, token) and not self.is_stop(previous):
                first = index - 1
        stop = self.chain(index)
        if stop - first >= 2:
            self.add(first, stop, SCORE_FULL_NAME)
            return
        if self.is_place(token):  # Jordan, Georgia, Sydney: a person only with a cue
            if _FROM_DEPT.match(self.text[token.end :]):
                self.add(index, stop, SCORE_GIVEN_ALONE)
            return
        if token.low in self.lex.ambiguous and not _FROM_DEPT.match(self.text[token.end :]):
            return
        self.add(index, stop, SCORE_GIVEN_ALONE)

    def _by_surname_shape(self, index: int, token: _Token) -> None:
        if index > 0:
            previous = self.tokens[index - 1]
            if previous.capitalised and _joined(self.text, previous, token):
                return  # Bank Polski, Uniwersytet Warszawski: part of a longer proper name
        self.add(index, self.chain(index), SCORE_SURNAME_ALONE)


def find_people(text: str, lexicon: NameLexicon) -> list[tuple[int, int, float]]:
    """(start, end, score) of person names found by the rules; overlapping spans keep the longest."""
    found = _Finder(text, lexicon).run()
    kept: list[tuple[int, int, float]] = []
    for (start, end), score in sorted(found.items(), key=lambda item: (-(item[0][1] - item[0][0]), -item[1])):
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, score))
    return sorted(kept)


def accept_tagged_person(text: str, start: int, end: int, lexicon: NameLexicon) -> tuple[int, int] | None:
    """Trim and vet a PERSON span from the statistical tagger; None when a guard rejects it."""
    span = text[start:end]
    newline = span.find("\n")
    if newline >= 0:  # "James Anderson\nHelp Desk Lead"
        span, end = span[:newline], start + newline
    tokens = _tokens(span)
    while tokens and tokens[0].low in _HONORIFIC_WORDS:
        tokens = tokens[1:]
    if not tokens or any(ch.isdigit() for ch in span):
        return None
    for token in tokens:
        if not token.capitalised or token.low in lexicon.stop or (token.low in lexicon.places and token.low not in lexicon.given):
            return None
    first, last = tokens[0], tokens[-1]
    absolute_start, absolute_end = start + first.start, start + last.end
    if len(tokens) == 1 and first.low not in lexicon.given:
        preceding = text[:absolute_start].rstrip(" \t")
        if not preceding or preceding[-1] in ".!?\n:":  # a capitalised word opening a sentence ("Jenkins builds...")
            return None
    if _PLACE_PREFIX.search(text[max(0, absolute_start - 12) : absolute_start]):
        return None
    return absolute_start, absolute_end


class PersonRecognizer(EntityRecognizer):
    """Presidio recognizer for PERSON in Polish and English; merges the spaCy tagger's PERSON spans
    (English pipeline) with the rule-based ones, through the same guards."""

    def __init__(self, lexicon: NameLexicon, supported_language: str) -> None:
        self._lexicon = lexicon
        super().__init__(supported_entities=["PERSON"], name="PersonRecognizer", supported_language=supported_language, context=[])

    def load(self) -> None:  # gazetteers are loaded once by load_lexicon and shared between languages
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:  # type: ignore[no-untyped-def,override]
        if entities and "PERSON" not in entities:
            return []
        spans: dict[tuple[int, int], float] = {(start, end): score for start, end, score in find_people(text, self._lexicon)}
        for entity in getattr(nlp_artifacts, "entities", None) or []:
            if entity.label_ not in ("PERSON", "PER"):
                continue
            accepted = accept_tagged_person(text, entity.start_char, entity.end_char, self._lexicon)
            if accepted and not any(s < accepted[1] and accepted[0] < e for s, e in spans):
                spans[accepted] = SCORE_SPACY
        return [RecognizerResult("PERSON", start, end, score) for (start, end), score in sorted(spans.items())]
