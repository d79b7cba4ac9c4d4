"""The command line: parse, call one library function, render. The only place that knows exit codes.

Exit codes (DESIGN.md §3):
  0 success · 1 verification failed or a budget ended the run · 2 usage error · 3 bad input
  4 LLM endpoint failure · 5 sandbox unavailable · 130 interrupted (the run is resumable)
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from papercoder import __version__
from papercoder.agents.plan import LogicDesign
from papercoder.errors import (
    BudgetExhausted,
    EndpointError,
    InputError,
    PaperCoderError,
    SandboxError,
    UsageError,
    VerificationFailed,
)
from papercoder.llm.client import ChatModel
from papercoder.runstore import RunStore
from papercoder.settings import Settings, parse_timeout
from papercoder.verify.checks import ALL_CHECKS, Timeouts
from papercoder.verify.diagnostics import CheckName
from papercoder.verify.github import OutputFormat
from papercoder.verify.report import VerifyReport

if TYPE_CHECKING:
    from papercoder.sandbox.docker import DockerSandbox

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


@app.command()
@handled
def ingest(
    paper: Annotated[Path, typer.Argument(help="The paper: .pdf, .md, .tex or .txt.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the Paper as JSON.")] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Read a paper into a structured document: sections, equations, tables, algorithms."""
    from papercoder.paper import load_paper
    from papercoder.runstore import atomic_write_text

    document = load_paper(paper)
    text = document.model_dump_json(indent=2) + "\n" if as_json else document.to_markdown()
    if out_file is not None:
        atomic_write_text(out_file, text)
        err().print(f"wrote {out_file}", markup=False)
    else:
        typer.echo(text, nl=False)


MaxIterationsOpt = Annotated[
    int | None, typer.Option("--max-iterations", help="Repair iterations at most [default: 8].")
]
MaxCostOpt = Annotated[
    float | None, typer.Option("--max-cost", help="USD at most for model calls.")
]
MaxTokensOpt = Annotated[int | None, typer.Option("--max-tokens", help="Model tokens at most.")]
MaxTimeOpt = Annotated[str | None, typer.Option("--max-time", help="Wall time, e.g. 30m or 1h30m.")]
PatienceOpt = Annotated[
    int | None, typer.Option("--patience", help="Stop after K iterations without progress [3].")
]
JobsOpt = Annotated[int | None, typer.Option("--jobs", help="Concurrent model calls [default: 4].")]
RunsDirOpt = Annotated[Path | None, typer.Option("--runs-dir", help="Where runs go [runs/].")]
PriceInOpt = Annotated[
    float | None, typer.Option("--price-in", help="USD per 1M prompt tokens (overrides).")
]
PriceOutOpt = Annotated[
    float | None, typer.Option("--price-out", help="USD per 1M output tokens (overrides).")
]
ModeOpt = Annotated[
    str | None,
    typer.Option("--structured-mode", help="json_schema (default), json_object or fenced."),
]


EditFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--edit-format",
        help="How the repair agent edits: auto (default: whole for a small local model,"
        " search-replace otherwise), search-replace, whole or lines.",
    ),
]
ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="small: turns, outputs and prompts sized for a small model (automatic with"
        " --local); standard; auto (default).",
    ),
]
LocalOpt = Annotated[
    Path | None,
    typer.Option("--local", help="Serve this GGUF model on 127.0.0.1 for the command."),
]
CtxOpt = Annotated[int, typer.Option("--ctx", help="Context size of the --local model.")]


