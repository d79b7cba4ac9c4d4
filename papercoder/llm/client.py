"""The `ChatModel` protocol and its implementation on the official ``openai`` SDK.

Retries are ours, not the SDK's (it is built with ``max_retries=0``), so every attempt is
counted and logged: 429, 5xx, timeouts and connection errors are retried with exponential
backoff and full jitter, honouring ``Retry-After``; 401/403/404 fail at once with a fix.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

import openai
from openai.types.chat import ChatCompletionChunk
from pydantic import BaseModel, ConfigDict, Field

from papercoder.errors import EndpointError
from papercoder.llm.loops import LIVE_SPAN, loop_start
from papercoder.settings import Settings

AGENT_HEADER = "X-PaperCoder-Agent"
LOOP_CHECK_CHARS = 64  # a streamed reply is looked at for a loop each time it grows by this
MAX_RETRY_AFTER = 60.0


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(BaseModel):
    """One chat completion request; its hash (with the model name) keys the cache."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    agent: str
    messages: tuple[Message, ...]
    max_tokens: int = Field(ge=1)
    temperature: float = 0.0
    response_format: dict[str, Any] | None = None

    def key(self, model: str) -> str:
        payload = self.model_dump(mode="json", exclude={"agent"})
        payload["model"] = model
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def prompt_text(self) -> str:
        return "\n".join(m.content for m in self.messages)

    @property
    def bounded(self) -> bool:
        """Whether the reply's form bounds its length: a JSON schema, whose lengths and item
        counts an endpoint enforces, stops a looping model by itself (adam's config turn
        repeated an entry until the schema's item limit closed the list)."""
        return (self.response_format or {}).get("type") == "json_schema"


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_evaluated: int | None = Field(
        default=None, description="prompt tokens the server computed (the rest came from its cache)"
    )


class ChatReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str
    finish_reason: str
    usage: Usage = Usage()
    attempts: int = 1


class ChatModel(Protocol):
    """The seam every agent talks to; tests swap in doubles."""

    @property
    def name(self) -> str: ...

    def complete(self, request: ChatRequest) -> ChatReply: ...


class ResponseFormatRejected(EndpointError):
    """The endpoint does not accept the requested ``response_format``: fall back to another."""


class ContextLengthExceeded(EndpointError):
    """The prompt does not fit the model's context window."""


_FORMAT_WORDS = ("response_format", "json_schema", "json schema", "grammar", "schema")
_CONTEXT_WORDS = ("context length", "context_length", "maximum context", "too long", "n_ctx")


def _retry_after(response: Any) -> float | None:
    value = getattr(response, "headers", {}).get("retry-after") if response is not None else None
    try:
        return min(float(value), MAX_RETRY_AFTER) if value is not None else None
    except ValueError:
        return None


