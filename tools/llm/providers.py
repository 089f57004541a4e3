"""Chat providers: ``offline`` (the embedded default: no model, 0 tokens) and ``openai`` (any
OpenAI-compatible chat endpoint through langchain-openai's ``ChatOpenAI``: OpenAI, Azure OpenAI,
vLLM, Ollama, llama.cpp server).

Foreign errors are translated here into :mod:`tools.llm.errors`. Retries of 429/5xx happen here,
with exponential backoff (a 429's ``Retry-After`` wins when longer), and not in Temporal: a provider
that stays down must not fail the node, it makes the node fall back to its offline result, so the
activity succeeds and Temporal has nothing to retry. The SDK's own retries are off
(``max_retries=0``) so there is exactly one retry policy.
"""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol

from pydantic import BaseModel, ValidationError

from tools.llm.errors import (
    ProviderError,
    ProviderOutputError,
    ProviderRateLimitedError,
    ProviderRejectedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
)
from tools.llm.prompts import Prompt


@dataclass(frozen=True)
class LLMResult:
    """One successful call: the text, the parsed answer when the prompt has a schema, and usage."""

    text: str
    parsed: BaseModel | None
    input_tokens: int
    output_tokens: int
    model: str
    latency_ms: int
    attempts: int


class ChatProvider(Protocol):
    """What nodes call. ``enabled`` is false for the offline provider: nodes then skip the model."""

    name: str
    model: str
    enabled: bool

    def complete(self, prompt: Prompt, variables: dict[str, Any], *, stream: bool = False, on_token: Callable[[str], None] | None = None) -> LLMResult: ...


class OfflineProvider:
    """The embedded default: no model. Nodes use their deterministic path; usage is 0 tokens, cost 0."""

    name = "offline"
    model = "offline"
    enabled = False

    def complete(self, prompt: Prompt, variables: dict[str, Any], *, stream: bool = False, on_token: Callable[[str], None] | None = None) -> LLMResult:
        raise ProviderError("the offline provider has no model; use the node's offline path", code="llm_offline")


_JSON_BLOCK = re.compile(r"\{.*\}", re.DOTALL)


def parse_structured(text: str, schema: type[BaseModel]) -> BaseModel:
    """The first JSON object in ``text`` (code fences and chatter around it allowed) as ``schema``."""
    match = _JSON_BLOCK.search(text)
    if not match:
        raise ProviderOutputError("the answer holds no JSON object")
    try:
        return schema.model_validate(json.loads(match.group(0)))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ProviderOutputError(f"the answer's JSON does not match {schema.__name__}: {str(exc)[:200]}") from exc


