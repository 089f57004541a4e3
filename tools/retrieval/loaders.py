"""Read knowledge from the formats support teams actually have: Markdown, HTML exports, text, JSONL,
PDF and Word (.docx).

Everything becomes a :class:`SourceDocument` with Markdown-style ``##`` headings, so one chunker
serves all formats and chunk ids stay ``DOC-ID-c-N`` whatever the source. PDF and DOCX go through
langchain-community's document loaders (``PyPDFLoader`` on pypdf, ``Docx2txtLoader`` on docx2txt):
they are the kept implementation the design names, so we do not parse those formats ourselves.
"""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator

from core.errors import InvalidInputError
from tools.retrieval.documents import SourceDocument, parse_markdown_document

SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt", ".jsonl", ".pdf", ".docx")
_BODY_FIELDS = ("body", "content", "text", "description")
_ID_FIELDS = ("doc_id", "id", "ticket_id")


def _doc_id_from(path: Path) -> str:
    """``KB-1008-oracle-listener.md`` -> ``KB-1008``; otherwise the file stem."""
    match = re.match(r"^([A-Za-z]+-\d+)", path.stem)
    return match.group(1) if match else path.stem


def load_markdown(path: Path) -> SourceDocument:
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):
        return parse_markdown_document(text, str(path))
    heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    return SourceDocument(doc_id=_doc_id_from(path), title=heading.group(1).strip() if heading else path.stem, url="", body=text.strip())


class _HtmlToMarkdown(HTMLParser):
    """Headings become ``#``/``##``, block elements line breaks; scripts and styles are dropped."""

    _BLOCKS = {"p", "div", "li", "br", "tr", "section", "article", "pre", "table", "ul", "ol"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.meta: dict[str, str] = {}
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = dict(attrs)
            if values.get("name") and values.get("content"):
                self.meta[str(values["name"])] = str(values["content"])
        elif tag == "h1":
            self.parts.append("\n# ")
        elif tag in ("h2", "h3", "h4"):
            self.parts.append("\n## ")
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in ("h1", "h2", "h3", "h4") or tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data.strip()
            return
        self.parts.append(re.sub(r"\s+", " ", data))


def load_html(path: Path) -> SourceDocument:
    parser = _HtmlToMarkdown()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    body = re.sub(r"\n\s*\n+", "\n\n", "".join(parser.parts)).strip()
    body = "\n".join(line.strip() for line in body.splitlines())
    heading = re.search(r"^#\s+(.+)$", body, re.MULTILINE)
    title = parser.meta.get("title") or parser.title or (heading.group(1).strip() if heading else path.stem)
    extra = {key: value for key, value in parser.meta.items() if key not in ("doc_id", "title", "url", "viewport", "charset")}
    return SourceDocument(
        doc_id=parser.meta.get("doc_id") or _doc_id_from(path), title=title, url=parser.meta.get("url", ""), body=body, metadata=extra
    )


def load_text(path: Path) -> SourceDocument:
    text = path.read_text(encoding="utf-8").strip()
    first_line = text.splitlines()[0].strip() if text else path.stem
    return SourceDocument(doc_id=_doc_id_from(path), title=first_line[:200], url="", body=text)


def _community_loaders() -> Any:
    """``langchain_community.document_loaders``, imported on first use (it is slow to import and
    warns that the package is being sunset; the loaders we use are unaffected)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community import document_loaders
    return document_loaders


def _from_pages(path: Path, pages: list[str], title: str | None, metadata: dict[str, str]) -> SourceDocument:
    """Extracted page texts as one document; the title is the file's own, else its first line."""
    lines = [re.sub(r"[ \t]+", " ", line).strip() for page in pages for line in page.splitlines()]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not body:
        raise InvalidInputError(f"{path}: no text could be extracted (a scanned document needs OCR first)")
    first_line = next(line for line in body.splitlines() if line)
    return SourceDocument(doc_id=_doc_id_from(path), title=(title or first_line)[:200], url="", body=body, metadata=metadata)


def load_pdf(path: Path) -> SourceDocument:
    """One document per PDF (its pages joined), through ``PyPDFLoader``."""
    from pypdf.errors import PyPdfError

    try:
        pages = _community_loaders().PyPDFLoader(str(path), mode="page").load()
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise InvalidInputError(f"{path}: not a readable PDF ({type(exc).__name__})") from exc
    info = pages[0].metadata if pages else {}
    metadata = {"pages": str(info.get("total_pages", len(pages))), "format": "pdf"}
    return _from_pages(path, [page.page_content for page in pages], str(info.get("title") or "").strip() or None, metadata)


def load_docx(path: Path) -> SourceDocument:
    """One document per Word file, through ``Docx2txtLoader`` (text of paragraphs and tables)."""
    try:
        parts = _community_loaders().Docx2txtLoader(str(path)).load()
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInputError(f"{path}: not a readable .docx file ({type(exc).__name__})") from exc
    return _from_pages(path, [part.page_content for part in parts], None, {"format": "docx"})


def document_from_record(record: dict[str, Any], source: str) -> SourceDocument:
    """One JSON object (a ticket, an FAQ entry...) as a document; scalar fields become metadata."""
    doc_id = next((str(record[key]) for key in _ID_FIELDS if record.get(key)), None)
    body = next((str(record[key]) for key in _BODY_FIELDS if record.get(key)), None)
    if doc_id is None or body is None:
        raise InvalidInputError(f"{source}: needs one of {_ID_FIELDS} and one of {_BODY_FIELDS}")
    title = str(record.get("title") or body[:80])
    skip = set(_ID_FIELDS) | {"title", "url", "tenant_id", *_BODY_FIELDS}
    metadata = {key: str(value) for key, value in record.items() if key not in skip and isinstance(value, (str, int, float, bool))}
    return SourceDocument(doc_id=doc_id, title=title, url=str(record.get("url", "")), body=body, metadata=metadata)


def load_jsonl(path: Path) -> list[SourceDocument]:
    documents = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise InvalidInputError(f"{path}:{number}: each line must be a JSON object")
        documents.append(document_from_record(record, f"{path}:{number}"))
    return documents


def iter_files(path: Path) -> Iterator[Path]:
    """The file itself, or every supported file under a directory (sorted, recursive)."""
    if path.is_file():
        yield path
    elif path.is_dir():
        yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    else:
        raise InvalidInputError(f"{path}: no such file or directory")


def load_documents(path: Path) -> list[SourceDocument]:
    """All documents in ``path`` (file or directory); raises ``InvalidInputError`` naming the bad file."""
    documents: list[SourceDocument] = []
    for file in iter_files(path):
        suffix = file.suffix.lower()
        try:
            if suffix in (".md", ".markdown"):
                documents.append(load_markdown(file))
            elif suffix in (".html", ".htm"):
                documents.append(load_html(file))
            elif suffix == ".txt":
                documents.append(load_text(file))
            elif suffix == ".jsonl":
                documents.extend(load_jsonl(file))
            elif suffix == ".pdf":
                documents.append(load_pdf(file))
            elif suffix == ".docx":
                documents.append(load_docx(file))
            else:
                raise InvalidInputError(f"{file}: unsupported format (use {', '.join(SUFFIXES)})")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"{file}: not UTF-8 text ({exc.reason})") from exc
    return documents
