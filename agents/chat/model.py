"""The chat answer's model seam: compose a grounded answer, then stream it token by token.

No LLM provider layer exists yet (``tools/llm/`` is being built), so the call site is kept to one
protocol, :class:`ChatModel`: ``stream(request)`` yields text pieces and ``usage`` reports tokens.
The embedded default, :class:`OfflineChatModel`, streams the retrieval-grounded answer
:func:`compose_answer` wrote from the knowledge base (zero tokens); :class:`FixedLatencyChatModel`
wraps it with a fixed first-token and per-token delay, as a stand-in for a remote model in tests
and ``bench/chat.py``. A provider-backed model would take the same :class:`AnswerRequest` (its
``grounded_answer`` is the reference the prompt quotes) and stream its own tokens.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Protocol

from core.contracts import TokenUsage
from tools.drafting import SourceArticle

_TOKEN = re.compile(r"\S+\s*|\s+")
_FOLLOW_UP = re.compile(
    r"\b(?:didn'?t|did\s+not|doesn'?t|does\s+not|still|again|tried|same|that|it|this|then|also|nie\s+pomog\w*|nadal|dalej|"
    r"wciąż|wciaz|próbowałem|próbowałam|probowalem|to\s+samo|też|tez)\b",
    re.IGNORECASE,
)
_NOT_HELPED = re.compile(
    r"\b(?:didn'?t|did\s+not|doesn'?t|does\s+not|not)\s+(?:help|work|fix|solve)|\bstill\b|\bnie\s+pomog\w*|\bnadal\b|\bwciąż\b|\bwciaz\b|\bdalej\s+nie\b",
    re.IGNORECASE,
)


def tokens_of(text: str) -> list[str]:
    """Word-sized pieces (each with its trailing space) whose concatenation is ``text`` exactly."""
    return _TOKEN.findall(text)


def is_follow_up(message: str) -> bool:
    """A short message that leans on the previous turn ("it still fails", "nadal nie działa")."""
    return len(message.split()) <= 14 and bool(_FOLLOW_UP.search(message))


def not_helped(message: str) -> bool:
    return bool(_NOT_HELPED.search(message))


@dataclass(frozen=True)
class AnswerRequest:
    """Everything a model may use for one answer; ``grounded_answer`` is the offline reference."""

    message: str
    language: str
    grounded_answer: str
    history: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)


class ChatModel(Protocol):
    """What the answer node needs of a model."""

    name: str

    def stream(self, request: AnswerRequest) -> AsyncIterator[str]: ...

    def usage(self, request: AnswerRequest, answer: str) -> TokenUsage: ...


class OfflineChatModel:
    """Streams the grounded answer as it is: no model, no tokens billed."""

    name = "offline"

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        for token in tokens_of(request.grounded_answer):
            yield token

    def usage(self, request: AnswerRequest, answer: str) -> TokenUsage:
        return TokenUsage()


class FixedLatencyChatModel(OfflineChatModel):
    """The offline answer at a remote model's pace: ``first_token_s`` before the first token,
    ``per_token_s`` between tokens; usage counted as whitespace tokens (for the bench)."""

    name = "fixed-latency"

    def __init__(self, first_token_s: float = 0.2, per_token_s: float = 0.02) -> None:
        self.first_token_s = first_token_s
        self.per_token_s = per_token_s

    async def stream(self, request: AnswerRequest) -> AsyncIterator[str]:
        await asyncio.sleep(self.first_token_s)
        for index, token in enumerate(tokens_of(request.grounded_answer)):
            if index:
                await asyncio.sleep(self.per_token_s)
            yield token

    def usage(self, request: AnswerRequest, answer: str) -> TokenUsage:
        prompt = len(request.message.split()) + sum(len(str(m.get("content", "")).split()) for m in request.history)
        output = len(answer.split())
        return TokenUsage(input=prompt, output=output, total=prompt + output, cost=0.0)


# ---------------------------------------------------------------- the grounded (offline) answer
_TEXT = {
    "en": {
        "earlier": 'Earlier in this conversation we looked at "{title}" [{doc_id}].',
        "not_helped": 'Since the steps from "{title}" [{doc_id}] did not solve it, here is what to try next.',
        "intro": 'Based on our article "{title}" [{doc_id}], try these steps:',
        "also": 'Related: "{title}" [{doc_id}].',
        "offer": "If this does not solve it, I can create a ticket for our {team}.",
        "nothing": "I could not find an article in our knowledge base that covers this. I can create a ticket "
        "for our {team} so a person can look at it.",
        "nothing_new": "I have no other article for this, so the best next step is a ticket for our {team}: "
        "they will pick it up with this conversation attached.",
    },
    "pl": {
        "earlier": "Wcześniej w tej rozmowie korzystaliśmy z artykułu [{doc_id}].",
        "not_helped": "Skoro kroki z artykułu [{doc_id}] nie pomogły, spróbuj teraz tego.",
        "intro": "Na podstawie naszego artykułu [{doc_id}] wykonaj te kroki:",
        "also": "Powiązany artykuł: [{doc_id}].",
        "offer": "Jeśli to nie pomoże, mogę utworzyć zgłoszenie dla zespołu „{team}”.",
        "nothing": "Nie znalazłem w bazie wiedzy artykułu na ten temat. Mogę utworzyć zgłoszenie dla zespołu „{team}”, "
        "aby zajęła się nim osoba z naszego zespołu.",
        "nothing_new": "Nie mam innego artykułu na ten temat, więc najlepiej utworzyć zgłoszenie dla zespołu „{team}”; "
        "rozmowa zostanie do niego dołączona.",
    },
}


def previous_article(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The best citation of the latest assistant message that had one."""
    for message in reversed(history):
        if message.get("role") == "assistant" and message.get("citations"):
            return message["citations"][0]
    return None


def compose_answer(
    *,
    message: str,
    language: str,
    articles: list[SourceArticle],
    related: list[tuple[str, str]],
    history: list[dict[str, Any]],
    team: str,
) -> str:
    """The offline answer: the best article's customer steps, aware of the conversation so far.

    ``articles`` are the cited articles in rank order with their customer steps; an article the
    previous answer already gave is skipped when the user says it did not help.
    """
    text = _TEXT.get(language, _TEXT["en"])
    parts: list[str] = []
    earlier = previous_article(history)
    failed_before = earlier is not None and not_helped(message)
    usable = [a for a in articles if a.steps and not (failed_before and earlier and a.doc_id == earlier["doc_id"])]
    if failed_before and earlier:
        parts.append(text["not_helped"].format(title=earlier["title"], doc_id=earlier["doc_id"]))
    elif earlier is not None and (not usable or usable[0].doc_id != earlier["doc_id"]):
        parts.append(text["earlier"].format(title=earlier["title"], doc_id=earlier["doc_id"]))
    if usable:
        best = usable[0]
        parts.append(text["intro"].format(title=best.title, doc_id=best.doc_id))
        parts.append("\n".join(f"{i}. {step}" for i, step in enumerate(best.steps, start=1)))
        for doc_id, title in [r for r in related if r[0] != best.doc_id][:1]:
            parts.append(text["also"].format(title=title, doc_id=doc_id))
        parts.append(text["offer"].format(team=team))
    else:
        parts.append(text["nothing_new" if failed_before else "nothing"].format(team=team))
    return "\n\n".join(parts)
