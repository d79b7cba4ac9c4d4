"""The summary of a batch: one row per paper, read from its run directory, and the table
written as markdown, CSV and JSON; tables of several batches merge into one."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from papercoder.errors import InputError, UsageError
from papercoder.fidelity import FIDELITY, Fidelity
from papercoder.llm.ledger import Ledger
from papercoder.loop import LoopReport
from papercoder.pipeline import BuildResult
from papercoder.runstore import MANIFEST as RUN_MANIFEST
from papercoder.runstore import RunStore, atomic_write_text
from papercoder.verify.report import FAILING

Stage = Literal["none", "ingest", "plan", "analyse", "code", "verify"]
STAGES: tuple[Stage, ...] = ("ingest", "plan", "analyse", "code", "verify")
Status = Literal["green", "red", "built", "failed"]
SUMMARY = "summary"  # summary.md, summary.csv, summary.json


class SummaryRow(BaseModel):
    """One paper of a batch, read from its run directory."""

    model_config = ConfigDict(extra="forbid")

    paper: str
    run_dir: str
    stage: Stage = Field(description="the last stage completed")
    status: Status
    green: bool
    iterations: int | None = Field(description="repair iterations, when verified")
    seconds: float
    tokens: int
    cost: float
    eval_score: float | None = Field(description="the overall score of eval.json, when present")
    stop_reason: str | None = None
    failing: list[str] = Field(default_factory=list, description="checks failing at the end")
    error: str | None = Field(default=None, description="why the paper failed, one line")
    warnings: list[str] = Field(
        default_factory=list,
        description="signs in the code that a green proves little (fidelity.json)",
    )

    @property
    def note(self) -> str:
        if self.error:
            return self.error
        if self.status == "red":
            return f"failing: {', '.join(self.failing) or '?'} (stopped: {self.stop_reason})"
        return "; ".join(f"warn: {w}" for w in self.warnings)


class BatchSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[SummaryRow]

    @property
    def ok(self) -> bool:
        """Every paper green (or built, when the batch did not verify)."""
        return all(row.status in ("green", "built") for row in self.rows)


def finished(run_dir: Path, verify: bool) -> bool:
    """A run with nothing left to do: verified (green or red), or built when not verifying."""
    store = _open(run_dir)
    if store is None:
        return False
    if verify:
        return store.stage_done("verify") and store.path("report.json").is_file()
    return store.stage_done("code") and store.path("build.json").is_file()


def summarise(
    paper: str, run_dir: Path, *, error: str | None = None, seconds: float = 0.0
) -> SummaryRow:
    """The row of one paper, from what its run directory holds. `seconds` stands in for the
    run's own timing when it recorded none (it failed before the end of its build)."""
    store = _open(run_dir)
    build = store.read_model("build.json", BuildResult) if store else None
    loop = store.read_model("report.json", LoopReport) if store else None
    stage = _reached(store)
    ledger = Ledger("", None)
    if store is not None:
        ledger.resume_from(store.calls_path)
    recorded = (build.seconds if build else 0.0) + (loop.seconds if loop else 0.0)
    verdict = loop if loop is not None and stage == "verify" else None
    status: Status
    if error is not None:
        status = "failed"
    elif verdict is not None:
        status = "green" if verdict.passed else "red"
    elif build is not None:
        status = "built"
    else:
        status, error = "failed", "the run stopped before its build ended"
    return SummaryRow(
        paper=paper,
        run_dir=run_dir.name,
        stage=stage,
        status=status,
        green=status == "green",
        iterations=verdict.iterations if verdict else None,
        seconds=round(recorded or seconds, 3),
        tokens=ledger.tokens,
        cost=round(ledger.cost, 6),
        eval_score=eval_score(run_dir / "eval.json"),
        stop_reason=verdict.stop_reason if verdict else None,
        failing=sorted(k for k, v in verdict.checks.items() if v in FAILING) if verdict else [],
        error=error,
        warnings=fidelity.warnings() if (fidelity := _fidelity(store)) else [],
    )


def _fidelity(store: RunStore | None) -> Fidelity | None:
    return store.read_model(FIDELITY, Fidelity) if store is not None else None


