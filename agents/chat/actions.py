"""Suggested actions of a chat answer, labelled in the turn's language.

Why per-language templates: the label is what the client shows the user, so a Polish turn must
not offer "Create a ticket" or "Escalate to Account Management". The ``action`` ids and
``params`` (slugs) are machine-readable and stay the same in every language.
"""

from __future__ import annotations

from typing import Any

from core.chat import SuggestedAction
from core.contracts import slug

_LABELS = {
    "en": {"create_ticket": "Create a ticket", "escalate": "Escalate to {team}", "open_article": "Open {doc_id}: {title}"},
    "pl": {"create_ticket": "Utwórz zgłoszenie", "escalate": "Przekaż do zespołu: {team}", "open_article": "Otwórz {doc_id}: {title}"},
}

# Display names of the taxonomy's teams (data/taxonomy.yaml), by team slug. A team not listed
# (a tenant's own taxonomy) keeps its configured name.
_TEAM_NAMES = {
    "pl": {
        "finance_team": "Finanse",
        "technical_support": "Wsparcie techniczne",
        "logistics_team": "Logistyka",
        "returns_team": "Zwroty",
        "account_management": "Obsługa kont",
        "general_support": "Obsługa ogólna",
    },
}


def team_name(team: str, language: str) -> str:
    """The team's name for a user writing in ``language``."""
    return _TEAM_NAMES.get(language, {}).get(slug(team), team)


def action_label(action: str, language: str, **fields: str) -> str:
    """The label of ``action`` in ``language`` (English for a language without templates)."""
    return _LABELS.get(language, _LABELS["en"])[action].format(**fields)


def create_ticket_action(language: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return SuggestedAction(label=action_label("create_ticket", language), action="create_ticket", params=params or {}).model_dump()


def suggested_actions(citations: list[dict[str, Any]], classification: dict[str, Any], language: str = "en") -> list[dict[str, Any]]:
    """create_ticket (category and subcategory), escalate (the category's team), open each cited article (at most 2)."""
    actions = [
        create_ticket_action(language, {"category": slug(classification["category"]), "subcategory": slug(classification["subcategory"])}),
        SuggestedAction(
            label=action_label("escalate", language, team=team_name(classification["team"], language)),
            action="escalate",
            params={"team": slug(classification["team"])},
        ).model_dump(),
    ]
    for citation in citations[:2]:
        actions.append(
            SuggestedAction(
                label=action_label("open_article", language, doc_id=citation["doc_id"], title=citation["title"]),
                action="open_article",
                params={"doc_id": citation["doc_id"], "url": citation["url"]},
            ).model_dump()
        )
    return actions
