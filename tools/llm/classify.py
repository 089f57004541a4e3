"""Retrieval-augmented classification: the model chooses among candidates the labeled examples give.

Why candidates and not the whole taxonomy: a small or local model picks reliably among five named
pairs with worked examples beside them, far less reliably among every subcategory; and the offline
classifier's ranking plus the nearest examples already hold the right pair most of the time. The
candidates are the classifier's top pairs, then the labels of the nearest labeled examples
(``data/labeled_tickets.jsonl``) that are not among them yet.

The answer must name one of the candidates and an intent the taxonomy knows; anything else raises
:class:`ProviderOutsideTaxonomyError` and the caller keeps the offline classification. Used by the
classify node and by ``triage-desk eval classification --provider openai``, so both measure the same
thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from tools.classification import ClassificationOutcome, EmbeddingClassifier, LabeledExample
from tools.llm.errors import ProviderOutputError, ProviderOutsideTaxonomyError
from tools.llm.guard import guard_text
from tools.llm.prompts import Prompt
from tools.llm.providers import ChatProvider, LLMResult, charged
from tools.llm.schemas import TicketClassification
from tools.taxonomy import Taxonomy

EXAMPLE_CHARS = 300
"""An example longer than this is cut: the prompt stays small and the label is what matters."""


@dataclass(frozen=True)
class ClassifyCandidates:
    """What the prompt offers: candidate (category, subcategory) pairs, best first, and the nearest examples."""

    pairs: list[tuple[str, str]]
    examples: list[tuple[LabeledExample, float]]


def build_candidates(classifier: EmbeddingClassifier, text: str, vector: Any, *, pairs: int, examples: int) -> ClassifyCandidates:
    """The classifier's top ``pairs`` labels topped up with the nearest examples' labels (up to ``pairs``
    in all unless the examples add more distinct ones: every label shown in an example may be chosen)."""
    nearest = classifier.neighbours(vector, examples)
    chosen: list[tuple[str, str]] = []
    for category, subcategory, _ in classifier.top_pairs(text, vector, pairs):
        if (category, subcategory) not in chosen:
            chosen.append((category, subcategory))
    for example, _ in nearest:
        if (example.category, example.subcategory) not in chosen:
            chosen.append((example.category, example.subcategory))
    return ClassifyCandidates(pairs=chosen, examples=nearest)


def _candidates_block(taxonomy: Taxonomy, pairs: Sequence[tuple[str, str]]) -> str:
    lines = []
    for category, subcategory in pairs:
        description = taxonomy.category(category).subcategory_descriptions.get(subcategory, "")
        lines.append(f"- {category} / {subcategory}" + (f": {description}" if description else ""))
    return "\n".join(lines)


def _examples_block(examples: Sequence[tuple[LabeledExample, float]], redact: Callable[[str], str] | None = None) -> str:
    """Examples redacted (``redact``: the worker's Presidio redaction, names included) and through the
    guard's pattern net too: the example file is data a team edits by hand."""
    lines = []
    for example, _ in examples:
        text = " ".join(guard_text(redact(example.text) if redact else example.text).text.split())
        if len(text) > EXAMPLE_CHARS:
            text = text[:EXAMPLE_CHARS].rstrip() + "..."
        lines.append(f'- "{text}" -> {example.category} / {example.subcategory}, intent {example.intent}')
    return "\n".join(lines) or "(none)"


def allowed_intents(taxonomy: Taxonomy, classifier: EmbeddingClassifier) -> list[str]:
    """Intents the model may name: the taxonomy's, and any the examples use."""
    return sorted(set(taxonomy.intents) | set(classifier.intents))


def llm_classify(
    provider: ChatProvider,
    prompt: Prompt,
    *,
    ticket: str,
    candidates: ClassifyCandidates,
    intents: Sequence[str],
    taxonomy: Taxonomy,
    redact_example: Callable[[str], str] | None = None,
) -> tuple[TicketClassification, LLMResult]:
    """The model's choice for a (guarded) ticket, checked: the pair must be a candidate and in the taxonomy,
    the intent one of ``intents``; raises a :class:`ProviderError` otherwise."""
    result = provider.complete(
        prompt,
        {
            "candidates": _candidates_block(taxonomy, candidates.pairs),
            "intents": ", ".join(intents),
            "examples": _examples_block(candidates.examples, redact_example),
            "ticket": ticket,
        },
    )
    answer = result.parsed
    with charged(result):
        if not isinstance(answer, TicketClassification):
            raise ProviderOutputError("the answer is not a TicketClassification")
        pair = (answer.category.strip(), answer.subcategory.strip())
        known = {(c.name, s) for c in taxonomy.categories for s in c.subcategories}
        if pair not in known:
            raise ProviderOutsideTaxonomyError(f"the model chose {pair[0]!r} / {pair[1]!r}, which the taxonomy does not have")
        if pair not in candidates.pairs:
            raise ProviderOutsideTaxonomyError(f"the model chose {pair[0]!r} / {pair[1]!r}, which was not a candidate")
        if answer.intent.strip() not in intents:
            raise ProviderOutsideTaxonomyError(f"the model chose the unknown intent {answer.intent!r}")
    return answer.model_copy(update={"category": pair[0], "subcategory": pair[1], "intent": answer.intent.strip()}), result


def merge_outcome(offline: ClassificationOutcome, answer: TicketClassification) -> ClassificationOutcome:
    """The offline outcome with the model's labels and confidence; intent alternatives stay the head's
    (minus the chosen intent), so an agent still sees what else the ticket could be."""
    alternatives = [(name, p) for name, p in [(offline.intent, offline.intent_confidence), *offline.intent_alternatives] if name != answer.intent]
    return ClassificationOutcome(
        category=answer.category,
        subcategory=answer.subcategory,
        confidence=float(answer.confidence),
        intent=answer.intent,
        intent_confidence=float(answer.confidence),
        intent_alternatives=alternatives[:2],
        category_scores=offline.category_scores,
    )
