"""Retrieval over the knowledge base: document parsing, chunking and the Chroma-backed store."""

from tools.retrieval.documents import Chunk, SourceDocument, chunk_document, load_markdown_directory, parse_markdown_document
from tools.retrieval.store import ChromaKnowledgeStore, SearchHit, open_chroma_client

__all__ = [
    "ChromaKnowledgeStore",
    "Chunk",
    "SearchHit",
    "SourceDocument",
    "chunk_document",
    "load_markdown_directory",
    "open_chroma_client",
    "parse_markdown_document",
]
