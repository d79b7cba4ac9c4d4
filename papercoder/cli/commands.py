"""The commands that make and check runs: build, resume, verify, demo; and the tools around
them: doctor, ingest, serve, logs, report, sandbox build. Each parses, calls one library
function, renders."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Annotated

import typer

from papercoder import options as opt
from papercoder import run
from papercoder.cli.common import (
    app,
    err,
    finish,
    handled,
    local_model,
    out,
    rendering,
)
from papercoder.runstore import RunStore
from papercoder.settings import Settings
from papercoder.verify.github import OutputFormat, resolve_format


@app.command()
@handled
@opt.shared("endpoint")
def doctor(endpoint: opt.EndpointFlags) -> None:
    """Check the Docker engine, the base image and the model endpoint; say how to fix each."""
    from papercoder.doctor import diagnose
    from papercoder.render import doctor_table

    report = diagnose(Settings.resolve(endpoint.settings(), os.environ))
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
    from papercoder.paper.render import to_markdown
    from papercoder.runstore import atomic_write_text

    document = load_paper(paper)
    text = document.model_dump_json(indent=2) + "\n" if as_json else to_markdown(document)
    if out_file is not None:
        atomic_write_text(out_file, text)
        err().print(f"wrote {out_file}", markup=False)
    else:
        typer.echo(text, nl=False)


@app.command()
@handled
def serve(
    gguf: Annotated[Path, typer.Option("--gguf", help="The GGUF model file.")],
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8080,
    ctx: Annotated[int, typer.Option("--ctx", help="Context size in tokens.")] = 8192,
    threads: Annotated[int, typer.Option("--threads", help="CPU threads (0: all).")] = 0,
) -> None:
    """Serve a GGUF model as an OpenAI-compatible endpoint on 127.0.0.1 until Ctrl-C."""
    from papercoder.local import LocalServer, serve_until_interrupted

    with LocalServer(gguf, port=port, ctx=ctx, threads=threads) as server:
        out().print(
            f"serving {gguf.name} — use --base-url {server.base_url} --model local"
            f" (the server's log: {server.log})",
            markup=False,
        )
        serve_until_interrupted()
        out().print("stopped", markup=False)


@app.command()
@handled
@opt.shared("endpoint", "model", "budgets", "tuning")
def build(
    paper: Annotated[Path, typer.Argument(help="The paper: .pdf, .md, .tex or .txt.")],
    endpoint: opt.EndpointFlags,
    model: opt.ModelFlags,
    budgets: opt.BudgetFlags,
    tuning: opt.TuningFlags,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="The run directory [runs/<paper>-<hash>].")
    ] = None,
    verify: opt.VerifyOpt = True,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh", help="Discard the run directory's earlier run (another or a changed paper)."
        ),
    ] = False,
    jobs: opt.JobsOpt = None,
    structured_mode: Annotated[
        str | None,
        typer.Option("--structured-mode", help="json_schema (default), json_object or fenced."),
    ] = None,
) -> None:
    """Turn a paper into a repository: plan, analyse, code (then verify). Reruns resume.
    A run directory belongs to one paper: another (or a changed) paper needs --fresh or
    another --out."""
    with local_model(model, tuning.runs_dir) as served, rendering() as render:
        flags = {"jobs": jobs, "structured_mode": structured_mode, **tuning.model_dump()}
        settings = opt.settings_from(endpoint, model, budgets, flags, served)
        outcome = run.build(
            paper, settings, run_dir=out_dir, verify=verify, fresh=fresh, events=render
        )
    finish(outcome)


@app.command()
@handled
@opt.shared("endpoint", "model", "budgets")
def resume(
    run_dir: Annotated[Path, typer.Argument(help="The run directory to continue.")],
    endpoint: opt.EndpointFlags,
    model: opt.ModelFlags,
    budgets: opt.BudgetFlags,
    verify: opt.VerifyOpt = True,
    jobs: opt.JobsOpt = None,
) -> None:
    """Continue a run that stopped (interrupted, killed, out of budget: raise the budget
    here); calls already answered are not paid for again. The paper's file is not needed."""
    given = {**endpoint.settings(), **budgets.model_dump(), "jobs": jobs}
    given["context_tokens"] = model.context_tokens
    with contextlib.ExitStack() as stack:
        paper = None
        if RunStore.open(run_dir).manifest.demo:
            from papercoder.demo import BANNER, demo_endpoint

            err().print(BANNER, style="bold yellow")
            paper, scripted = stack.enter_context(demo_endpoint())
            given |= scripted
        else:
            given |= stack.enter_context(local_model(model, run_dir.parent))
        render = stack.enter_context(rendering())
        outcome = run.resume(
            run_dir, given, env=os.environ, verify=verify, paper=paper, events=render
        )
    finish(outcome)


@app.command()
@handled
@opt.shared("endpoint", "model", "budgets", "tuning", "checking", "outputs")
def verify(
    repo: Annotated[Path, typer.Argument(help="The repository to verify.")],
    endpoint: opt.EndpointFlags,
    model: opt.ModelFlags,
    budgets: opt.BudgetFlags,
    tuning: opt.TuningFlags,
    checking: opt.CheckFlags,
    outputs: opt.OutputFlags,
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
) -> None:
    """Verify a repository in the Docker sandbox (install, lint, types, tests, smoke) and,
    when a model is configured, repair a copy of it until the checks pass or a budget is
    spent. The repository itself is only read, unless --apply."""
    github = resolve_format(outputs.output_format, os.environ) is OutputFormat.GITHUB
    with local_model(model, tuning.runs_dir) as served, rendering() as render:
        settings = opt.settings_from(
            endpoint, model, budgets, tuning.model_dump(), checking.settings(), served
        )
        outcome = run.verify(
            repo,
            settings,
            repair=not no_repair,
            apply=apply,
            report_path=outputs.report,
            junit_path=outputs.junit,
            events=render,
        )
    finish(outcome, annotate=repo if github else None)


@app.command()
@handled
def demo(runs_dir: opt.RunsDirOpt = None, jobs: opt.JobsOpt = None) -> None:
    """The whole pipeline on the bundled fixture paper with a SCRIPTED model (no real LLM):
    build, verify in the real sandbox, repair until every check is green."""
    from papercoder.demo import BANNER, demo_endpoint

    err().print(BANNER, style="bold yellow")
    with demo_endpoint() as (paper, scripted), rendering() as render:
        settings = Settings.resolve({**scripted, "runs_dir": runs_dir, "jobs": jobs}, os.environ)
        run_dir = settings.runs_dir / f"demo-{time.strftime('%Y%m%d-%H%M%S')}"
        outcome = run.build(paper, settings, run_dir=run_dir, demo=True, events=render)
    finish(outcome)


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
    from papercoder.render import logs_view

    for stream, part in logs_view(RunStore.open(run_dir), iteration, check, llm):
        if stream == "raw":
            text = str(part)
            typer.echo(text, nl=not text.endswith("\n"))
        else:
            (out() if stream == "out" else err()).print(part, markup=False, highlight=False)


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
    tag, built = run.build_sandbox_image(Settings.resolve({"base_image": base_image}, {}))
    out().print(f"sandbox image {tag} {'built' if built else 'already present'}")
