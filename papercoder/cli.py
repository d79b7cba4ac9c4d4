"""The command line: parse, call one library function, render. The only place that knows exit codes.

Exit codes (DESIGN.md §3):
  0 success · 1 verification failed or a budget ended the run · 2 usage error · 3 bad input
  4 LLM endpoint failure · 5 sandbox unavailable · 130 interrupted (the run is resumable)
"""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from papercoder import __version__
from papercoder.errors import (
    BudgetExhausted,
    EndpointError,
    InputError,
    PaperCoderError,
    SandboxError,
    UsageError,
    VerificationFailed,
)
from papercoder.settings import Settings

EXIT_CODES: tuple[tuple[type[PaperCoderError], int], ...] = (
    (VerificationFailed, 1),
    (BudgetExhausted, 1),
    (UsageError, 2),
    (InputError, 3),
    (EndpointError, 4),
    (SandboxError, 5),
)
EXIT_INTERRUPTED = 130

P = ParamSpec("P")
R = TypeVar("R")


def out() -> Console:
    return Console()


def err() -> Console:
    return Console(stderr=True)


app = typer.Typer(
    help="Turn a machine-learning paper into a code repository, then prove the code runs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
_state = {"debug": os.environ.get("PAPERCODER_DEBUG") == "1"}


def exit_code_for(exc: PaperCoderError) -> int:
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return 1


def handled(command: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into one line on stderr and the documented exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PaperCoderError as exc:
            if _state["debug"]:
                err().print(traceback.format_exc(), markup=False, highlight=False)
            err().print(f"error: {exc.one_line()}", markup=False, highlight=False)
            raise typer.Exit(exit_code_for(exc)) from None
        except KeyboardInterrupt:
            err().print(
                "interrupted — rerun or `papercoder resume RUN_DIR` to continue", markup=False
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except typer.Exit:
            raise
        except Exception as exc:
            if _state["debug"]:
                raise
            err().print(
                f"error: internal error: {type(exc).__name__}: {exc} — rerun with --debug"
                " (or PAPERCODER_DEBUG=1) for the traceback and report it",
                markup=False,
                highlight=False,
            )
            raise typer.Exit(1) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        out().print(f"papercoder {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    if debug:
        _state["debug"] = True


ModelOpt = Annotated[
    str | None, typer.Option("--model", help="Model name [env: PAPERCODER_MODEL].")
]
BaseUrlOpt = Annotated[
    str | None, typer.Option("--base-url", help="OpenAI-compatible URL [env: OPENAI_BASE_URL].")
]
ApiKeyOpt = Annotated[
    str | None, typer.Option("--api-key", help="API key [env: OPENAI_API_KEY]; never stored.")
]


def settings_from(**flags: object) -> Settings:
    return Settings.resolve(flags, os.environ)


@app.command()
@handled
def doctor(model: ModelOpt = None, base_url: BaseUrlOpt = None, api_key: ApiKeyOpt = None) -> None:
    """Check the Docker engine, the base image and the model endpoint; say how to fix each."""
    from papercoder.doctor import diagnose
    from papercoder.render import doctor_table

    report = diagnose(settings_from(model=model, base_url=base_url, api_key=api_key))
    out().print(doctor_table(report))
    if report.failed("sandbox"):
        raise typer.Exit(5)
    if report.failed("endpoint"):
        raise typer.Exit(4)


def main() -> None:
    app(prog_name="papercoder")
