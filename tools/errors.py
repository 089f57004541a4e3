"""Moved to :mod:`core.errors` (every layer may import it); kept while in-flight branches migrate."""

from core.errors import *  # noqa: F401,F403
from core.errors import ConfigurationError, InvalidInputError, NotFoundError, StoreUnavailableError, TriageError  # noqa: F401
