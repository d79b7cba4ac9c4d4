"""The error hierarchy: each error says what went wrong and how to fix it, in one line.

The exit code of each class is decided in `papercoder.cli.common` only; the library raises,
never exits.
"""

from __future__ import annotations

from typing import Any


class PaperCoderError(Exception):
    """Base of every error the user is meant to read: a message and a fix hint."""

    def __init__(self, message: str, hint: str = "", **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.context = context

    def one_line(self) -> str:
        text = self.message if not self.hint else f"{self.message} — {self.hint}"
        return " ".join(text.split())


class UsageError(PaperCoderError):
    """A flag, setting or budget is wrong: fix the command line or the environment."""


class InputError(PaperCoderError):
    """The paper or the repository given cannot be read: fix the file."""


class EndpointError(PaperCoderError):
    """The model endpoint failed after retries (unreachable, auth, unknown model, bad replies)."""


class ModelOutputError(EndpointError):
    """The model kept answering with output that does not fit the expected form."""


class SandboxError(PaperCoderError):
    """The Docker sandbox is unavailable or its image could not be built."""


class BudgetExhausted(PaperCoderError):
    """The next step would exceed a budget (tokens, cost, time, iterations)."""


class VerificationFailed(PaperCoderError):
    """Checks still fail after the repair budget ended; the report says which."""
