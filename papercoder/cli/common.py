"""The command line's frame: the app, errors turned into exit codes (the only place that
knows them), the console, a local model served for a command, and how a run's end is shown.

Exit codes (DESIGN.md §3):
  0 success · 1 verification failed or a budget ended the run · 2 usage error · 3 bad input
  4 LLM endpoint failure · 5 sandbox unavailable · 130 interrupted (the run is resumable)
"""

from __future__ import annotations

import functools
import os
import signal
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from papercoder import __version__, errors
from papercoder import options as opt
from papercoder.errors import PaperCoderError
from papercoder.local import serving
from papercoder.render import EventView, verification_summary
from papercoder.run import BuildOutcome, VerifyOutcome
from papercoder.verify.github import workflow_commands

EXIT_CODES: tuple[tuple[type[PaperCoderError], int], ...] = (
    (errors.VerificationFailed, 1),
    (errors.BudgetExhausted, 1),
    (errors.UsageError, 2),
    (errors.InputError, 3),
    (errors.EndpointError, 4),
    (errors.SandboxError, 5),
)
EXIT_INTERRUPTED = 130

P = ParamSpec("P")
R = TypeVar("R")


def out() -> Console:
    return Console()


def err() -> Console:
    return Console(stderr=True, soft_wrap=True)  # an error is one line, whatever the width


app = typer.Typer(
    help="Turn a machine-learning paper into a code repository, then prove the code runs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
_state = {"debug": os.environ.get("PAPERCODER_DEBUG") == "1"}
_running: dict[str, Path] = {}  # the run directory in progress, named when interrupted


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
            where = _running.get("run_dir")
            how = f"`papercoder resume {where}`" if where else "rerun the command"
            err().print(f"interrupted — {how} to continue", markup=False, highlight=False)
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


def local_model(model: opt.ModelFlags, runs_dir: Path | None) -> ContextManager[dict[str, object]]:
    return serving(model.local, model.ctx, runs_dir, lambda text: err().print(text, markup=False))


def finish(outcome: BuildOutcome | VerifyOutcome, annotate: Path | None = None) -> None:
    """The summary of a verification (and its repair), then exit 1 unless it passed."""
    verification = outcome.verification if isinstance(outcome, BuildOutcome) else outcome
    if verification is None:
        return
    for part in verification_summary(verification):
        out().print(part)
    if annotate is not None:
        for line in workflow_commands(verification.report, annotate, os.environ):
            typer.echo(line)
    if not verification.passed:
        raise typer.Exit(1)


def rendering() -> EventView:
    """A run's events drawn as they come; the run directory kept for an interruption."""
    return EventView(out(), err(), lambda run_dir: _running.update(run_dir=run_dir))


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C: containers removed, run resumable


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    app(prog_name="papercoder")
