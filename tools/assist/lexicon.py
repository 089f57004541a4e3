"""Word lists from ``data/assist/*.yaml`` compiled into regular expressions.

Why patterns and not token sets: Polish is inflected (a stem with ``*`` covers its endings) and both
languages need phrases ("not working", "nie działa"). Entries are matched case-insensitively on
word boundaries.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from core.errors import ConfigurationError

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "assist"


def entry_pattern(entry: str) -> str:
    """One entry as a regex: words split on spaces, ``*`` = any word ending."""
    parts = []
    for word in str(entry).strip().lower().split():
        stem = re.escape(word.rstrip("*"))
        parts.append(stem + (r"\w*" if word.endswith("*") else ""))
    return r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)"


def compile_entries(entries: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``entries``, longest first (so a phrase wins over its first word)."""
    ordered = sorted({str(e) for e in entries}, key=len, reverse=True)
    if not ordered:
        return re.compile(r"(?!x)x")
    return re.compile("|".join(f"(?:{entry_pattern(e)})" for e in ordered), re.IGNORECASE)


@lru_cache(maxsize=16)
def load_yaml(name: str, directory: Path = DATA_DIR) -> dict[str, Any]:
    """``data/assist/{name}.yaml`` as a dict; a missing or malformed file is a ConfigurationError."""
    path = directory / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: expected a mapping at the top level")
    return data