class OpenAIProvider:
    """``ChatOpenAI`` with our timeout (per call, a whole stream included), retries and error tree."""

    name = "openai"
    enabled = True

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None,
        api_key: str | None,
        timeout_s: float,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        max_output_tokens: int | None = None,
        chat: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if chat is None:
            from langchain_openai import ChatOpenAI

            # The answer-length cap: OpenAI itself reads ``max_completion_tokens`` (ChatOpenAI's
            # max_tokens); other OpenAI-compatible servers (llama.cpp, vLLM, Ollama) read the older
            # ``max_tokens``, and llama-cpp-python's server ignores the new name, so a custom endpoint
            # gets ``max_tokens`` in the body instead.
            cap: dict[str, Any] = {}
            if max_output_tokens is not None:
                cap = {"extra_body": {"max_tokens": max_output_tokens}} if base_url else {"max_tokens": max_output_tokens}
            chat = ChatOpenAI(
                model=model,
                base_url=base_url,
                api_key=api_key or "not-needed",  # local servers (llama.cpp, vLLM, Ollama) take any key
                timeout=timeout_s,
                max_retries=0,
                temperature=0,
                **cap,
            )
        self.model = model
        self._chat = chat
        self._timeout_s = timeout_s
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._sleep = sleep

    def complete(self, prompt: Prompt, variables: dict[str, Any], *, stream: bool = False, on_token: Callable[[str], None] | None = None) -> LLMResult:
        """Call the model; retry 429/5xx/connection errors; raise a :class:`ProviderError` when it gives up.

        A structured prompt (one with a schema) is parsed here: invalid JSON raises
        :class:`ProviderOutputError`, which callers treat like any other provider failure.
        """
        system, user = prompt.render(**variables)
        messages = [("system", system), ("user", user)]
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                text, usage = self._stream(messages, started, on_token) if stream else self._invoke(messages)
                break
            except ProviderError as error:
                retry_after = getattr(error, "retry_after", None)
                retryable = isinstance(error, (ProviderRateLimitedError, ProviderUnavailableError))
                waited = max(self._backoff_s * 2 ** (attempt - 1), retry_after or 0.0)
                if not retryable or attempt > self._max_retries or time.monotonic() - started + waited > self._timeout_s:
                    raise
                self._sleep(waited)
        try:
            parsed = parse_structured(text, prompt.schema) if prompt.schema is not None else None
            if prompt.schema is None and not text.strip():
                raise ProviderOutputError("the model returned an empty answer")
        except ProviderOutputError as error:
            raise error.spent(int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0))
        return LLMResult(
            text=text,
            parsed=parsed,
            input_tokens=int(usage.get("input_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            model=self.model,
            latency_ms=round((time.monotonic() - started) * 1000),
            attempts=attempt,
        )

    def _invoke(self, messages: list[tuple[str, str]]) -> tuple[str, dict[str, Any]]:
        try:
            message = self._chat.invoke(messages)
        except Exception as exc:  # noqa: BLE001 - translated at the edge
            raise _translate(exc) from exc
        return _content(message), dict(getattr(message, "usage_metadata", None) or {})

    def _stream(self, messages: list[tuple[str, str]], started: float, on_token: Callable[[str], None] | None) -> tuple[str, dict[str, Any]]:
        """Stream the answer; the whole stream must end within the timeout (a trickle of tokens does not reset it)."""
        pieces: list[str] = []
        usage: dict[str, Any] = {}
        try:
            for chunk in self._chat.stream(messages, stream_usage=True):
                piece = _content(chunk)
                if piece:
                    pieces.append(piece)
                    if on_token is not None:
                        on_token(piece)
                if getattr(chunk, "usage_metadata", None):
                    usage = dict(chunk.usage_metadata)
                if time.monotonic() - started > self._timeout_s:
                    raise ProviderTimeoutError(f"stream still running after {self._timeout_s:.1f} s")
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - translated at the edge
            raise _translate(exc) from exc
        return "".join(pieces), usage


@contextmanager
def charged(result: LLMResult) -> Iterator[None]:
    """Checks of an answer that did come back: a refusal raised inside still carries the call's tokens."""
    try:
        yield
    except ProviderError as error:
        raise error.spent(result.input_tokens, result.output_tokens)


def _content(message: Any) -> str:
    content = getattr(message, "content", "")
    if isinstance(content, list):  # content blocks
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content or "")


def _translate(exc: Exception) -> ProviderError:
    """openai / httpx errors -> our tree; the message names the status, never the request body."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return ProviderTimeoutError("the provider did not answer in time")
    if isinstance(exc, openai.RateLimitError):
        error: ProviderError = ProviderRateLimitedError("the provider answered 429 Too Many Requests")
        error.retry_after = _retry_after(exc)  # type: ignore[attr-defined]
        return error
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500:
            return ProviderUnavailableError(f"the provider answered HTTP {exc.status_code}")
        return ProviderRejectedError(f"the provider rejected the request with HTTP {exc.status_code}")
    if isinstance(exc, openai.APIConnectionError):
        return ProviderUnavailableError("cannot reach the provider")
    if isinstance(exc, (json.JSONDecodeError, openai.APIResponseValidationError, ValueError, KeyError, TypeError)):
        return ProviderOutputError(f"the provider's response could not be read: {type(exc).__name__}")
    return ProviderError(f"provider call failed: {type(exc).__name__}")


def _retry_after(exc: Any) -> float | None:
    try:
        value = exc.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def build_chat_provider(settings: Any) -> ChatProvider:
    """The provider the settings name; ``offline`` when AI is switched off (``TRIAGE_AI_ENABLED=false``)."""
    if not settings.ai_enabled or settings.llm_provider == "offline":
        return OfflineProvider()
    return OpenAIProvider(
        model=settings.llm_model,
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        backoff_s=settings.llm_retry_backoff_s,
        max_output_tokens=settings.llm_max_output_tokens,
    )
