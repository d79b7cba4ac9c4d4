"""Usage, cost and the token/cost/time budget, enforced before each call, never after.

Before a call the ledger reserves the worst case (estimated prompt tokens plus the full output
limit, at the model's price); the call is refused with `BudgetExhausted` when that reservation
does not fit what is left. After the call the reservation is settled at the real usage.
Reservations make the check hold under concurrency: parallel calls cannot jointly overshoot.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from papercoder.errors import BudgetExhausted, UsageError
from papercoder.llm.client import ChatRequest, Usage
from papercoder.runstore import read_jsonl
from papercoder.settings import Budgets
from papercoder.tokens import estimate_tokens


@dataclass(frozen=True)
class Price:
    """USD per one million tokens."""

    prompt: float
    completion: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / 1e6


def lookup_price(
    model: str, prompt: float | None = None, completion: float | None = None
) -> Price | None:
    """User override first, then the bundled price list; None when unknown."""
    if prompt is not None and completion is not None:
        return Price(prompt, completion)
    table = json.loads((Path(__file__).parent / "prices.json").read_text(encoding="utf-8"))
    entry = table.get(model)
    return Price(*entry) if isinstance(entry, list) else None


@dataclass
class Reservation:
    tokens: int
    cost: float


class Ledger:
    """What has been spent, and what may still be spent."""

    def __init__(
        self,
        model: str,
        price: Price | None,
        budgets: Budgets | None = None,
        deadline: float | None = None,
    ) -> None:
        """`deadline`: the time.monotonic() after which no call may start (--max-time)."""
        budgets = budgets or Budgets()
        max_tokens, max_cost = budgets.max_tokens, budgets.max_cost
        if max_cost is not None and price is None:
            raise UsageError(
                f"a cost budget is set but no price is known for model {model!r}",
                "pass --price-in and --price-out (USD per 1M tokens), or drop --max-cost",
            )
        self.model = model
        self.price = price
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self.max_time = budgets.max_time
        self.deadline = deadline
        self.tokens = 0
        self.cost = 0.0
        self._reserved = Reservation(0, 0.0)
        self._lock = threading.Lock()

    def resume_from(self, calls_path: Path) -> None:
        """Count what earlier sessions of this run already spent (cached replies cost nothing)."""
        for record in read_jsonl(calls_path):
            if record.get("outcome") == "cached":
                continue
            self.tokens += int(record.get("prompt_tokens") or 0)
            self.tokens += int(record.get("completion_tokens") or 0)
            self.cost += float(record.get("cost") or 0.0)

    def reserve(self, request: ChatRequest) -> Reservation:
        prompt = estimate_tokens(request.prompt_text())
        worst = Reservation(prompt + request.max_tokens, self._cost(prompt, request.max_tokens))
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise BudgetExhausted(
                f"time budget: the {self.max_time or 0:g} s of --max-time ended before the next"
                f" {request.agent} call",
                "raise --max-time and run `papercoder resume`",
                kind="time",
            )
        with self._lock:
            if self.max_tokens is not None:
                left = self.max_tokens - self.tokens - self._reserved.tokens
                if worst.tokens > left:
                    raise BudgetExhausted(
                        f"token budget: the next {request.agent} call may use {worst.tokens}"
                        f" tokens but only {max(left, 0)} of {self.max_tokens} are left",
                        "raise --max-tokens and run `papercoder resume`",
                        kind="tokens",
                    )
            if self.max_cost is not None:
                left_cost = self.max_cost - self.cost - self._reserved.cost
                if worst.cost > left_cost:
                    raise BudgetExhausted(
                        f"cost budget: the next {request.agent} call may cost ${worst.cost:.4f}"
                        f" but only ${max(left_cost, 0):.4f} of ${self.max_cost:.2f} is left",
                        "raise --max-cost and run `papercoder resume`",
                        kind="cost",
                    )
            self._reserved = Reservation(
                self._reserved.tokens + worst.tokens, self._reserved.cost + worst.cost
            )
        return worst

    def settle(
        self, reservation: Reservation, request: ChatRequest, usage: Usage | None, output: str
    ) -> tuple[int, int, float | None]:
        """Release `reservation`; charge the real usage (estimated where the server gave none)."""
        prompt = usage.prompt_tokens if usage and usage.prompt_tokens is not None else None
        completion = (
            usage.completion_tokens if usage and usage.completion_tokens is not None else None
        )
        prompt = prompt if prompt is not None else estimate_tokens(request.prompt_text())
        completion = completion if completion is not None else estimate_tokens(output)
        cost = self.price.cost(prompt, completion) if self.price else None
        with self._lock:
            self._reserved = Reservation(
                self._reserved.tokens - reservation.tokens, self._reserved.cost - reservation.cost
            )
            self.tokens += prompt + completion
            self.cost += cost or 0.0
        return prompt, completion, cost

    def _cost(self, prompt: int, completion: int) -> float:
        return self.price.cost(prompt, completion) if self.price else 0.0
