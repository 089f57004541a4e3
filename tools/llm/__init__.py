"""Language-model layer: providers (offline default, any OpenAI-compatible endpoint), prompts loaded
by name from ``prompts/``, the personal-data guard, token cost and the SQL usage ledger.

Nodes call :mod:`tools.llm.tasks`; any :class:`~tools.llm.errors.ProviderError` makes them keep
their offline result and record why (see docs/llm.md).
"""

from tools.llm.errors import ProviderError, ProviderOutputError
from tools.llm.guard import GuardedText, guard_text
from tools.llm.prompts import Prompt, load_prompt
from tools.llm.providers import ChatProvider, LLMResult, OfflineProvider, OpenAIProvider, build_chat_provider, parse_structured
from tools.llm.usage import LLMCallRecord, UsageLedger, call_cost

__all__ = [
    "ChatProvider",
    "GuardedText",
    "LLMCallRecord",
    "LLMResult",
    "OfflineProvider",
    "OpenAIProvider",
    "Prompt",
    "ProviderError",
    "ProviderOutputError",
    "UsageLedger",
    "build_chat_provider",
    "call_cost",
    "guard_text",
    "load_prompt",
    "parse_structured",
]
