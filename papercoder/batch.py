"""`papercoder batch`: many papers, each built in its own run directory under one folder, and
one summary table of them (markdown, CSV and JSON).

Running the same batch again resumes every unfinished run from its directory (answered model
calls come from the run's cache, completed stages are not redone) and skips finished ones. One
paper failing (an unreadable PDF, an endpoint error, a red verdict) never stops the others: its
row says why. Builds run `jobs` at a time; their sandboxes take turns on the Docker engine
(`sandboxes` at a time), which may be remote (``DOCKER_HOST``). Tables written by separate
batches (e.g. one paper per CI job) merge with `collect`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from papercoder.agents.plan import LogicDesign
from papercoder.errors import (
    BudgetExhausted,
    EndpointError,
    InputError,
    PaperCoderError,
    SandboxError,
    UsageError,
)
from papercoder.llm.ledger import Ledger
from papercoder.pipeline import BuildResult, run_all
from papercoder.repair.loop import LoopReport
from papercoder.runstore import MANIFEST as RUN_MANIFEST
from papercoder.runstore import RunStore, atomic_write_text, sha256_file, slugify
from papercoder.sandbox.protocol import InstallResult, Sandbox, Session
from papercoder.settings import Settings
from papercoder.verify.report import FAILING

if TYPE_CHECKING:
    from papercoder.sandbox.docker import DockerSandbox

Stage = Literal["none", "ingest", "plan", "analyse", "code", "verify"]
STAGES: tuple[Stage, ...] = ("ingest", "plan", "analyse", "code", "verify")
Status = Literal["green", "red", "built", "failed"]
BATCH_MANIFEST = "batch.json"
SUMMARY = "summary"  # summary.md, summary.csv, summary.json
ERROR_KINDS: tuple[tuple[type[PaperCoderError], str], ...] = (
    (InputError, "bad input"),
    (EndpointError, "model endpoint"),
    (SandboxError, "sandbox"),
    (BudgetExhausted, "budget"),
    (UsageError, "usage"),
)


class BatchOptions(BaseModel):
    """How a batch runs; the per-paper settings (model, budgets) are a `Settings`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    out: Path = Path("runs/batch")
    jobs: int = Field(default=2, ge=1, description="papers built at once")
    sandboxes: int = Field(default=1, ge=1, description="papers using the Docker engine at once")
    verify: bool = True


class BatchEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paper: str = Field(description="the paper's file, absolute")
    sha256: str | None = Field(description="None when the file could not be read")
    run_dir: str = Field(description="the run directory's name under the batch folder")


class BatchManifest(BaseModel):
    """batch.json: what the last batch command in this folder was given (no secrets)."""

    model_config = ConfigDict(extra="forbid")

    created: float
    updated: float
    verify: bool
    jobs: int
    sandboxes: int
    settings: dict[str, Any]
    papers: list[BatchEntry]


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

    @property
    def note(self) -> str:
        if self.error:
            return self.error
        if self.status == "red":
            return f"failing: {', '.join(self.failing) or '?'} (stopped: {self.stop_reason})"
        return ""


