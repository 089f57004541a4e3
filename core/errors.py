"""Our error tree: foreign errors are translated into these at the tool edge.

Each error carries a stable ``code`` that the API returns and users can act on.
"""

from __future__ import annotations


class TriageError(Exception):
    """Base of every error this project raises on purpose."""

    code = "triage_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class InvalidInputError(TriageError):
    """The caller sent something we cannot work with; retrying will not help."""

    code = "invalid_input"


class ConfigurationError(TriageError):
    """A setting or data file is missing or malformed."""

    code = "configuration_error"


class StoreUnavailableError(TriageError):
    """A backing store (Chroma, Neo4j, SQL) could not be reached; usually transient."""

    code = "store_unavailable"


class NotFoundError(TriageError):
    """The thing asked for does not exist (or not for this tenant)."""

    code = "not_found"


class WorkflowFailedError(TriageError):
    """The triage workflow ended in failure; the run id lets an operator inspect it in the Temporal UI."""

    code = "workflow_failed"


class WorkflowTimeoutError(TriageError):
    """The workflow did not finish in time; it keeps running and a retry of the request returns its result."""

    code = "workflow_timeout"


class EngineUnavailableError(TriageError):
    """Temporal cannot be reached; runs already started survive, so the caller may simply ask again."""

    code = "engine_unavailable"


class TimeBudgetExceededError(InvalidInputError):
    """A request needed more than its time budget (``TRIAGE_REQUEST_TIME_BUDGET_S``); send less at once."""

    code = "time_budget_exceeded"


class ForbiddenError(TriageError):
    """The caller is known but may not do this (seed 004: an AI feature its plan does not include)."""

    code = "forbidden"


class UsageLimitExceededError(TriageError):
    """The tenant used up its AI operations for this billing period (seed 004's TOO_MANY_REQUESTS)."""

    code = "ai_usage_limit_exceeded"

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s
