"""PDF and DOCX knowledge files through langchain-community's loaders: text, title, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InvalidInputError
from tests.office_files import write_docx, write_pdf
from tools.retrieval.documents import chunk_document
from tools.retrieval.loaders import load_documents


def test_pdf_pages_are_joined_and_titled(tmp_path: Path) -> None:
    write_pdf(tmp_path / "KB-7201-vpn.pdf", [["VPN client GP-6 (Windows)", "Re-enter the portal address."], ["Second page: reboot."]], title="VPN GP-6")
    [doc] = load_documents(tmp_path)
    assert (doc.doc_id, doc.title) == ("KB-7201", "VPN GP-6")
    assert "VPN client GP-6 (Windows)" in doc.body and "Second page: reboot." in doc.body
    assert doc.metadata == {"pages": "2", "format": "pdf"}
    assert [c.chunk_id for c in chunk_document(doc, "acme")][0] == "KB-7201-c-0"


def test_pdf_without_title_uses_its_first_line(tmp_path: Path) -> None:
    write_pdf(tmp_path / "printer.pdf", [["Printer PRN-7 offline", "Restart the spooler."]])
    [doc] = load_documents(tmp_path / "printer.pdf")
    assert (doc.doc_id, doc.title) == ("printer", "Printer PRN-7 offline")


def test_docx_paragraphs_keep_polish_letters(tmp_path: Path) -> None:
    write_docx(tmp_path / "KB-7202-konto.docx", ["Zablokowane konto", "Poproś klienta o zmianę hasła; zażółć gęślą jaźń & <ok>."])
    [doc] = load_documents(tmp_path)
    assert (doc.doc_id, doc.title, doc.metadata) == ("KB-7202", "Zablokowane konto", {"format": "docx"})
    assert "zażółć gęślą jaźń & <ok>." in doc.body


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("bad.pdf", b"%PDF-1.4\nnot really", "not a readable PDF"),
        ("bad.docx", b"PK not a zip", "not a readable .docx"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InvalidInputError, match=message) as info:
        load_documents(tmp_path / name)
    assert name in str(info.value)


def test_a_pdf_with_no_text_asks_for_ocr(tmp_path: Path) -> None:
    write_pdf(tmp_path / "scan.pdf", [[]])
    with pytest.raises(InvalidInputError, match="OCR"):
        load_documents(tmp_path)
