"""Lexical sentiment scorer (English and Polish) for ``ai.analyzeSentiment``.

Why a lexicon: it is deterministic, explainable (the matched words are the reason) and needs no
model; support text is short and its emotional words are few and well known. Both word lists
(``data/assist/sentiment_en.yaml``, ``sentiment_pl.yaml``) are applied to every text, so a mixed
Polish/English ticket is scored on both.

Score: the sum of matched weights (a negator up to three words before flips a word, an intensifier
right before multiplies it, "!!" and shouting amplify a negative text), squashed by ``tanh`` into
[-1, 1]. Labels follow seed 004: positive >= 0.3, negative <= -0.3, else neutral.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from tools.assist.lexicon import compile_entries, entry_pattern, load_yaml

LANGUAGES = ("en", "pl")
POSITIVE_FROM = 0.3
NEGATIVE_TO = -0.3
URGENCY_LEVELS = ("low", "medium", "high", "critical")
_WORD = re.compile(r"[\w']+")
_SHOUT = re.compile(r"\b[A-ZĄĆĘŁŃÓŚŹŻ]{4,}\b")
_ACRONYMS = {"HTTP", "HTTPS", "VPN", "PESEL", "IBAN", "ORCLPROD", "URGENT", "ASAP"}


@dataclass(frozen=True)
class SentimentResult:
    sentiment: str
    score: float
    emotions: list[str]
    urgency: str
    matched: list[str] = field(default_factory=list)
    """The words that decided the score (for reasons and tests; not part of the seed's answer)."""

    def as_seed(self) -> dict[str, object]:
        return {"sentiment": self.sentiment, "score": self.score, "emotions": self.emotions, "urgency": self.urgency}


@dataclass(frozen=True)
class _Lexicon:
    weighted: list[tuple[re.Pattern[str], float, str]]
    negators: frozenset[str]
    intensifiers: dict[str, float]
    emotions: dict[str, re.Pattern[str]]
    urgency: dict[str, re.Pattern[str]]


@lru_cache(maxsize=4)
def _lexicon(language: str) -> _Lexicon:
    data = load_yaml(f"sentiment_{language}")
    weighted = [
        (re.compile(entry_pattern(word), re.IGNORECASE), float(weight), str(word))
        for group in ("positive", "negative")
        for word, weight in (data.get(group) or {}).items()
    ]
    weighted.sort(key=lambda item: len(item[2]), reverse=True)  # phrases before their words
    return _Lexicon(
        weighted=weighted,
        negators=frozenset(str(n).lower() for n in data.get("negators") or ()),
        intensifiers={str(k).lower(): float(v) for k, v in (data.get("intensifiers") or {}).items()},
        emotions={name: compile_entries(list(words)) for name, words in (data.get("emotions") or {}).items()},
        urgency={level: compile_entries(list(words)) for level, words in (data.get("urgency") or {}).items()},
    )


def _preceding_words(text: str, start: int, count: int) -> list[str]:
    return [w.lower() for w in _WORD.findall(text[max(0, start - 60) : start])][-count:]


def _negated(words: list[str], negators: frozenset[str]) -> bool:
    return any(w in negators or (w.endswith("n't") and "n't" in negators) for w in words)


def _raw_score(text: str, lexicon: _Lexicon, taken: list[tuple[int, int]], matched: list[str]) -> float:
    total = 0.0
    for pattern, weight, word in lexicon.weighted:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < t_end and end > t_start for t_start, t_end in taken):
                continue  # part of a longer phrase already counted ("not working" vs "working now")
            taken.append((start, end))
            before = _preceding_words(text, start, 3)
            value = weight
            if _negated(before, lexicon.negators) and " " not in word.strip():
                value = -0.8 * weight if weight > 0 else -0.3 * weight
            if before and before[-1] in lexicon.intensifiers:
                value *= lexicon.intensifiers[before[-1]]
            total += value
            matched.append(match.group(0).lower())
    return total


def analyze_sentiment(text: str) -> SentimentResult:
    """Sentiment, score in [-1, 1], emotions (most cues first) and urgency of ``text``."""
    taken: list[tuple[int, int]] = []
    matched: list[str] = []
    raw = sum(_raw_score(text, _lexicon(language), taken, matched) for language in LANGUAGES)
    shouting = sum(1 for word in _SHOUT.findall(text) if word not in _ACRONYMS)
    if raw < 0 and (re.search(r"!|\?{2,}", text) or shouting >= 2):
        raw *= 1.25
    score = round(math.tanh(raw / 4.0), 2)
    sentiment = "positive" if score >= POSITIVE_FROM else "negative" if score <= NEGATIVE_TO else "neutral"
    emotions = _emotions(text, score)
    return SentimentResult(sentiment, score, emotions, _urgency(text, score), matched)


def _emotions(text: str, score: float) -> list[str]:
    counts: dict[str, int] = {}
    for language in LANGUAGES:
        for name, pattern in _lexicon(language).emotions.items():
            found = len(pattern.findall(text))
            if found:
                counts[name] = counts.get(name, 0) + found
    if score < 0:
        counts.pop("satisfaction", None)  # "thanks" in an angry message is politeness ("not happy" is no joy)
    elif score > 0:
        for name in ("frustration", "anger", "disappointment"):
            counts.pop(name, None)
    return [name for name, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))][:3]


def _urgency(text: str, score: float) -> str:
    found = "medium"
    for level in ("critical", "high", "low"):
        if any(_lexicon(language).urgency.get(level) and _lexicon(language).urgency[level].search(text) for language in LANGUAGES):
            found = level
            break
    if found in ("medium", "low") and score <= -0.6:
        found = "high"  # a very upset customer is an escalation risk whatever the topic
    return found
