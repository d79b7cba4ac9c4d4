"""`papercoder batch`: many papers, each built in its own run directory under one folder, and
one summary table of them (markdown, CSV and JSON).

Running the same batch again resumes every unfinished run from its directory (answered model
calls come from the run's cache, completed stages are not redone) and skips finished ones. One
paper failing (an unreadable PDF, an endpoint error, a red verdict) never stops the others: its
row says why. Builds run `jobs` at a time; their sandboxes take turns on the Docker engine
(`sandboxes` at a time), which may be remote (``DOCKER_HOST``). Tables written by separate
batches (e.g. one paper per CI job) merge with `batch_summary.collect`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from papercoder import run
from papercoder.batch_summary import BatchSummary, SummaryRow, finished, summarise, write_summary
from papercoder.errors import (
    BudgetExhausted,
    EndpointError,
    InputError,
    PaperCoderError,
    SandboxError,
    UsageError,
)
from papercoder.pipeline import run_all
from papercoder.runstore import atomic_write_text, sha256_file, slugify
from papercoder.sandbox.protocol import InstallResult, Sandbox, Session
from papercoder.settings import Settings

BATCH_MANIFEST = "batch.json"
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
    settings: Settings = Field(description="never the API key (excluded from dumps)")
    papers: list[BatchEntry]


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
        run.open_sandbox(settings).close()  # the engine answers, or fail before generating anything
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
    """Build `paper` in `run_dir` (resuming what is there), then verify and repair it when a
    sandbox is given."""
    run.build(paper, settings, run_dir=run_dir, verify=sandbox is not None, sandbox=sandbox)


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


@contextlib.contextmanager
def _gated_sandbox(
    settings: Settings, gate: threading.BoundedSemaphore, verify: bool
) -> Iterator[Sandbox | None]:
    """Each paper's own engine connection (a Docker client per thread), or none."""
    if not verify:
        yield None
        return
    box = run.open_sandbox(settings)
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
        settings=settings,
        papers=entries,
    )
    atomic_write_text(path, manifest.model_dump_json(indent=2) + "\n")
