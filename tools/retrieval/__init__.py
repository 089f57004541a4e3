"""Retrieval: documents and loaders, the Chroma store, BM25, hybrid search and the collection catalog."""

from tools.retrieval.catalog import COLLECTIONS, RetrievalCatalog
from tools.retrieval.documents import Chunk, SourceDocument, chunk_document, load_markdown_directory, parse_markdown_document
from tools.retrieval.hybrid import HybridCollection, reciprocal_rank_fusion
from tools.retrieval.loaders import load_documents
from tools.retrieval.store import ChromaKnowledgeStore, IngestSummary, SearchHit, open_chroma_client

__all__ = [
    "COLLECTIONS",
    "ChromaKnowledgeStore",
    "Chunk",
    "HybridCollection",
    "IngestSummary",
    "RetrievalCatalog",
    "SearchHit",
    "SourceDocument",
    "chunk_document",
    "load_documents",
    "load_markdown_directory",
    "open_chroma_client",
    "parse_markdown_document",
    "reciprocal_rank_fusion",
]
