"""The command line's shared options, declared once: the endpoint, the budgets and the tuning
of a run. `shared(...)` adds a group's options to a command and hands them to it as one
typed value each, named as the settings they set."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ConfigDict

from papercoder.errors import UsageError
from papercoder.settings import Budgets, Settings, Timeouts, parse_timeout
from papercoder.verify.diagnostics import ALL_CHECKS, CheckName
from papercoder.verify.github import OutputFormat

F = TypeVar("F", bound=Callable[..., Any])

JobsOpt = Annotated[int | None, typer.Option("--jobs", help="Concurrent model calls [default: 4].")]
RunsDirOpt = Annotated[Path | None, typer.Option("--runs-dir", help="Where runs go [runs/].")]
VerifyOpt = Annotated[
    bool, typer.Option("--verify/--no-verify", help="Verify the repo in the sandbox.")
]


class EndpointFlags(BaseModel):
    """Which model answers: flags win over the environment (None: not given)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None

    def settings(self) -> dict[str, object]:
        return self.model_dump()


class ModelFlags(BaseModel):
    """The model's context window, and a local model to serve for the command."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    context_tokens: int | None = None
    local: Path | None = None
    ctx: int = 8192


class BudgetFlags(BaseModel):
    """The budget flags given (None: not given); `--max-time` as written ('30m')."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_iterations: int | None = None
    max_cost: float | None = None
    max_tokens: int | None = None
    max_time: str | None = None
    patience: int | None = None

    def over(self, budgets: Budgets) -> Budgets:
        """`budgets` with the limits given in their place."""
        return budgets.raised(**self.model_dump())


