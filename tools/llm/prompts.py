"""Prompts from ``prompts/``: one YAML file per prompt (name, version, system, user, schema).

A prompt is loaded by name; its id (``name@version``) and a hash of the file's content are recorded
with every call, so a change to a prompt shows in the usage ledger even when nobody bumped the
version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from tools.llm.errors import PromptError
from tools.llm.schemas import SCHEMAS

PROMPTS_DIR = Path(__file__).resolve().parent.parent.parent / "prompts"


@dataclass(frozen=True)
class Prompt:
    """One versioned prompt; ``schema`` is ``None`` for free text, else the pydantic model of the answer."""

    name: str
    version: int
    system: str
    user: str
    schema: type[BaseModel] | None
    content_hash: str

    @property
    def prompt_id(self) -> str:
        return f"{self.name}@{self.version}"

    def render(self, **variables: Any) -> tuple[str, str]:
        """(system, user) messages with ``variables`` filled in; the schema as ``{schema}`` when there is one."""
        if self.schema is not None:
            variables.setdefault("schema", json.dumps(self.schema.model_json_schema(), ensure_ascii=False))
        try:
            return self.system.format(**variables), self.user.format(**variables)
        except (KeyError, IndexError, ValueError) as exc:
            raise PromptError(f"prompt {self.prompt_id}: cannot fill in {exc}") from exc


def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    """The prompt ``{directory}/{name}.yaml``; raises :class:`PromptError` naming what is wrong."""
    return _load(name, directory)


@lru_cache(maxsize=64)
def _load(name: str, directory: Path) -> Prompt:
    path = directory / f"{name}.yaml"
    if not path.is_file():
        raise PromptError(f"no prompt {name!r} in {directory}")
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw) or {}
    except yaml.YAMLError as exc:
        raise PromptError(f"{path}: not valid YAML: {exc}") from exc
    missing = [key for key in ("name", "version", "system", "user", "schema") if key not in data]
    if missing:
        raise PromptError(f"{path}: missing {', '.join(missing)}")
    if data["name"] != name:
        raise PromptError(f"{path}: name {data['name']!r} does not match the file name")
    schema_name = str(data["schema"])
    if schema_name != "text" and schema_name not in SCHEMAS:
        raise PromptError(f"{path}: unknown schema {schema_name!r} (known: text, {', '.join(sorted(SCHEMAS))})")
    return Prompt(
        name=name,
        version=int(data["version"]),
        system=str(data["system"]),
        user=str(data["user"]),
        schema=None if schema_name == "text" else SCHEMAS[schema_name],
        content_hash=hashlib.sha256(raw).hexdigest()[:16],
    )
