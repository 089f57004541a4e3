"""Extractive ticket summary for ``ai.summarizeTicket`` when no model is configured.

Why extractive: every sentence of the summary is the customer's own (redacted) words, so it cannot
state anything the ticket does not. Sentences are scored by how many of the ticket's frequent
content words they hold (a sentence about the main problem repeats its terms), with a bonus for the
first one (tickets state the problem first); the best are kept in their original order, within a
length budget.
"""

from __future__ import annotations

import re
from collections import Counter

MAX_SENTENCES = 3
MAX_CHARS = 480
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[^\W\d_][\w'-]*", re.UNICODE)
STOPWORDS = frozenset(
    """a an and are as at be been being but by can could did do does for from had has have i if in into is it its
    me my of on or our so that the their them then there these they this to was we were what when which while who
    will with would you your not no yes also just any all some please hello hi dear thanks thank regards since
    i'm it's can't don't doesn't there's
    i oraz a ale lub czy że to ten ta te jest są był była było być się w we z ze na do od po o dla nie tak jak
    mój moja moje mi mnie jego jej ich nas nam już jeszcze bardzo proszę dzień dobry pozdrawiam dziękuję przez
    przy który która które tym tego tej tam tu też""".split()
)


_GREETING = re.compile(r"^(hello|hi|hey|dear [^,]{0,40}|dzień dobry|witam|cześć|szanown\w* [^,]{0,40})[,!]?\s*", re.IGNORECASE)


def split_sentences(text: str) -> list[str]:
    """Sentences of at least three words, without a leading greeting ("Hello, ...")."""
    sentences = (_GREETING.sub("", s.strip(" -•\t")) for s in _SENTENCE_END.split(text) if s)
    return [s[0].upper() + s[1:] for s in sentences if len(_WORD.findall(s)) >= 3]


def _terms(sentence: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(sentence) if len(w) > 2 and w.lower() not in STOPWORDS]


def extractive_summary(subject: str, description: str, extra: list[str] | None = None) -> str:
    """A few of the ticket's own sentences: the ones that carry its main terms, in order.

    ``extra`` are later texts of the case (a resolution, conversation turns): their first sentence
    each is appended when there is room, so a resolved ticket's summary says how it ended.
    """
    subject = subject.strip()
    sentences = split_sentences(description)
    if subject and (not sentences or not description.strip().startswith(subject[: max(10, len(subject) // 2)])):
        sentences = [subject.rstrip(".") + "."] + sentences if len(_WORD.findall(subject)) >= 2 else sentences
    if not sentences:
        return (subject or description.strip())[:MAX_CHARS]
    frequency = Counter(term for sentence in sentences for term in set(_terms(sentence)))
    scored = []
    for index, sentence in enumerate(sentences):
        terms = _terms(sentence)
        weight = sum(frequency[t] for t in set(terms)) / (1 + len(terms)) ** 0.5 if terms else 0.0
        scored.append((weight + (1.0 if index == 0 else 0.0), index, sentence))
    chosen: list[tuple[int, str]] = []
    used = 0
    for _, index, sentence in sorted(scored, key=lambda item: (-item[0], item[1])):
        if len(chosen) == MAX_SENTENCES:
            break
        if used + len(sentence) > MAX_CHARS and chosen:
            continue
        chosen.append((index, sentence[:MAX_CHARS]))
        used += len(sentence) + 1
    summary = " ".join(sentence for _, sentence in sorted(chosen))
    for text in extra or []:
        first = next(iter(split_sentences(text)), "")
        if first and used + len(first) <= MAX_CHARS + 200:
            summary += f" {first}"
            used += len(first) + 1
    return summary
