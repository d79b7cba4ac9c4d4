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
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from papercoder.errors import UsageError

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


class Budgets(BaseModel):
    """Limits on the repair loop and on model spend; None means unlimited."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_iterations: int = Field(default=8, ge=0)
    max_cost: float | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=0)
    max_time: float | None = Field(default=None, ge=0, description="seconds")
    patience: int = Field(default=3, ge=1)


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
    def endpoint_configured(self) -> bool:
        return self.base_url is not None or self.api_key is not None

    @property
    def effective_base_url(self) -> str:
        return self.base_url or OPENAI_BASE_URL

    def public(self) -> dict[str, Any]:
        """The settings as recorded in a manifest: no secrets."""
        return self.model_dump(mode="json", exclude={"api_key"})

    @classmethod
    def resumed(
        cls, recorded: Mapping[str, Any], flags: Mapping[str, Any], env: Mapping[str, str]
    ) -> Settings:
        """The settings of a run being resumed: what its manifest recorded, then the flags
        given now (a raised budget, another endpoint), then the environment for the key."""
        keep = (
            "model",
            "base_url",
            "structured_mode",
            "jobs",
            "price_input",
            "price_output",
            "max_output_tokens",
            "context_tokens",
            "timeout",
            "base_image",
            "pip_constraint",
        )
        values: dict[str, Any] = {key: recorded.get(key) for key in keep}
        values.update(dict(recorded.get("budgets") or {}))
        values.update({key: value for key, value in flags.items() if value is not None})
        return cls.resolve(values, env)

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
        budget_fields = set(Budgets.model_fields)
        budgets = {k: given.pop(k) for k in list(given) if k in budget_fields}
        if isinstance(budgets.get("max_time"), str):
            budgets["max_time"] = parse_duration(budgets["max_time"])
        values.update(given)
        try:
            values["budgets"] = Budgets(**budgets)
            return cls(**values)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            raise UsageError(
                f"invalid value for {where.removeprefix('budgets.')}: {err['msg']}",
                "see `papercoder --help` for the accepted values",
            ) from exc