@contextlib.contextmanager
def local_model(
    gguf: Path | None, ctx: int, runs_dir: Path | None = None
) -> Iterator[dict[str, object]]:
    """Settings that point at a local model served for the duration, or none. The server's
    own log goes to local-server.log in the runs directory, never to the terminal."""
    if gguf is None:
        yield {}
        return
    from papercoder.local import LOCAL_MODEL, LocalServer, server_log

    log = server_log(runs_dir)
    err().print(f"starting the local model {gguf.name} on 127.0.0.1 (log: {log}) ...", markup=False)
    with LocalServer(gguf, ctx=ctx, log=log) as server:
        yield {
            "base_url": server.base_url,
            "model": LOCAL_MODEL,
            "context_tokens": ctx,
            "max_output_tokens": min(2048, ctx // 4),
            "timeout": 600.0,
            "jobs": 1,  # one server slot holds the whole context: calls queue there anyway
        }


@app.command()
@handled
def serve(
    gguf: Annotated[Path, typer.Option("--gguf", help="The GGUF model file.")],
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8080,
    ctx: Annotated[int, typer.Option("--ctx", help="Context size in tokens.")] = 8192,
    threads: Annotated[int, typer.Option("--threads", help="CPU threads (0: all).")] = 0,
) -> None:
    """Serve a GGUF model as an OpenAI-compatible endpoint on 127.0.0.1 until Ctrl-C."""
    import time

    from papercoder.local import LocalServer

    with LocalServer(gguf, port=port, ctx=ctx, threads=threads) as server:
        out().print(
            f"serving {gguf.name} — use --base-url {server.base_url} --model local"
            f" (the server's log: {server.log})",
            markup=False,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            out().print("stopped", markup=False)


FreshOpt = Annotated[
    bool,
    typer.Option(
        "--fresh", help="Discard the run directory's earlier run (another or a changed paper)."
    ),
]
ContextTokensOpt = Annotated[
    int | None,
    typer.Option("--context-tokens", help="The model's context window in tokens [32768]."),
]


@app.command()
@handled
def build(
    paper: Annotated[Path, typer.Argument(help="The paper: .pdf, .md, .tex or .txt.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="The run directory [runs/<paper>-<hash>].")
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Verify the repo in the sandbox.")
    ] = True,
    fresh: FreshOpt = False,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    jobs: JobsOpt = None,
    runs_dir: RunsDirOpt = None,
    max_iterations: MaxIterationsOpt = None,
    max_cost: MaxCostOpt = None,
    max_tokens: MaxTokensOpt = None,
    max_time: MaxTimeOpt = None,
    patience: PatienceOpt = None,
    price_in: PriceInOpt = None,
    price_out: PriceOutOpt = None,
    structured_mode: ModeOpt = None,
    context_tokens: ContextTokensOpt = None,
    edit_format: EditFormatOpt = None,
    profile: ProfileOpt = None,
    local: LocalOpt = None,
    ctx: CtxOpt = 8192,
) -> None:
    """Turn a paper into a repository: plan, analyse, code (then verify). Reruns resume.
    A run directory belongs to one paper: another (or a changed) paper needs --fresh or
    another --out."""
    with local_model(local, ctx, runs_dir) as served:
        _build(
            paper,
            settings_from(
                **{
                    "model": model,
                    "base_url": base_url,
                    "api_key": api_key,
                    "jobs": jobs,
                    "runs_dir": runs_dir,
                    "max_iterations": max_iterations,
                    "max_cost": max_cost,
                    "max_tokens": max_tokens,
                    "max_time": max_time,
                    "patience": patience,
                    "price_input": price_in,
                    "price_output": price_out,
                    "structured_mode": structured_mode,
                    "context_tokens": context_tokens,
                    "edit_format": edit_format,
                    "profile": profile,
                    **served,
                }
            ),
            out_dir,
            verify,
            fresh=fresh,
        )


@app.command()
@handled
def resume(
    run_dir: Annotated[Path, typer.Argument(help="The run directory to continue.")],
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Verify the repo in the sandbox.")
    ] = True,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    jobs: JobsOpt = None,
    max_iterations: MaxIterationsOpt = None,
    max_cost: MaxCostOpt = None,
    max_tokens: MaxTokensOpt = None,
    max_time: MaxTimeOpt = None,
    patience: PatienceOpt = None,
    context_tokens: ContextTokensOpt = None,
    local: LocalOpt = None,
    ctx: CtxOpt = 8192,
) -> None:
    """Continue a run that stopped (interrupted, killed, out of budget: raise the budget
    here); calls already answered are not paid for again. The paper's file is not needed."""
    given: dict[str, object] = {
        "model": model,
        "base_url": base_url,
        "api_key": api_key,
        "jobs": jobs,
        "max_iterations": max_iterations,
        "max_cost": max_cost,
        "max_tokens": max_tokens,
        "max_time": max_time,
        "patience": patience,
        "context_tokens": context_tokens,
    }
    if RunStore.open(run_dir).manifest.demo:
        from papercoder.demo import BANNER, scripted_demo

        err().print(BANNER, style="bold yellow")
        with (
            tempfile.TemporaryDirectory(prefix="papercoder-demo-") as tmp,
            scripted_demo(Path(tmp)) as (paper, scripted_url),
        ):
            _resume(
                run_dir, verify, {**given, "base_url": scripted_url, "model": "scripted"}, paper
            )
        return
    with local_model(local, ctx, run_dir.parent) as served:
        _resume(run_dir, verify, {**given, **served})


def _resume(
    run_dir: Path, verify: bool, given: dict[str, object], paper: Path | None = None
) -> None:
    from papercoder.pipeline import reopen
    from papercoder.pipeline import resume as resume_build
    from papercoder.render import BuildProgress, build_summary

    recorded = RunStore.open(run_dir).manifest
    settings = Settings.resumed(recorded.settings, given, os.environ)
    store = reopen(run_dir, settings)
    _running["run_dir"] = store.root
    if "repo" in store.manifest.inputs:
        from papercoder.verify.run import repair_copy

        _repair(store, repair_copy(store), settings, {}, deliver_patch=False)
        return
    sandbox = _sandbox(settings) if verify else None
    try:
        with BuildProgress(err()) as progress:
            result = resume_build(store, settings, progress=progress.update, paper=paper)
        out().print(build_summary(result))
    except BaseException:
        if sandbox is not None:
            sandbox.close()
        raise
    if sandbox is not None:
        _repair(store, Path(result.repo), settings, _plan_entries(store), sandbox=sandbox)


def _sandbox(settings: Settings) -> DockerSandbox:
    """The sandbox, connected now: a build that will verify fails before generating when
    the Docker engine is down."""
    from papercoder.sandbox.docker import DockerSandbox

    return DockerSandbox(base_image=settings.base_image, constraints=settings.pip_constraint)


def _plan_entries(store: RunStore) -> dict[str, str]:
    logic = store.read_model("plan/logic.json", LogicDesign)
    return {f.path: f.responsibilities for f in logic.files} if logic else {}


def _build(
    paper: Path,
    settings: Settings,
    run_dir: Path | None,
    verify: bool,
    model: ChatModel | None = None,
    *,
    fresh: bool = False,
    demo: bool = False,
) -> None:
    from papercoder.pipeline import check_paper, open_run, run_stages
    from papercoder.render import BuildProgress, build_summary

    check_paper(paper)  # a missing paper is bad input, whether or not Docker is up
    sandbox = _sandbox(settings) if verify else None
    try:
        store = open_run(paper, settings, run_dir, fresh=fresh, demo=demo)
        _running["run_dir"] = store.root
        with BuildProgress(err()) as progress:
            result = run_stages(store, paper, settings, model, progress.update)
        out().print(build_summary(result))
    except BaseException:
        if sandbox is not None:
            sandbox.close()
        raise
    if sandbox is not None:
        _repair(store, Path(result.repo), settings, _plan_entries(store), model, sandbox=sandbox)


def _repair(
    store: RunStore,
    repo: Path,
    settings: Settings,
    entries: dict[str, str],
    model: ChatModel | None = None,
    report: Path | None = None,
    junit: Path | None = None,
    *,
    sandbox: DockerSandbox | None = None,
    deliver_patch: bool | None = None,
    annotate: Path | None = None,
    checks: tuple[CheckName, ...] = ALL_CHECKS,
    timeouts: Timeouts | None = None,
) -> None:
    """The repair loop over `repo`; `deliver_patch` (None: not a verify run) writes the
    repair as repair.patch for the user's repository and, when True, applies it there."""
    from papercoder.render import iteration_line, loop_summary, patch_summary, verify_summary
    from papercoder.repair.loop import run_repair
    from papercoder.verify.run import as_given, deliver, publish

    box = sandbox or _sandbox(settings)
    _running["run_dir"] = store.root
    try:
        loop, final = run_repair(
            store,
            repo,
            settings,
            box,
            plan_entries=entries,
            model=model,
            on_iteration=lambda record: err().print(iteration_line(record)),
            checks=checks,
            timeouts=timeouts,
        )
    finally:
        box.close()
    final = as_given(store, final)
    publish(final, report, junit)
    out().print(verify_summary(final, store.root))
    out().print(loop_summary(loop, store.root))
    if deliver_patch is not None:
        out().print(patch_summary(deliver(store, apply=deliver_patch and loop.passed), loop.passed))
    _workflow_commands(final, annotate)
    if not loop.passed:
        raise typer.Exit(1)


CheckList = Annotated[
    str | None,
    typer.Option(
        "--checks", help="Comma-separated subset of lint,types,tests,smoke (install always runs)."
    ),
]


def parse_checks(text: str | None) -> tuple[CheckName, ...]:
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


@app.command()
@handled
def verify(
    repo: Annotated[Path, typer.Argument(help="The repository to verify.")],
    no_repair: Annotated[
        bool, typer.Option("--no-repair", help="Only check, even when a model is configured.")
    ] = False,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Apply a repair that passes to the repository's working tree (no commit). "
            "Without it the repository is never changed: the repair is repair.patch in the run.",
        ),
    ] = False,
    checks: CheckList = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write report JSON here.")
    ] = None,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write JUnit XML here.")
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
    runs_dir: Annotated[
        Path | None,
        typer.Option(
            "--runs-dir",
            help="Where runs go [runs/ here; ~/.local/state/papercoder/runs when here is "
            "inside REPO].",
        ),
    ] = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    max_iterations: MaxIterationsOpt = None,
    max_cost: MaxCostOpt = None,
    max_tokens: MaxTokensOpt = None,
    max_time: MaxTimeOpt = None,
    patience: PatienceOpt = None,
    price_in: PriceInOpt = None,
    price_out: PriceOutOpt = None,
    context_tokens: ContextTokensOpt = None,
    edit_format: EditFormatOpt = None,
    profile: ProfileOpt = None,
    local: LocalOpt = None,
    ctx: CtxOpt = 8192,
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            help="github: also print each diagnostic as a GitHub Actions workflow command"
            " (::error file=…,line=…::…) [default: github when GITHUB_ACTIONS=true, else text].",
        ),
    ] = None,
    smoke: Annotated[
        str | None,
        typer.Option(
            "--smoke",
            help='The smoke run, e.g. "python -m pkg.train --epochs 1" [default: the'
            " repository's [tool.papercoder] smoke, else python main.py --smoke].",
        ),
    ] = None,
) -> None:
    """Verify a repository in the Docker sandbox (install, lint, types, tests, smoke) and,
    when a model is configured, repair a copy of it until the checks pass or a budget is
    spent. The repository itself is only read, unless --apply."""
    with local_model(local, ctx, runs_dir) as served:
        _verify(
            repo,
            no_repair,
            apply,
            checks,
            report,
            junit,
            timeout,
            served,
            output_format,
            {
                "base_image": base_image,
                "pip_constraint": pip_constraint,
                "runs_dir": runs_dir,
                "model": model,
                "base_url": base_url,
                "api_key": api_key,
                "max_iterations": max_iterations,
                "max_cost": max_cost,
                "max_tokens": max_tokens,
                "max_time": max_time,
                "patience": patience,
                "price_input": price_in,
                "price_output": price_out,
                "context_tokens": context_tokens,
                "smoke_command": smoke,
                "edit_format": edit_format,
                "profile": profile,
            },
        )


