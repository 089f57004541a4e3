"""Entities and personal data: detection with Presidio (and, later, redaction)."""

from tools.pii.entities import EntityExtractor, ExtractedEntity

__all__ = ["EntityExtractor", "ExtractedEntity"]