def _open(run_dir: Path) -> RunStore | None:
    """The run in `run_dir`, or None when there is none (or its manifest is unreadable: then
    its build says so)."""
    if not (run_dir / RUN_MANIFEST).is_file():
        return None
    try:
        return RunStore.open(run_dir)
    except InputError:
        return None


def _reached(store: RunStore | None) -> Stage:
    reached: Stage = "none"
    if store is None:
        return reached
    for stage in STAGES:
        if not store.stage_done(stage):
            break
        reached = stage
    return reached


def eval_score(path: Path) -> float | None:
    """The overall score recorded in a run's eval.json: its `score`, or its `overall`
    (a number, or an object with a `mean`); None when absent or unreadable."""
    try:
        data = _EvalScore.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return None
    overall = data.overall.mean if isinstance(data.overall, _Mean) else data.overall
    value = data.score if data.score is not None else overall
    return None if value is None else round(value, 3)


class _Mean(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mean: float


class _EvalScore(BaseModel):
    model_config = ConfigDict(extra="ignore")

    score: float | None = None
    overall: float | _Mean | None = None


COLUMNS = ("paper", "status", "stage", "iterations", "seconds", "tokens", "cost", "eval", "notes")


def _cells(row: SummaryRow) -> list[str]:
    return [
        row.paper,
        row.status,
        row.stage,
        "" if row.iterations is None else str(row.iterations),
        f"{row.seconds:.1f}",
        str(row.tokens),
        f"{row.cost:.4f}",
        "" if row.eval_score is None else f"{row.eval_score:g}",
        row.note,
    ]


def table_cells(summary: BatchSummary) -> list[list[str]]:
    """The table's rows as text, in column order (`COLUMNS`), for any renderer."""
    return [_cells(row) for row in summary.rows]


def to_markdown(summary: BatchSummary) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    green = sum(row.green for row in summary.rows)
    lines = [
        f"# PaperCoder batch: {green} of {len(summary.rows)} green",
        "",
        line(COLUMNS),
        line(["---"] * len(COLUMNS)),
        *(line(cells) for cells in table_cells(summary)),
    ]
    return "\n".join(lines) + "\n"


def to_csv(summary: BatchSummary) -> str:
    buffer = io.StringIO()
    fields = list(SummaryRow.model_fields)
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in summary.rows:
        data = row.model_dump()
        data["failing"] = ",".join(row.failing)
        data["warnings"] = "; ".join(row.warnings)
        writer.writerow({k: "" if v is None else v for k, v in data.items()})
    return buffer.getvalue()


def write_summary(summary: BatchSummary, out: Path) -> list[Path]:
    """summary.md, summary.csv and summary.json in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, text in (
        ("md", to_markdown(summary)),
        ("csv", to_csv(summary)),
        ("json", summary.model_dump_json(indent=2) + "\n"),
    ):
        path = out / f"{SUMMARY}.{suffix}"
        atomic_write_text(path, text)
        written.append(path)
    return written


def collect(sources: Sequence[Path], out: Path) -> BatchSummary:
    """Merge the summaries of several batches (a folder holding summary.json, at any depth,
    or the file itself) into one, written to `out`. A paper in several keeps its last row."""
    files = _summary_files(sources)
    rows: dict[tuple[str, str], SummaryRow] = {}
    for path in files:
        try:
            summary = BatchSummary.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError) as exc:
            raise InputError(
                f"{path} is not a batch summary ({type(exc).__name__})",
                "pass folders written by `papercoder batch`",
            ) from exc
        for row in summary.rows:
            rows[(row.paper, row.run_dir)] = row
    merged = BatchSummary(rows=sorted(rows.values(), key=lambda r: (r.paper, r.run_dir)))
    write_summary(merged, out)
    return merged


def _summary_files(sources: Sequence[Path]) -> list[Path]:
    if not sources:
        raise UsageError("no summaries given", "pass the folders of the batches to merge")
    files: list[Path] = []
    for source in sources:
        found = [source] if source.is_file() else sorted(source.rglob(f"{SUMMARY}.json"))
        if not found:
            raise InputError(
                f"no {SUMMARY}.json in {source}", "pass folders written by `papercoder batch`"
            )
        files += found
    return files