def _verify(
    repo: Path,
    no_repair: bool,
    apply: bool,
    checks: str | None,
    report: Path | None,
    junit: Path | None,
    timeout: str | None,
    served: dict[str, object],
    output_format: OutputFormat | None,
    flags: dict[str, object],
) -> None:
    from papercoder.render import verify_summary
    from papercoder.verify.checks import check_repo
    from papercoder.verify.github import resolve_format
    from papercoder.verify.run import check_outputs, start_repair, verify_repo

    settings = settings_from(**{**flags, **served})
    selected = parse_checks(checks)
    timeouts = Timeouts.uniform(parse_timeout(timeout)) if timeout else None
    github = resolve_format(output_format, os.environ) is OutputFormat.GITHUB
    annotate = repo if github else None
    check_outputs(report, junit)
    check_repo(repo)  # a bad repository is bad input, whether or not Docker is up
    if not no_repair and settings.endpoint_configured:
        sandbox = _sandbox(settings)
        try:
            store = start_repair(repo, settings)
        except BaseException:
            sandbox.close()
            raise
        _repair(
            store,
            store.path("repo"),
            settings,
            {},
            report=report,
            junit=junit,
            sandbox=sandbox,
            deliver_patch=apply,
            annotate=annotate,
            checks=selected,
            timeouts=timeouts,
        )
        return
    sandbox = _sandbox(settings)
    try:
        result, store = verify_repo(
            repo,
            settings,
            sandbox,
            checks=selected,
            timeouts=timeouts,
            report_path=report,
            junit_path=junit,
        )
    finally:
        sandbox.close()
    out().print(verify_summary(result, store.root))
    _workflow_commands(result, annotate)
    if not result.passed:
        raise typer.Exit(1)


