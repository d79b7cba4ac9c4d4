"""Settings: one model, one lookup order.

Lookup order, first found wins:
1. command-line flags;
2. environment: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``PAPERCODER_MODEL``;
3. the defaults below.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from papercoder.errors import UsageError
from papercoder.verify.diagnostics import ALL_CHECKS, CheckName

StructuredMode = Literal["json_schema", "json_object", "fenced"]
EditFormatChoice = Literal["auto", "search-replace", "whole", "lines"]
Profile = Literal["auto", "small", "standard"]

DEFAULT_MODEL = "gpt-4o-mini"
OPENAI_BASE_URL = "https://api.openai.com/v1"

_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$"
)


def parse_duration(text: str) -> float:
    """Seconds from '90', '90s', '30m', '1h30m' or '1.5h'; a usage error otherwise."""
    match = _DURATION.match(text)
    if not text.strip() or text.strip().startswith("-") or match is None or not any(match.groups()):
        raise UsageError(
            f"invalid duration {text!r}",
            "write it as seconds or with a unit, e.g. 90, 90s, 30m, 1h30m",
        )
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def user_state_dir() -> Path:
    """PaperCoder's per-user state: ``$XDG_STATE_HOME/papercoder`` (``~/.local/state/...``).
    Run directories go there when ``runs/`` here would fall inside a repository being
    verified."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "papercoder"


def parse_timeout(text: str) -> float:
    """A per-check limit: a duration above zero."""
    seconds = parse_duration(text)
    if seconds <= 0:
        raise UsageError(f"invalid timeout {text!r}", "give a limit above zero, e.g. 120 or 5m")
    return seconds


class Timeouts(BaseModel):
    """Wall-clock seconds per check (the container is killed past it), and per test."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lint: float = Field(default=60, gt=0)
    types: float = Field(default=180, gt=0)
    tests: float = Field(default=300, gt=0)
    smoke: float = Field(default=300, gt=0)
    per_test: float = Field(default=60, gt=0)

    @classmethod
    def uniform(cls, seconds: float) -> Timeouts:
        return cls(
            lint=seconds, types=seconds, tests=seconds, smoke=seconds, per_test=min(60.0, seconds)
        )


class Budgets(BaseModel):
    """Limits on a run: repair iterations, model spend, and the wall time of the whole
    command (generation included); None means unlimited. One value from the command line
    to the ledger and the loop, stored as is in the manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_iterations: int = Field(default=8, ge=0)
    max_cost: float | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=0)
    max_time: float | None = Field(default=None, ge=0, description="seconds")
    patience: int = Field(default=3, ge=1)

    def raised(
        self,
        *,
        max_iterations: int | None = None,
        max_cost: float | None = None,
        max_tokens: int | None = None,
        max_time: float | str | None = None,
        patience: int | None = None,
    ) -> Budgets:
        """These budgets with the limits given (None: not given) in their place; a duration
        may be text ('30m'). A bad value is a usage error naming the flag."""
        given = {
            "max_iterations": max_iterations,
            "max_cost": max_cost,
            "max_tokens": max_tokens,
            "max_time": parse_duration(max_time) if isinstance(max_time, str) else max_time,
            "patience": patience,
        }
        values = {**self.model_dump(), **{k: v for k, v in given.items() if v is not None}}
        return _validated(Budgets, values)


class Settings(BaseModel):
    """Everything a run needs to know; the API key is never serialised."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = DEFAULT_MODEL
    base_url: str | None = None
    api_key: SecretStr | None = Field(default=None, exclude=True)
    timeout: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=4, ge=0)
    structured_mode: StructuredMode = "json_schema"
    max_output_tokens: int = Field(default=4096, ge=16)
    context_tokens: int = Field(default=32768, ge=1024)
    price_input: float | None = Field(default=None, ge=0, description="USD per 1M prompt tokens")
    price_output: float | None = Field(default=None, ge=0, description="USD per 1M output tokens")
    jobs: int = Field(default=4, ge=1)
    base_image: str | None = Field(default=None, description="sandbox base image override")
    pip_constraint: Path | None = Field(
        default=None, description="constraints file for resolving a repo's requirements"
    )
    runs_dir: Path = Path("runs")
    smoke_command: str | None = Field(
        default=None, description="the smoke run, when the repository does not declare it"
    )
    checks: tuple[CheckName, ...] = Field(
        default=ALL_CHECKS, description="the checks verify runs (install always)"
    )
    timeouts: Timeouts = Timeouts()
    edit_format: EditFormatChoice = "auto"
    profile: Profile = Field(
        default="auto", description="small: turns and outputs sized for a small model"
    )
    budgets: Budgets = Budgets()

    @property
    def small_model(self) -> bool:
        """The small-model profile: asked for, or automatic for a model served by --local."""
        return self.profile == "small" or (self.profile == "auto" and self.model == "local")

    @property
    def streamed(self) -> bool:
        """Replies are read as they are written, and left when they loop: with the local
        server, which stops generating when its client goes."""
        return self.model == "local"

    @property
    def endpoint_configured(self) -> bool:
        return self.base_url is not None or self.api_key is not None

    @property
    def effective_base_url(self) -> str:
        return self.base_url or OPENAI_BASE_URL

    def resumed(self, flags: Mapping[str, Any], env: Mapping[str, str]) -> Settings:
        """These settings (a run's, as its manifest stored them) with the flags given now in
        their place (None: not given; a budget's limit replaces that limit only), and the API
        key from the environment, which is never stored. Nothing given: exactly these."""
        given = {k: v for k, v in flags.items() if v is not None}
        limits = {k: given.pop(k) for k in list(given) if k in Budgets.model_fields}
        if limits:
            given["budgets"] = self.budgets.raised(**limits)
        if "api_key" not in given and env.get("OPENAI_API_KEY"):
            given["api_key"] = env["OPENAI_API_KEY"]
        if not given:
            return self
        return _validated(Settings, {**self.model_dump(), **given})  # the key is not dumped

    @classmethod
    def resolve(
        cls, flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
    ) -> Settings:
        """Build settings from flags (None = not given), then environment, then defaults."""
        given = {k: v for k, v in (flags or {}).items() if v is not None}
        environ = env or {}
        values: dict[str, Any] = {}
        for name, var in (
            ("api_key", "OPENAI_API_KEY"),
            ("base_url", "OPENAI_BASE_URL"),
            ("model", "PAPERCODER_MODEL"),
        ):
            if environ.get(var):
                values[name] = environ[var]
        values.update(given)
        return _validated(cls, values)


S = TypeVar("S", bound=BaseModel)


def _validated(kind: type[S], values: Mapping[str, Any]) -> S:
    """`kind` from `values`; a bad value is a usage error naming the setting."""
    try:
        return kind.model_validate(dict(values))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "settings"
        raise UsageError(
            f"invalid value for {where.removeprefix('budgets.')}: {err['msg']}",
            "see `papercoder --help` for the accepted values",
        ) from exc
