"""The commands that judge runs and run many: eval, batch."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from papercoder import options as opt
from papercoder.cli.common import app, err, handled, local_model, out
from papercoder.runstore import RunStore


@app.command("eval")
@handled
@opt.shared("endpoint", "model", "budgets", "tuning")
def eval_command(
    run_dir: Annotated[Path, typer.Argument(help="A run directory made by `papercoder build`.")],
    endpoint: opt.EndpointFlags,
    model: opt.ModelFlags,
    budgets: opt.BudgetFlags,
    tuning: opt.TuningFlags,
    reference: Annotated[
        Path | None,
        typer.Option("--reference", help="The authors' repository: a reference-based review."),
    ] = None,
    samples: Annotated[
        int,
        typer.Option("--samples", help="Independent reviews, averaged (0: the measures only)."),
    ] = 3,
    jobs: opt.JobsOpt = None,
) -> None:
    """Judge a run: a model reviews the repository against the paper (and --reference), each
    component implemented, missing or wrong, scored 1-5 over --samples reviews; plus measures
    that need no model. Writes RUN_DIR/eval.json. Budgets bound the eval's own calls."""
    from papercoder.eval import EVAL_FILE, evaluate
    from papercoder.eval.render import eval_view

    flags = {"jobs": jobs, **tuning.model_dump()}
    demo = RunStore.open(run_dir).manifest.demo  # a wrong folder is bad input at once
    configured = opt.settings_from(endpoint, model, budgets, flags).endpoint_configured
    with (
        _scripted_reviewer()
        if demo and samples > 0 and not configured and model.local is None
        else local_model(model if samples else opt.ModelFlags(), run_dir.parent)
    ) as served:
        settings = opt.settings_from(endpoint, model, budgets, flags, served)
        result = evaluate(run_dir, settings, samples=samples, reference=reference)
    out().print(eval_view(result))
    out().print(f"wrote {run_dir / EVAL_FILE}", markup=False)


@contextlib.contextmanager
def _scripted_reviewer() -> Iterator[dict[str, object]]:
    """A demo run without an endpoint is reviewed by the demo's scripted model, labelled so."""
    from papercoder.demo import BANNER, scripted_model

    err().print(BANNER, style="bold yellow")
    with scripted_model() as base_url:
        yield {"base_url": base_url, "model": "scripted"}


@app.command()
@handled
@opt.shared("endpoint", "model", "budgets", "tuning")
def batch(
    papers: Annotated[
        list[Path],
        typer.Argument(
            help="The papers (.pdf, .md, .tex, .txt); with --collect, batch folders to merge."
        ),
    ],
    endpoint: opt.EndpointFlags,
    model: opt.ModelFlags,
    budgets: opt.BudgetFlags,
    tuning: opt.TuningFlags,
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
    verify: opt.VerifyOpt = True,
    collect: Annotated[
        bool,
        typer.Option("--collect", help="Merge the tables of the batch folders given into --out."),
    ] = False,
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
        with local_model(model, out_dir) as served:
            flags = {"jobs": calls, **tuning.model_dump()}
            settings = opt.settings_from(endpoint, model, budgets, flags, served)
            options = batches.BatchOptions(
                out=out_dir, jobs=jobs, sandboxes=sandboxes, verify=verify
            )
            summary = batches.run_batch(
                papers, settings, options, lambda event: err().print(batch_event(event))
            )
    out().print(batch_table(summary, out_dir))
    if not summary.ok:
        raise typer.Exit(1)
