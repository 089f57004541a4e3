"""Knowledge documents and heading-based chunking.

Articles are Markdown with YAML front matter (doc_id, title, url, category, status...). Chunks
follow the article's ``##`` sections so a citation points at a coherent passage, and chunk ids
(``DOC-ID-c-N``) are stable across re-ingestion of an unchanged file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.errors import InvalidInputError

_FRONT_MATTER = re.compile(r"^---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_SECTION = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)
_REQUIRED = ("doc_id", "title")


@dataclass(frozen=True)
class SourceDocument:
    doc_id: str
    title: str
    url: str
    body: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        digest.update(self.title.encode())
        digest.update(self.url.encode())
        digest.update(self.body.encode())
        digest.update(repr(sorted(self.metadata.items())).encode())
        return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    index: int
    section: str
    text: str
    metadata: dict[str, str | int | float | bool]


def parse_markdown_document(text: str, source: str = "<text>") -> SourceDocument:
    """Parse one article; raises ``InvalidInputError`` naming the missing field."""
    match = _FRONT_MATTER.match(text)
    if not match:
        raise InvalidInputError(f"{source}: missing YAML front matter (--- doc_id/title ---)")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{source}: front matter is not valid YAML: {exc}") from exc
    missing = [key for key in _REQUIRED if not meta.get(key)]
    if missing:
        raise InvalidInputError(f"{source}: front matter lacks {', '.join(missing)}")
    extra = {
        key: ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        for key, value in meta.items()
        if key not in ("doc_id", "title", "url") and value is not None
    }
    return SourceDocument(
        doc_id=str(meta["doc_id"]),
        title=str(meta["title"]),
        url=str(meta.get("url", "")),
        body=text[match.end() :].strip(),
        metadata=extra,
    )


def load_markdown_directory(directory: Path) -> list[SourceDocument]:
    """All ``*.md`` articles in a directory, sorted by doc id."""
    documents = [parse_markdown_document(p.read_text(encoding="utf-8"), str(p)) for p in sorted(directory.glob("*.md"))]
    return sorted(documents, key=lambda d: d.doc_id)


MAX_CHUNK_CHARS = 1500
CHUNK_OVERLAP_CHARS = 200


def split_with_overlap(text: str, size: int = MAX_CHUNK_CHARS, overlap: int = CHUNK_OVERLAP_CHARS) -> list[str]:
    """Windows of at most ``size`` characters, cut at paragraph or sentence ends where possible,
    each starting ``overlap`` characters before the previous one ended so no step is cut in half."""
    if len(text) <= size:
        return [text]
    pieces: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            window = text[start:end]
            cut = max(window.rfind("\n\n"), window.rfind(". "), window.rfind("\n"))
            if cut > size // 2:
                end = start + cut + 1
        pieces.append(text[start:end].strip())
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return [piece for piece in pieces if piece]


POLISH_SECTIONS = frozenset({"Kroki dla klienta", "Podsumowanie", "Opis"})
"""Section headings of an article's Polish parts (the knowledge base writes customer steps in both languages)."""


def chunk_title(document: SourceDocument, section: str) -> str:
    """The title a chunk is embedded and indexed with: a Polish section gets the article's
    ``title_pl`` (front matter) when it has one, so a Polish query meets Polish words throughout
    rather than an English title over Polish steps."""
    if section in POLISH_SECTIONS and document.metadata.get("title_pl"):
        return str(document.metadata["title_pl"])
    return document.title


def chunk_document(document: SourceDocument, tenant_id: str) -> list[Chunk]:
    """Split at ``##`` headings; the lead paragraph (before the first heading) is chunk 0.

    Sections longer than ``MAX_CHUNK_CHARS`` are split further into overlapping windows.
    """
    body = re.sub(r"^#\s+.+\n", "", document.body, count=1).strip()
    positions = [m.start() for m in _SECTION.finditer(body)]
    pieces: list[tuple[str, str]] = []
    lead = body[: positions[0]] if positions else body
    if lead.strip():
        pieces.append(("Summary", lead.strip()))
    for start, end in zip(positions, positions[1:] + [len(body)]):
        section_text = body[start:end].strip()
        heading, _, rest = section_text.partition("\n")
        pieces.append((heading.lstrip("#").strip(), rest.strip()))
    pieces = [(section, window) for section, text in pieces for window in split_with_overlap(text)]
    base_meta: dict[str, str | int | float | bool] = {
        "doc_id": document.doc_id,
        "title": document.title,
        "url": document.url,
        "tenant_id": tenant_id,
        "content_hash": document.content_hash,
        **document.metadata,
    }
    return [
        Chunk(
            chunk_id=f"{document.doc_id}-c-{index}",
            doc_id=document.doc_id,
            index=index,
            section=section,
            text=f"{chunk_title(document, section)}\n{section}\n{text}",
            metadata={**base_meta, "chunk_id": f"{document.doc_id}-c-{index}", "section": section, "chunk_index": index},
        )
        for index, (section, text) in enumerate(pieces)
    ]
