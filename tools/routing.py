"""Routing decision: auto_resolve / agent_assist / escalate, team and assignee.

Thresholds are seed 002's (>= 0.7 auto, >= 0.5 assist); policy and priority can only make the
decision more cautious, never less.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RoutingOutcome:
    decision: str
    confidence: float
    team: str
    assignee: str | None
    reasons: list[str] = field(default_factory=list)


class Router:
    def __init__(self, auto_resolve_threshold: float = 0.7, agent_assist_threshold: float = 0.5) -> None:
        self._auto = auto_resolve_threshold
        self._assist = agent_assist_threshold

    @staticmethod
    def overall_confidence(classification_confidence: float, best_citation_score: float) -> float:
        """Blend of how sure we are what the ticket is and how well the KB answers it."""
        return round(max(0.0, min(1.0, 0.6 * classification_confidence + 0.4 * best_citation_score)), 4)

    def route(
        self,
        *,
        confidence: float,
        team: str,
        compliance: str,
        escalation_needed: bool,
        priority_level: str,
    ) -> RoutingOutcome:
        reasons: list[str] = []
        if confidence >= self._auto:
            decision = "auto_resolve"
        elif confidence >= self._assist:
            decision = "agent_assist"
        else:
            decision = "escalate"
            reasons.append(f"confidence {confidence:.2f} below {self._assist}")
        if decision == "auto_resolve" and (compliance != "passed" or escalation_needed):
            decision = "agent_assist"
            reasons.append("policy check requires a human to review the draft")
        if compliance == "failed" or priority_level == "P1":
            decision = "escalate"
            reasons.append("policy check failed" if compliance == "failed" else "P1 ticket")
        return RoutingOutcome(decision, confidence, team, None, reasons)
