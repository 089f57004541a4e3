"""Assignee suggestion for ``ai.suggestAssignee``: skills, team routing and past resolutions.

Triage Desk keeps no user directory, so the roster is a data file (``data/assist/agents.yaml``:
id, name, role, team, expertise tags). Experience comes from the tickets collection: the
resolved tickets most similar to this one and who resolved them (``resolved_by``, stored
redacted: a roster id such as ``m.kowalski`` is kept, an email would be a placeholder and
never matches). Only agents and admins are suggested (seed 004).

Score (0..1) = 0.35 x skill overlap + 0.25 x the ticket's category belongs to the agent's team
+ 0.40 x similar tickets they resolved (similarity-weighted, saturating at two). Below
``MIN_SCORE`` (for example a team match alone) there is no suitable match: ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

from core.errors import ConfigurationError

ROLES = ("agent", "admin")
MIN_SCORE = 0.3
MIN_SIMILARITY = 0.3


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    role: str
    team: str
    expertise: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResolvedNeighbour:
    """A resolved ticket similar to this one: who resolved it and how similar it is."""

    ticket_id: str
    resolved_by: str
    similarity: float


@dataclass(frozen=True)
class AssigneeSuggestion:
    agent_id: str
    agent_name: str
    confidence: float
    reasoning: str
    score_parts: dict[str, float] = field(default_factory=dict)

    def as_seed(self) -> dict[str, object]:
        return {"agentId": self.agent_id, "agentName": self.agent_name, "confidence": self.confidence, "reasoning": self.reasoning}


def load_roster(path: Path) -> list[Agent]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return [
            Agent(str(a["id"]), str(a["name"]), str(a.get("role", "agent")), str(a.get("team", "")), tuple(str(t) for t in a.get("expertise") or ()))
            for a in data.get("agents") or []
        ]
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigurationError(f"cannot read the agent roster {path}: {exc}") from exc


def suggest_assignee(
    roster: Iterable[Agent],
    *,
    tags: list[str],
    team: str | None,
    neighbours: list[ResolvedNeighbour],
) -> AssigneeSuggestion | None:
    """The best agent or admin for a ticket with these tags, category team and similar resolved tickets."""
    wanted = set(tags)
    best: tuple[float, str, AssigneeSuggestion] | None = None
    for agent in roster:
        if agent.role not in ROLES:
            continue
        skills = [tag for tag in tags if tag in agent.expertise]
        skill = min(1.0, len(skills) / max(1, min(3, len(wanted)))) if wanted else 0.0
        same_team = 1.0 if team and agent.team.lower() == team.lower() else 0.0
        resolved = [n for n in neighbours if n.resolved_by == agent.id and n.similarity >= MIN_SIMILARITY]
        history = min(1.0, sum(n.similarity for n in resolved) / 2.0)
        score = 0.35 * skill + 0.25 * same_team + 0.40 * history
        if score < MIN_SCORE:
            continue
        reasons = []
        if skills:
            reasons.append("Agent has expertise in " + ", ".join(skills))
        if same_team:
            reasons.append(f"belongs to the {agent.team}, which handles this category")
        if resolved:
            ids = ", ".join(n.ticket_id for n in resolved[:3])
            reasons.append(f"has resolved {len(resolved)} similar ticket{'s' if len(resolved) != 1 else ''} ({ids})")
        reasoning = "; ".join(reasons)
        suggestion = AssigneeSuggestion(
            agent.id,
            agent.name,
            round(min(0.95, score), 2),
            reasoning[0].upper() + reasoning[1:] + ".",
            {"skills": round(skill, 3), "team": same_team, "history": round(history, 3)},
        )
        if best is None or (score, _tiebreak(agent.id)) > (best[0], best[1]):
            best = (score, _tiebreak(agent.id), suggestion)
    return best[2] if best else None


def _tiebreak(agent_id: str) -> str:
    """Equal scores: the alphabetically first id wins (inverted so a larger tuple is better)."""
    return "".join(chr(0x10FFFF - ord(c)) for c in agent_id)
