"""Seed 004's priority (urgent / high / normal / low) from the triage's impact x urgency matrix.

Why reuse the matrix: ``ai.predictPriority`` must agree with the priority a triage run gives the
same ticket. P1 is urgent, P2 high, P3 normal, P4 and P5 low. Confidence grows with the evidence:
0.5 when neither impact nor urgency was stated (the matrix's medium x medium default), more for
each dimension the wording set, and for a security or sentiment adjustment.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.classification import detect_sentiment
from tools.priority import PriorityMatrix, matched_cues

SEED_PRIORITY = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low", "P5": "low"}
DEFAULT_SLA_HOURS = 24


@dataclass(frozen=True)
class PriorityPrediction:
    priority: str
    confidence: float
    reasoning: str
    level: str

    def as_seed(self) -> dict[str, object]:
        return {"priority": self.priority, "confidence": self.confidence, "reasoning": self.reasoning}


def predict_priority(matrix: PriorityMatrix, subject: str, description: str, category_sla_hours: int = DEFAULT_SLA_HOURS) -> PriorityPrediction:
    text = f"{subject}\n{description}".strip()
    sentiment = detect_sentiment(text)
    assessment = matrix.assess(text, category_sla_hours=category_sla_hours, sentiment=sentiment)
    cues = matched_cues(text)
    evidence = sum(1 for name in ("impact", "urgency") if cues.get(name)) + (1 if assessment.adjustments else 0)
    evidence += 1 if sentiment == "angry" and "urgency" not in cues else 0
    confidence = round(min(0.95, 0.5 + 0.15 * evidence + (0.05 if evidence >= 2 else 0.0)), 2)
    priority = SEED_PRIORITY[assessment.level]
    reasons = [f"impact {assessment.impact}, urgency {assessment.urgency} -> {assessment.level} (SLA {assessment.sla_target} min)"]
    if "security" in assessment.adjustments:
        reasons.append("raised one level for a security cue")
    if sentiment == "angry":
        reasons.append("the customer is angry")
    keywords = list(dict.fromkeys(k for name in ("impact", "urgency", "security") for k in cues.get(name, [])))[:5]
    if keywords:
        reasons.append("Keywords: " + ", ".join(f"'{k}'" for k in keywords))
    else:
        reasons.append("no impact or urgency wording found, so the standard level applies")
    reasoning = f"{priority.capitalize()} priority: " + "; ".join(reasons) + "."
    return PriorityPrediction(priority, confidence, reasoning, assessment.level)
