"""The one path every model call takes: cache, budget, the call, the call log, truncation.

`Gateway` is itself a `ChatModel`, so agents neither know nor care what sits behind it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from papercoder.errors import BudgetExhausted, EndpointError, ModelOutputError
from papercoder.llm.cache import ResponseCache
from papercoder.llm.client import ChatModel, ChatReply, ChatRequest, OpenAIChatModel
from papercoder.llm.ledger import Ledger, lookup_price
from papercoder.llm.loops import loop_start
from papercoder.runstore import RunStore, append_jsonl
from papercoder.settings import Settings

Outcome = Literal["ok", "cached", "truncated", "error", "refused"]
TRUNCATION_RETRIES = 2


class TruncatedReply(ModelOutputError):
    """The reply ran to the output limit, also when asked again with a larger one."""


class CallRecord(BaseModel):
    """One line of ``llm/calls.jsonl``."""

    model_config = ConfigDict(extra="forbid")

    ts: float
    agent: str
    request_hash: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_evaluated: int | None = None
    cost: float | None = None
    latency_s: float = 0.0
    attempts: int = 0
    outcome: Outcome
    error: str | None = None


class Gateway:
    def __init__(
        self,
        model: ChatModel,
        ledger: Ledger,
        cache: ResponseCache | None = None,
        calls_path: Path | None = None,
        max_output_cap: int = 16384,
    ) -> None:
        self._model = model
        self.ledger = ledger
        self._cache = cache
        self._calls_path = calls_path
        self._max_output_cap = max_output_cap

    @property
    def name(self) -> str:
        return self._model.name

    def close(self) -> None:
        """Close the model's connections when it has any."""
        close = getattr(self._model, "close", None)
        if callable(close):
            close()

    def complete(self, request: ChatRequest) -> ChatReply:
        """A complete reply; a truncated one is asked again with a larger output limit,
        unless it was repeating itself when cut off (it would only repeat for longer)."""
        reply = self._once(request)
        for _ in range(TRUNCATION_RETRIES):
            bigger = min(request.max_tokens * 2, self._max_output_cap)
            if reply.finish_reason != "length" or bigger <= request.max_tokens:
                break
            if _looping(request, reply.content):
                break
            request = request.model_copy(update={"max_tokens": bigger})
            reply = self._once(request)
        if reply.finish_reason == "repeating":  # the client left it (a streamed reply)
            raise TruncatedReply(
                f"the {request.agent} reply was left after {len(reply.content)} characters,"
                " repeating itself",
                "a small model loops at times; a stronger --model does so less",
                content=reply.content,
                looping=True,
            )
        if reply.finish_reason == "length":
            looping = _looping(request, reply.content) is not None
            raise TruncatedReply(
                f"the {request.agent} reply was cut off at {request.max_tokens} tokens"
                + (", repeating itself" if looping else ""),
                "a model that repeats itself is the usual cause: try a stronger --model"
                " (or a larger --ctx with --local)",
                content=reply.content,
                looping=looping,
            )
        return reply

    def _once(self, request: ChatRequest) -> ChatReply:
        key = request.key(self._model.name)
        if self._cache is not None and (hit := self._cache.get(key)) is not None:
            self._log(request, key, "cached", attempts=0)
            return hit
        try:
            reservation = self.ledger.reserve(request)
        except BudgetExhausted as exc:
            self._log(request, key, "refused", error=exc.message)
            raise
        started = time.monotonic()
        try:
            reply = self._model.complete(request)
        except EndpointError as exc:
            self.ledger.settle(reservation, request, None, "")
            self._log(
                request,
                key,
                "error",
                latency=time.monotonic() - started,
                error=exc.message,
                attempts=int(exc.context.get("attempts", 1)),
            )
            raise
        prompt, completion, cost = self.ledger.settle(
            reservation, request, reply.usage, reply.content
        )
        truncated = reply.finish_reason in ("length", "repeating")
        if self._cache is not None:  # a truncated reply too: a resumed run need not wait again
            self._cache.put(key, reply)
        self._log(
            request,
            key,
            "truncated" if truncated else "ok",
            error=_looping(request, reply.content) if truncated else None,
            latency=time.monotonic() - started,
            attempts=reply.attempts,
            prompt=prompt,
            completion=completion,
            cost=cost,
            evaluated=reply.usage.prompt_evaluated,
        )
        return reply

    def _log(
        self,
        request: ChatRequest,
        key: str,
        outcome: Outcome,
        *,
        latency: float = 0.0,
        attempts: int = 1,
        prompt: int | None = None,
        completion: int | None = None,
        cost: float | None = None,
        error: str | None = None,
        evaluated: int | None = None,
    ) -> None:
        if self._calls_path is None:
            return
        record = CallRecord(
            ts=time.time(),
            agent=request.agent,
            request_hash=key,
            model=self._model.name,
            prompt_tokens=prompt,
            completion_tokens=completion,
            prompt_evaluated=evaluated,
            cost=cost,
            latency_s=round(latency, 4),
            attempts=attempts,
            outcome=outcome,
            error=error,
        )
        append_jsonl(self._calls_path, record.model_dump(mode="json"))


def _looping(request: ChatRequest, content: str) -> str | None:
    """What the call log says of a reply that loops ("repeating itself from character N"),
    or None; a reply a JSON schema bounds never counts (the schema ends it)."""
    start = None if request.bounded else loop_start(content)
    return None if start is None else f"repeating itself from character {start}"


def open_gateway(
    settings: Settings,
    store: RunStore | None,
    model: ChatModel | None = None,
    deadline: float | None = None,
    *,
    count_earlier: bool = True,
) -> Gateway:
    """The gateway a run uses: its model, budget (counting the run's earlier spend unless
    `count_earlier` is off: a command with budgets of its own), cache and call log.
    `deadline` (time.monotonic()): no call starts after it."""
    price = lookup_price(settings.model, settings.price_input, settings.price_output)
    ledger = Ledger(settings.model, price, settings.budgets, deadline)
    if store is not None and count_earlier:
        ledger.resume_from(store.calls_path)
    return Gateway(
        model or OpenAIChatModel(settings),
        ledger,
        cache=ResponseCache(store.cache_dir) if store else None,
        calls_path=store.calls_path if store else None,
        max_output_cap=(
            settings.max_output_tokens  # a small model that runs out loops: no bigger re-ask
            if settings.small_model
            else min(settings.max_output_tokens * 2, settings.context_tokens // 2)
        ),
    )