def _workflow_commands(report: VerifyReport, repo: Path | None) -> None:
    """The diagnostics as GitHub workflow commands, unwrapped, when `repo` is given."""
    if repo is not None:
        from papercoder.verify.github import workflow_commands

        for line in workflow_commands(report, repo, os.environ):
            typer.echo(line)


@app.command()
@handled
def demo(
    runs_dir: RunsDirOpt = None,
    jobs: JobsOpt = None,
) -> None:
    """The whole pipeline on the bundled fixture paper with a SCRIPTED model (no real LLM):
    build, verify in the real sandbox, repair until every check is green."""
    import time

    from papercoder.demo import BANNER, scripted_demo

    err().print(BANNER, style="bold yellow")
    with (
        tempfile.TemporaryDirectory(prefix="papercoder-demo-") as tmp,
        scripted_demo(Path(tmp)) as (paper, base_url),
    ):
        settings = settings_from(base_url=base_url, model="scripted", runs_dir=runs_dir, jobs=jobs)
        run_dir = settings.runs_dir / f"demo-{time.strftime('%Y%m%d-%H%M%S')}"
        _build(paper, settings, run_dir, verify=True, demo=True)


@app.command()
@handled
def logs(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
    iteration: Annotated[
        int | None, typer.Option("--iteration", help="One iteration (default: all, or last).")
    ] = None,
    check: Annotated[
        str | None, typer.Option("--check", help="Print this check's log: install, lint, ...")
    ] = None,
    llm: Annotated[
        bool, typer.Option("--llm", help="The model calls instead, with the errors of failed ones.")
    ] = False,
) -> None:
    """Inspect a run: iterations, sandbox logs and diagnostics per check, the model calls,
    and the repair of a verified repository (repair.patch)."""
    from papercoder import logs as run_logs
    from papercoder.render import calls_table, iterations_table, verify_summary

    store = RunStore.open(run_dir)
    if llm:
        out().print(calls_table(run_logs.calls(store)))
    elif check is not None:
        path, text = run_logs.check_log(store, iteration, check)
        err().print(f"== {path}", markup=False)
        typer.echo(text, nl=not text.endswith("\n"))
    elif iteration is not None:
        chosen, report = run_logs.report_of(store, iteration)
        out().print(verify_summary(report, store.root))
        for name, text in run_logs.repair_files(store, chosen).items():
            if name in ("patch.diff", "rejected.json"):
                out().print(f"== repair/iter-{chosen:03d}/{name}", markup=False)
                out().print(text, markup=False, highlight=False)
    else:
        out().print(iterations_table(store, run_logs.loop_state(store), run_logs.iterations(store)))
        patch = run_logs.repair_patch(store)
        if patch is not None:
            out().print(f"== {store.path('repair.patch')}", markup=False)
            typer.echo(patch or "(empty: the repair changed nothing)")
    from papercoder.local import server_log

    for log in (store.root.parent / "local-server.log", server_log(None)):
        if log.is_file():
            err().print(f"the local model server's own log: {log}", markup=False)
            break