class OpenAIChatModel:
    """`ChatModel` over any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp)."""

    def __init__(
        self,
        settings: Settings,
        *,
        backoff_base: float = 0.5,
        backoff_cap: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._settings = settings
        self._base_url = settings.effective_base_url
        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        self._client = openai.OpenAI(
            base_url=self._base_url, api_key=key, timeout=settings.timeout, max_retries=0
        )
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._sleep = sleep

    @property
    def name(self) -> str:
        return self._settings.model

    def close(self) -> None:
        self._client.close()

    def complete(self, request: ChatRequest) -> ChatReply:
        last = "no attempt made"
        attempts = self._settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(request, attempt)
            except _Retryable as exc:
                last = exc.reason
                if attempt == attempts:
                    break
                delay = exc.retry_after
                if delay is None:
                    ceiling = min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1))
                    delay = random.uniform(ceiling / 2, ceiling)
                self._sleep(delay)
        raise EndpointError(
            f"model endpoint {self._base_url} failed after {attempts} attempts: {last}",
            "check that the server is up and OPENAI_BASE_URL (or --base-url) points at it",
            attempts=attempts,
        )

    def _attempt(self, request: ChatRequest, attempt: int) -> ChatReply:
        kwargs: dict[str, Any] = {}
        if request.response_format is not None:
            kwargs["response_format"] = request.response_format
        try:
            if self._settings.streamed:
                return self._streamed(request, attempt, kwargs)
            completion = self._client.chat.completions.create(
                model=self._settings.model,
                messages=[m.model_dump() for m in request.messages],  # type: ignore[misc]  # SDK's TypedDict union
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                extra_headers={AGENT_HEADER: request.agent},
                **kwargs,
            )
        except openai.APIStatusError as exc:
            raise self._status_error(exc, request) from exc
        except openai.APITimeoutError as exc:
            raise _Retryable(f"no reply within {self._settings.timeout:g}s") from exc
        except openai.APIConnectionError as exc:
            raise _Retryable(f"cannot connect ({exc.__cause__ or exc})") from exc
        except (openai.APIResponseValidationError, json.JSONDecodeError) as exc:
            raise _Retryable(f"malformed response body ({exc})") from exc
        except openai.APIError as exc:  # an error sent inside a stream
            raise _Retryable(f"the stream broke off ({exc.message})") from exc
        if not isinstance(completion, openai.types.chat.ChatCompletion) or not completion.choices:
            raise _Retryable("malformed response body (no choices)")
        choice = completion.choices[0]
        usage = completion.usage
        timings = (completion.model_extra or {}).get("timings")  # llama.cpp's own report
        evaluated = timings.get("prompt_n") if isinstance(timings, dict) else None
        return ChatReply(
            content=choice.message.content or "",
            finish_reason=choice.finish_reason or "stop",
            usage=Usage(
                prompt_tokens=getattr(usage, "prompt_tokens", None),
                completion_tokens=getattr(usage, "completion_tokens", None),
                prompt_evaluated=evaluated if isinstance(evaluated, int) else None,
            ),
            attempts=attempt,
        )

    def _streamed(self, request: ChatRequest, attempt: int, kwargs: dict[str, Any]) -> ChatReply:
        """The reply read as the server writes it, and left as soon as it repeats itself: the
        connection closes and a server that stops on it (llama.cpp does) frees the model for
        the next call instead of looping to the output limit. Its finish reason is then
        "repeating"."""
        stream: openai.Stream[ChatCompletionChunk] = self._client.chat.completions.create(  # type: ignore[call-overload]  # **kwargs hides stream=True from the overloads
            model=self._settings.model,
            messages=[m.model_dump() for m in request.messages],
            max_tokens=request.max_tokens,
            temperature=request.temperature,
            extra_headers={AGENT_HEADER: request.agent},
            stream=True,
            stream_options={"include_usage": True},
            **kwargs,
        )
        text = ""
        checked = 0
        finish: str | None = None
        usage: Usage = Usage()
        evaluated: int | None = None
        started = time.monotonic()
        with stream:
            for chunk in stream:
                if time.monotonic() - started > self._settings.timeout:  # the whole reply's
                    raise _Retryable(f"no whole reply within {self._settings.timeout:g}s")
                timings = (chunk.model_extra or {}).get("timings")  # llama.cpp's, in any chunk
                if isinstance(timings, dict) and isinstance(timings.get("prompt_n"), int):
                    evaluated = timings["prompt_n"]
                if chunk.usage is not None:
                    usage = Usage(
                        prompt_tokens=chunk.usage.prompt_tokens,
                        completion_tokens=chunk.usage.completion_tokens,
                    )
                for choice in chunk.choices:
                    text += choice.delta.content or ""
                    finish = choice.finish_reason or finish
                if not request.bounded and len(text) - checked >= LOOP_CHECK_CHARS:
                    checked = len(text)
                    if loop_start(text, LIVE_SPAN) is not None:
                        finish = "repeating"
                        break
        if finish is None:
            raise _Retryable("malformed response body (the stream ended without a finish reason)")
        usage.prompt_evaluated = evaluated
        return ChatReply(content=text, finish_reason=finish, usage=usage, attempts=attempt)

    def _status_error(self, exc: openai.APIStatusError, request: ChatRequest) -> Exception:
        status = exc.status_code
        text = str(exc.message).lower()
        if status in (401, 403):
            return EndpointError(
                f"the endpoint {self._base_url} refused the API key (HTTP {status})",
                "set a valid key in OPENAI_API_KEY (or --api-key)",
            )
        if status == 404:
            return EndpointError(
                f"model {self._settings.model!r} or its route was not found at {self._base_url}"
                " (HTTP 404)",
                "check --model / PAPERCODER_MODEL and that the base URL ends in /v1",
            )
        if any(w in text for w in _CONTEXT_WORDS):
            return ContextLengthExceeded(
                f"the prompt does not fit the model's context window ({exc.message})",
                "raise the server's context size (e.g. --ctx) or lower --context-tokens",
            )
        rejects_format = status in (400, 422, 500, 501) and any(w in text for w in _FORMAT_WORDS)
        if request.response_format is not None and rejects_format:
            return ResponseFormatRejected(f"response_format refused: {exc.message}")
        if status == 429 or status >= 500:
            return _Retryable(f"HTTP {status}: {exc.message}", _retry_after(exc.response))
        return EndpointError(
            f"the endpoint {self._base_url} rejected the request (HTTP {status}): {exc.message}",
            "check the model name and the server's logs",
        )


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
