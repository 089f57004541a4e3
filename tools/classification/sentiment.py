"""Lexicon sentiment for support tickets: angry, frustrated, neutral or positive.

Support sentiment is about escalation risk, not polarity: "charged twice again" is frustrated even
without a negative word, so repetition and urgency cues count alongside emotional words.
"""

from __future__ import annotations

import re

_ANGRY = re.compile(
    r"\b(unacceptable|ridiculous|outrageous|furious|worst|disgusting|scam|fraud|lawyer|sue|"
    r"terrible|horrible|awful|pathetic|joke|skandal\w*|oszust\w*|żenując\w*|nieakceptowal\w*|wściek\w*)\b",
    re.IGNORECASE,
)
_FRUSTRATED = re.compile(
    r"\b(again|still|twice|second time|third time|already|waiting|nobody|no one|not working|doesn'?t work|"
    r"can'?t|cannot|unable|frustrat\w*|annoy\w*|disappoint\w*|please help|urgent\w*|asap|"
    r"nadal|znowu|ponownie|wciąż|dwukrotnie|nie działa|nie mogę|pilne|czekam)\b",
    re.IGNORECASE,
)
_POSITIVE = re.compile(
    r"\b(thanks?|thank you|great|appreciate\w*|love|excellent|awesome|happy|dziękuję|dzięki|super|świetn\w*)\b",
    re.IGNORECASE,
)


def detect_sentiment(text: str) -> str:
    """Classify the customer's mood; ties lean towards the more urgent reading."""
    angry = len(_ANGRY.findall(text)) + (1 if re.search(r"!{2,}|\?{2,}", text) else 0)
    frustrated = len(_FRUSTRATED.findall(text))
    positive = len(_POSITIVE.findall(text))
    shouting = sum(1 for w in re.findall(r"\b[A-Z]{4,}\b", text) if w not in {"HTTP", "VPN", "PESEL", "IBAN"})
    angry += 1 if shouting >= 2 else 0
    if angry >= 2 or (angry >= 1 and frustrated >= 1):
        return "angry"
    if frustrated >= 1 or angry == 1:
        return "frustrated"
    if positive >= 1:
        return "positive"
    return "neutral"