class CheckFlags(BaseModel):
    """What verify checks, within which limits, in which sandbox."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    checks: str | None = None
    timeout: str | None = None
    base_image: str | None = None
    pip_constraint: Path | None = None
    smoke: str | None = None

    def settings(self) -> dict[str, object]:
        return {
            "checks": parse_checks(self.checks),
            "timeouts": Timeouts.uniform(parse_timeout(self.timeout)) if self.timeout else None,
            "base_image": self.base_image,
            "pip_constraint": self.pip_constraint,
            "smoke_command": self.smoke,
        }


def parse_checks(text: str | None) -> tuple[CheckName, ...]:
    """The checks named in `text` ('lint,tests'), install always; all when None."""
    if text is None:
        return ALL_CHECKS
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_CHECKS]
    if unknown or not names:
        raise UsageError(
            f"unknown check(s) {', '.join(unknown) or '(none given)'}",
            f"choose from {', '.join(ALL_CHECKS[1:])}",
        )
    return tuple(c for c in ALL_CHECKS if c in names or c == "install")


def settings_from(
    endpoint: EndpointFlags, model: ModelFlags, budgets: BudgetFlags, *flags: dict[str, object]
) -> Settings:
    """The settings of a command: its flags (later ones win: a local model's last), then the
    environment, then the defaults."""
    given: dict[str, object] = {
        **endpoint.settings(),
        "context_tokens": model.context_tokens,
        "budgets": budgets.over(Budgets()),
    }
    for more in flags:
        given |= more
    return Settings.resolve(given, os.environ)


class OutputFlags(BaseModel):
    """Where verify's results go besides the terminal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    report: Path | None = None
    junit: Path | None = None
    output_format: OutputFormat | None = None


class TuningFlags(BaseModel):
    """How a build or a repair works: prices, edit format, profile, where runs go."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    price_input: float | None = None
    price_output: float | None = None
    edit_format: str | None = None
    profile: str | None = None
    runs_dir: Path | None = None


def _endpoint(
    model: Annotated[
        str | None, typer.Option("--model", help="Model name [env: PAPERCODER_MODEL].")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="OpenAI-compatible URL [env: OPENAI_BASE_URL]."),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key [env: OPENAI_API_KEY]; never stored.")
    ] = None,
) -> None: ...


def _model(
    context_tokens: Annotated[
        int | None,
        typer.Option("--context-tokens", help="The model's context window in tokens [32768]."),
    ] = None,
    local: Annotated[
        Path | None,
        typer.Option("--local", help="Serve this GGUF model on 127.0.0.1 for the command."),
    ] = None,
    ctx: Annotated[int, typer.Option("--ctx", help="Context size of the --local model.")] = 8192,
) -> None: ...


def _budgets(
    max_iterations: Annotated[
        int | None, typer.Option("--max-iterations", help="Repair iterations at most [default: 8].")
    ] = None,
    max_cost: Annotated[
        float | None, typer.Option("--max-cost", help="USD at most for model calls.")
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", help="Model tokens at most.")
    ] = None,
    max_time: Annotated[
        str | None,
        typer.Option("--max-time", help="Wall time of the whole command, e.g. 30m or 1h30m."),
    ] = None,
    patience: Annotated[
        int | None,
        typer.Option("--patience", help="Stop after K iterations without progress [3]."),
    ] = None,
) -> None: ...


def _tuning(
    price_input: Annotated[
        float | None, typer.Option("--price-in", help="USD per 1M prompt tokens (overrides).")
    ] = None,
    price_output: Annotated[
        float | None, typer.Option("--price-out", help="USD per 1M output tokens (overrides).")
    ] = None,
    edit_format: Annotated[
        str | None,
        typer.Option(
            "--edit-format",
            help="How the repair agent edits: auto (default: whole for a small local model,"
            " search-replace otherwise), search-replace, whole or lines.",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="small: turns, outputs and prompts sized for a small model (automatic with"
            " --local); standard; auto (default).",
        ),
    ] = None,
    runs_dir: Annotated[
        Path | None,
        typer.Option(
            "--runs-dir",
            help="Where runs go [runs/ here; ~/.local/state/papercoder/runs when verifying a"
            " repository here is inside].",
        ),
    ] = None,
) -> None: ...


def _outputs(
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write report JSON here.")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write JUnit XML here.")
    ] = None,
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            help="github: also print each diagnostic as a GitHub Actions workflow command"
            " (::error file=…,line=…::…) [default: github when GITHUB_ACTIONS=true, else text].",
        ),
    ] = None,
) -> None: ...


def _checking(
    checks: Annotated[
        str | None,
        typer.Option(
            "--checks",
            help="Comma-separated subset of lint,types,tests,smoke (install always runs).",
        ),
    ] = None,
    timeout: Annotated[
        str | None, typer.Option("--timeout", help="Wall-clock limit per check, e.g. 120 or 5m.")
    ] = None,
    base_image: Annotated[
        str | None, typer.Option("--base-image", help="Sandbox base image.")
    ] = None,
    pip_constraint: Annotated[
        Path | None, typer.Option("--pip-constraint", help="Constraints file for requirements.")
    ] = None,
    smoke: Annotated[
        str | None,
        typer.Option(
            "--smoke",
            help='The smoke run, e.g. "python -m pkg.train --epochs 1" [default: the'
            " repository's [tool.papercoder] smoke, else python main.py --smoke].",
        ),
    ] = None,
) -> None: ...


GROUPS: dict[str, tuple[Callable[..., None], type[BaseModel]]] = {
    "checking": (_checking, CheckFlags),
    "outputs": (_outputs, OutputFlags),
    "endpoint": (_endpoint, EndpointFlags),
    "model": (_model, ModelFlags),
    "budgets": (_budgets, BudgetFlags),
    "tuning": (_tuning, TuningFlags),
}


def shared(*groups: str) -> Callable[[F], F]:
    """Give a command the options of `groups` (see GROUPS), each group passed to it as one
    typed value in the parameter of the group's name."""

    def decorate(command: F) -> F:
        own = inspect.signature(command, eval_str=True)
        added = {
            group: list(inspect.signature(GROUPS[group][0], eval_str=True).parameters.values())
            for group in groups
        }

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for group, params in added.items():
                values = {p.name: kwargs.pop(p.name) for p in params}
                kwargs[group] = GROUPS[group][1](**values)
            return command(*args, **kwargs)

        params = [p for p in own.parameters.values() if p.name not in groups]
        params += [p for group in groups for p in added[group]]
        wrapper.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]  # typer reads it
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper  # type: ignore[return-value]  # the same command, more options

    return decorate
