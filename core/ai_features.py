"""Contracts of seed 004's AI procedures run by the worker (``AIFeatureWorkflow``).

The API validates a call, flattens a TipTap description to text and runs one short workflow with
an :class:`AIFeatureRequest`; the worker's activity computes the answer (offline scorers or the
configured model), writes what the procedure stores, records token usage and returns the seed's
JSON. Only names and plain data live here: both sides import it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Procedure = Literal[
    "summarizeTicket",
    "analyzeSentiment",
    "predictPriority",
    "generateReplySuggestions",
    "suggestTags",
    "suggestAssignee",
    "analyzeTicket",
    "generateTicketEmbedding",
]
TICKET_PROCEDURES: frozenset[str] = frozenset({"summarizeTicket", "generateReplySuggestions", "analyzeTicket", "generateTicketEmbedding"})
"""Procedures that read a stored ticket (404 ``ticket_not_found`` when the tenant has none by that id)."""

OPERATIONS: dict[str, str] = {
    "summarizeTicket": "ticket_summary",
    "analyzeSentiment": "sentiment_analysis",
    "predictPriority": "priority_prediction",
    "generateReplySuggestions": "reply_suggestions",
    "suggestTags": "tag_suggestions",
    "suggestAssignee": "assignee_suggestion",
    "generateTicketEmbedding": "ticket_embedding",
}
"""The ``operation`` each procedure records in the llm_usage ledger (analyzeTicket records the four it runs)."""
AI_FEATURE_OPERATIONS: frozenset[str] = frozenset(OPERATIONS.values())

FULL_ASSIST: frozenset[str] = frozenset({"generateReplySuggestions", "suggestAssignee", "analyzeTicket"})
"""Seed 004's "Full AI assist" (Business plan); the other procedures are "Basic AI features" (Pro)."""

MAX_TEXT_CHARS = 20_000
"""Longest text a procedure analyses (subject + flattened description); more is a 422."""


class AIFeatureRequest(BaseModel):
    """One procedure call: the stored ticket it is about and/or the text it analyses."""

    tenant_id: str
    procedure: Procedure
    ticket_id: str = ""
    subject: str = ""
    description: str = ""
    text: str = ""


class AIFeatureResult(BaseModel):
    """The seed's ``result.data.json`` of the call."""

    data: dict[str, Any] = Field(default_factory=dict)


class TipTapError(ValueError):
    """A description that is neither text nor a TipTap document we can read."""


MAX_TIPTAP_NODES = 5_000
MAX_TIPTAP_DEPTH = 30
_BLOCKS = {"paragraph", "heading", "blockquote", "listItem", "codeBlock", "hardBreak", "horizontalRule", "tableRow"}


def description_text(value: Any) -> str:
    """A seed 004 ``description`` ("TipTap JSON or text") as plain text.

    TipTap (ProseMirror) JSON is ``{"type": "doc", "content": [...]}`` with ``text`` on text nodes;
    block nodes end a line. ``None`` is the empty description. Anything else raises
    :class:`TipTapError` naming the problem.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, (dict, list)):
        raise TipTapError("description is text or a TipTap JSON document ({\"type\": \"doc\", \"content\": [...]})")
    parts: list[str] = []
    seen = 0

    def walk(node: Any, depth: int) -> None:
        nonlocal seen
        seen += 1
        if seen > MAX_TIPTAP_NODES:
            raise TipTapError(f"the TipTap document has more than {MAX_TIPTAP_NODES} nodes")
        if depth > MAX_TIPTAP_DEPTH:
            raise TipTapError(f"the TipTap document is nested deeper than {MAX_TIPTAP_DEPTH} levels")
        if isinstance(node, list):
            for child in node:
                walk(child, depth + 1)
            return
        if not isinstance(node, dict):
            raise TipTapError("TipTap nodes are objects with a type, and text or content")
        if node.get("type") == "text":
            text = node.get("text", "")
            if not isinstance(text, str):
                raise TipTapError("a TipTap text node's text must be a string")
            parts.append(text)
        content = node.get("content")
        if content is not None:
            if not isinstance(content, list):
                raise TipTapError("a TipTap node's content must be an array")
            walk(content, depth + 1)
        if node.get("type") in _BLOCKS:
            parts.append("\n")

    walk(value, 0)
    lines = [" ".join(line.split()) for line in "".join(parts).splitlines()]
    return "\n".join(line for line in lines if line)
