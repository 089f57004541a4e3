"""The support taxonomy: categories, subcategories, owning teams, SLA hours and intent types.

Loaded from ``data/taxonomy.yaml`` so a support team can change routing without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.errors import ConfigurationError


@dataclass(frozen=True)
class Category:
    name: str
    team: str
    sla_hours: int
    description: str
    subcategories: tuple[str, ...]
    subcategory_descriptions: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Taxonomy:
    categories: tuple[Category, ...]
    intents: dict[str, str]
    fallback_category: str = "Other"

    def category(self, name: str) -> Category:
        """The category called ``name``, or the fallback one when unknown."""
        for category in self.categories:
            if category.name == name:
                return category
        return self.category(self.fallback_category) if name != self.fallback_category else self.categories[-1]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.categories]


def load_taxonomy(path: Path) -> Taxonomy:
    """Parse and check the taxonomy file; raise ``ConfigurationError`` saying what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read taxonomy {path}: {exc}") from exc
    try:
        categories = tuple(
            Category(
                name=c["name"],
                team=c["team"],
                sla_hours=int(c["sla_hours"]),
                description=c.get("description", ""),
                subcategories=tuple(s["name"] for s in c["subcategories"]),
                subcategory_descriptions={s["name"]: s.get("description", "") for s in c["subcategories"]},
            )
            for c in raw["categories"]
        )
        intents = {i["name"]: i.get("description", "") for i in raw.get("intents", [])}
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"taxonomy {path} is malformed: missing or bad field {exc}") from exc
    if not categories:
        raise ConfigurationError(f"taxonomy {path} defines no categories")
    fallback = "Other" if any(c.name == "Other" for c in categories) else categories[-1].name
    return Taxonomy(categories=categories, intents=intents, fallback_category=fallback)
