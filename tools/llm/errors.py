"""Errors of the language-model layer, each with a stable code.

A node never fails a ticket because of these: it catches :class:`ProviderError`, takes its offline
result and records the code as the fallback reason (``ai_fallbacks`` in the state).
"""

from __future__ import annotations

from core.errors import ConfigurationError, TriageError


class ProviderError(TriageError):
    """The model provider could not give a usable answer."""

    code = "llm_error"
    input_tokens: int = 0
    output_tokens: int = 0
    """Tokens a call cost although its answer was refused (invalid JSON, outside the taxonomy,
    ungrounded...): the provider bills them, so the usage ledger and the cost cap count them."""

    def spent(self, input_tokens: int, output_tokens: int) -> "ProviderError":
        """Record what the refused answer cost (once: the first, innermost check wins); returns self."""
        if not (self.input_tokens or self.output_tokens):
            self.input_tokens, self.output_tokens = int(input_tokens), int(output_tokens)
        return self


class ProviderTimeoutError(ProviderError):
    """The call (a whole stream included) took longer than ``TRIAGE_LLM_TIMEOUT_S``."""

    code = "llm_timeout"


class ProviderRateLimitedError(ProviderError):
    """HTTP 429 on every attempt."""

    code = "llm_rate_limited"


class ProviderUnavailableError(ProviderError):
    """HTTP 5xx or no connection on every attempt."""

    code = "llm_unavailable"


class ProviderRejectedError(ProviderError):
    """HTTP 4xx other than 429 (bad key, unknown model, request too large): retrying will not help."""

    code = "llm_rejected"


class ProviderOutputError(ProviderError):
    """The answer was not what the prompt asked for (invalid JSON, wrong schema, empty, ungrounded)."""

    code = "llm_bad_output"


class ProviderOutsideTaxonomyError(ProviderOutputError):
    """A classification naming a category, subcategory or intent the taxonomy (or the offered candidates) do not have."""

    code = "llm_outside_taxonomy"


class CostCapReachedError(ProviderError):
    """The tenant's model calls this month already cost its cap (``TRIAGE_TENANT_MONTHLY_COST_CAP(S)_USD``): no call is made."""

    code = "cost_cap_reached"


class PromptError(ConfigurationError):
    """A prompt file is missing or malformed."""

    code = "prompt_invalid"


__all__ = [
    "CostCapReachedError",
    "PromptError",
    "ProviderError",
    "ProviderOutputError",
    "ProviderOutsideTaxonomyError",
    "ProviderRateLimitedError",
    "ProviderRejectedError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
]