class BatchSummary(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[SummaryRow]

    @property
    def ok(self) -> bool:
        """Every paper green (or built, when the batch did not verify)."""
        return all(row.status in ("green", "built") for row in self.rows)


@dataclass(frozen=True)
class BatchEvent:
    """A paper started, was skipped (finished earlier) or ended (`row` then says how)."""

    paper: str
    kind: Literal["start", "skip", "done"]
    row: SummaryRow | None = None


EventFn = Callable[[BatchEvent], None]


def run_batch(
    papers: Sequence[Path],
    settings: Settings,
    options: BatchOptions,
    events: EventFn | None = None,
) -> BatchSummary:
    """Build every paper in its own run directory under `options.out`, `jobs` at a time;
    write and return the summary. Finished runs are skipped, unfinished ones resumed."""
    entries = plan_batch(papers)
    _prepare_out(options.out)
    _write_manifest(options, settings, entries)
    if options.verify:
        _sandbox(settings).close()  # the engine answers, or fail before generating anything
    gate = threading.BoundedSemaphore(options.sandboxes)
    emit = events or (lambda event: None)

    def one(entry: BatchEntry) -> SummaryRow:
        name = Path(entry.paper).name
        run_dir = options.out / entry.run_dir
        if finished(run_dir, options.verify):
            row = summarise(name, run_dir)
            emit(BatchEvent(name, "skip", row))
            return row
        emit(BatchEvent(name, "start"))
        started = time.monotonic()
        error = None
        try:
            with _gated_sandbox(settings, gate, options.verify) as sandbox:
                _build_one(Path(entry.paper), settings, run_dir, sandbox)
        except PaperCoderError as exc:
            error = describe(exc)
        except Exception as exc:  # one paper's crash must not stop the others
            error = f"internal error: {type(exc).__name__}: {exc}"
        row = summarise(name, run_dir, error=error, seconds=time.monotonic() - started)
        emit(BatchEvent(name, "done", row))
        return row

    summary = BatchSummary(rows=run_all(one, entries, options.jobs))
    write_summary(summary, options.out)
    return summary


def _build_one(paper: Path, settings: Settings, run_dir: Path, sandbox: Sandbox | None) -> None:
    """The batch's one seam into the pipeline: build `paper` in `run_dir` (resuming what is
    there), then verify and repair it when a sandbox is given."""
    from papercoder.pipeline import open_run, run_stages
    from papercoder.repair.loop import run_repair

    store = open_run(paper, settings, run_dir)
    if not store.stage_done("code"):  # generation again would rewrite files repair has fixed
        run_stages(store, paper, settings)
    if sandbox is None:
        return
    logic = store.read_model("plan/logic.json", LogicDesign)
    entries = {f.path: f.responsibilities for f in logic.files} if logic else {}
    run_repair(store, store.path("repo"), settings, sandbox, plan_entries=entries)


def plan_batch(papers: Sequence[Path]) -> list[BatchEntry]:
    """One entry per paper, named like a build's run directory (`<name>-<content hash>`), so
    the same paper always lands in the same directory and a changed one in a new one."""
    if not papers:
        raise UsageError("no papers given", "pass one or more paper files: papercoder batch A.pdf")
    entries: list[BatchEntry] = []
    seen: dict[str, str] = {}
    for paper in papers:
        try:
            digest: str | None = sha256_file(paper)
        except OSError:
            digest = None  # its build reports why; the others go on
        name = slugify(paper.stem) + (f"-{digest[:8]}" if digest else "")
        if name in seen:
            raise UsageError(
                f"{seen[name]} and {paper} are the same paper (run directory {name})",
                "pass each paper once",
            )
        seen[name] = str(paper)
        entries.append(BatchEntry(paper=str(paper.resolve()), sha256=digest, run_dir=name))
    return entries


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
    )


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


def describe(exc: PaperCoderError) -> str:
    """One line saying what kind of failure it was, what happened and how to fix it."""
    kind = next((label for cls, label in ERROR_KINDS if isinstance(exc, cls)), "error")
    return f"{kind}: {exc.one_line()}"


class GatedSandbox:
    """A sandbox whose installs and check sessions take turns on a gate shared by the batch,
    so at most N papers use the Docker engine at once while the others talk to the model."""

    def __init__(self, inner: Sandbox, gate: threading.BoundedSemaphore) -> None:
        self._inner = inner
        self._gate = gate

    def install(self, repo: Path) -> InstallResult:
        with self._gate:
            return self._inner.install(repo)

    @contextlib.contextmanager
    def session(self, image: str, repo: Path) -> Iterator[Session]:
        with self._gate, self._inner.session(image, repo) as session:
            yield session


def _sandbox(settings: Settings) -> DockerSandbox:
    from papercoder.sandbox.docker import DockerSandbox

    return DockerSandbox(base_image=settings.base_image, constraints=settings.pip_constraint)


@contextlib.contextmanager
def _gated_sandbox(
    settings: Settings, gate: threading.BoundedSemaphore, verify: bool
) -> Iterator[Sandbox | None]:
    """Each paper's own engine connection (a Docker client per thread), or none."""
    if not verify:
        yield None
        return
    box = _sandbox(settings)
    try:
        yield GatedSandbox(box, gate)
    finally:
        box.close()


def _prepare_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file", "give a directory for the batch")
    out.mkdir(parents=True, exist_ok=True)


def _write_manifest(options: BatchOptions, settings: Settings, entries: list[BatchEntry]) -> None:
    path = options.out / BATCH_MANIFEST
    now = time.time()
    created = now
    with contextlib.suppress(OSError, ValidationError):
        created = BatchManifest.model_validate_json(path.read_text(encoding="utf-8")).created
    manifest = BatchManifest(
        created=created,
        updated=now,
        verify=options.verify,
        jobs=options.jobs,
        sandboxes=options.sandboxes,
        settings=settings.public(),
        papers=entries,
    )
    atomic_write_text(path, manifest.model_dump_json(indent=2) + "\n")


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
