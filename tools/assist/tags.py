"""Tag suggestions for ``ai.suggestTags`` from three offline sources.

1. the tag vocabulary ``data/assist/tags.yaml`` (English and Polish cues per tag): precise, readable;
2. the ticket classifier's subcategory (``login-issue``) when it is confident, so a ticket that
   names none of the cues still gets its topic;
3. software the entity extractor recognises (``outlook``, ``globalprotect``): concrete systems are
   the tags agents filter by.

Tags are lower-case slugs, most evidence first, at most ``MAX_TAGS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from tools.assist.lexicon import compile_entries, load_yaml

MAX_TAGS = 6
CLASSIFIER_MIN_CONFIDENCE = 0.5
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def slug(value: str) -> str:
    return re.sub(r"[^a-z0-9ąćęłńóśźż]+", "-", value.lower()).strip("-")[:40]


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, re.Pattern[str]]:
    return {str(tag): compile_entries(list(cues)) for tag, cues in load_yaml("tags").items()}


@dataclass(frozen=True)
class TagEvidence:
    tag: str
    weight: float
    source: str


def vocabulary_names() -> list[str]:
    """The tags of the vocabulary file (the model's prompt prefers these)."""
    return sorted(_vocabulary())


def vocabulary_tags(text: str) -> list[TagEvidence]:
    found = []
    for tag, pattern in _vocabulary().items():
        hits = len(pattern.findall(text))
        if hits:
            found.append(TagEvidence(tag, 1.0 + 0.2 * min(hits, 5), "vocabulary"))
    return found


def suggest_tags(
    text: str,
    *,
    subcategory: str | None = None,
    classifier_confidence: float = 0.0,
    software: Iterable[str] = (),
    limit: int = MAX_TAGS,
) -> list[str]:
    """Tags for ``text``: vocabulary cues, the classifier's subcategory, recognised software."""
    evidence = vocabulary_tags(text)
    if subcategory and classifier_confidence >= CLASSIFIER_MIN_CONFIDENCE:
        evidence.append(TagEvidence(slug(subcategory), 0.9 + 0.2 * classifier_confidence, "classifier"))
    for name in software:
        evidence.append(TagEvidence(slug(name), 1.1, "entity"))
    best: dict[str, float] = {}
    for item in evidence:
        if item.tag and TAG_PATTERN.match(item.tag):
            best[item.tag] = max(best.get(item.tag, 0.0), item.weight)
    return [tag for tag, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))][:limit]
