"""Entities and personal data: detection with Presidio, redaction with stable placeholders."""

from tools.pii.entities import EntityExtractor, ExtractedEntity
from tools.pii.redaction import PERSONAL_TYPES, Redaction, RedactingEmbedder, Redactor, rehydrate

__all__ = ["PERSONAL_TYPES", "EntityExtractor", "ExtractedEntity", "Redaction", "RedactingEmbedder", "Redactor", "rehydrate"]