@app.command()
@handled
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Where to write [RUN_DIR/report.html].")
    ] = None,
) -> None:
    """Write the run as one self-contained HTML page: plan, iterations, diffs, verdict, cost."""
    from papercoder.report.html import write

    written = write(run_dir, out_file)
    out().print(f"wrote {written}", markup=False)


sandbox_app = typer.Typer(help="The sandbox image.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("build")
@handled
def sandbox_build(
    base_image: Annotated[
        str | None, typer.Option("--base-image", help="Base image to build on.")
    ] = None,
) -> None:
    """Build the sandbox image (done automatically on first verify)."""
    from papercoder.sandbox.docker import DockerSandbox

    sandbox = DockerSandbox(base_image=base_image)
    try:
        tag = sandbox.ensure_image()
    finally:
        sandbox.close()
    state = "built" if sandbox.built_images else "already present"
    out().print(f"sandbox image {tag} {state}")


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C: containers removed, run resumable


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    app(prog_name="papercoder")


@app.command()
@handled
def batch(
    papers: Annotated[
        list[Path],
        typer.Argument(
            help="The papers (.pdf, .md, .tex, .txt); with --collect, batch folders to merge."
        ),
    ],
    out_dir: Annotated[
        Path, typer.Option("--out", help="The batch folder: a run directory per paper, the tables.")
    ] = Path("runs/batch"),
    jobs: Annotated[int, typer.Option("--jobs", min=1, help="Papers built at once.")] = 2,
    sandboxes: Annotated[
        int, typer.Option("--sandboxes", min=1, help="Papers using the Docker engine at once.")
    ] = 1,
    calls: Annotated[
        int | None, typer.Option("--calls", min=1, help="Concurrent model calls per paper [4].")
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify/--no-verify", help="Verify each repo in the sandbox.")
    ] = True,
    collect: Annotated[
        bool,
        typer.Option("--collect", help="Merge the tables of the batch folders given into --out."),
    ] = False,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    max_iterations: MaxIterationsOpt = None,
    max_cost: MaxCostOpt = None,
    max_tokens: MaxTokensOpt = None,
    max_time: MaxTimeOpt = None,
    patience: PatienceOpt = None,
    price_in: PriceInOpt = None,
    price_out: PriceOutOpt = None,
    structured_mode: ModeOpt = None,
    context_tokens: ContextTokensOpt = None,
    edit_format: EditFormatOpt = None,
    profile: ProfileOpt = None,
    local: LocalOpt = None,
    ctx: CtxOpt = 8192,
) -> None:
    """Build many papers, each in its own run directory under --out, and write one summary
    table (summary.md, .csv, .json). The same command again resumes unfinished runs and skips
    finished ones; one paper failing does not stop the others. Budgets apply per paper."""
    from papercoder import batch as batches
    from papercoder.batch_summary import collect as collect_tables
    from papercoder.render import batch_event, batch_table

    if collect:
        summary = collect_tables(papers, out_dir)
    else:
        with local_model(local, ctx, out_dir) as served:
            settings = settings_from(
                **{
                    "model": model,
                    "base_url": base_url,
                    "api_key": api_key,
                    "jobs": calls,
                    "max_iterations": max_iterations,
                    "max_cost": max_cost,
                    "max_tokens": max_tokens,
                    "max_time": max_time,
                    "patience": patience,
                    "price_input": price_in,
                    "price_output": price_out,
                    "structured_mode": structured_mode,
                    "context_tokens": context_tokens,
                    "edit_format": edit_format,
                    "profile": profile,
                    **served,
                }
            )
            options = batches.BatchOptions(
                out=out_dir, jobs=jobs, sandboxes=sandboxes, verify=verify
            )
            summary = batches.run_batch(
                papers, settings, options, lambda event: err().print(batch_event(event))
            )
    out().print(batch_table(summary, out_dir))
    if not summary.ok:
        raise typer.Exit(1)
