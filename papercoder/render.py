"""Terminal rendering with rich: the library returns models, this turns them into tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Literal

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from papercoder.batch import BatchEvent
from papercoder.batch_summary import COLUMNS, SUMMARY, BatchSummary, table_cells
from papercoder.doctor import DoctorReport
from papercoder.llm.gateway import CallRecord
from papercoder.loop import Iteration, LoopReport, LoopState
from papercoder.pipeline import BuildResult
from papercoder.pipeline import Progress as BuildEvent
from papercoder.run import BuildDone, Event, IterationDone, RunOpened, VerifyOutcome
from papercoder.runstore import RunStore
from papercoder.verify.report import VerifyReport
from papercoder.verify.run import PatchDelivery

_MARK = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}


def doctor_table(report: DoctorReport) -> Table:
    table = Table(title="papercoder doctor", show_lines=False)
    for column in ("check", "status", "detail", "fix"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        table.add_row(check.name, _MARK[check.status], check.detail, check.fix)
    return table


_STATUS = {
    "pass": "[green]pass[/]",
    "fail": "[red]FAIL[/]",
    "timeout": "[red]TIMEOUT[/]",
    "error": "[red]ERROR[/]",
    "skipped": "[dim]skipped[/]",
}


def verify_summary(report: VerifyReport, run_dir: Path, limit: int = 5) -> Group:
    """One row per check, then the first diagnostics of each failing check with file:line."""
    table = Table(title=f"papercoder verify {report.repo}")
    for column in ("check", "status", "time", "summary", "log"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        log = _relative(check.log, run_dir) if check.log else ""
        table.add_row(
            check.name,
            _STATUS[check.status],
            f"{check.duration_s:.1f}s",
            escape(check.summary),
            log,
        )
    parts: list[RenderableType] = [table]
    for check in report.failing():
        for diag in check.diagnostics[:limit]:
            text = Text(f"  {diag.location()}  ", style="bold")
            text.append(f"{check.name} [{diag.code}] ", style="red")
            text.append(diag.message)
            parts.append(text)
        if len(check.diagnostics) > limit:
            parts.append(Text(f"  … {len(check.diagnostics) - limit} more in {check.name}"))
    verdict = "all checks pass" if report.passed else "checks failing"
    parts.append(Text(f"{verdict} — logs and report.json in {run_dir}"))
    return Group(*parts)


def _relative(path: str, root: Path) -> str:
    """`path` inside `root` as a relative path, however either was given; else as it is."""
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return path


class BuildProgress:
    """A live line per build: stage, files done of total, tokens, cost, elapsed."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[usage]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> BuildProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def update(self, event: BuildEvent) -> None:
        usage = f"{event.tokens:,} tokens  ${event.cost:.4f}"
        task = self._tasks.get(event.stage)
        if task is None:
            task = self._progress.add_task(event.stage, total=event.total, usage=usage)
            self._tasks[event.stage] = task
        self._progress.update(task, completed=event.done, total=event.total, usage=usage)


class EventView:
    """Draws a run's events as they come: the build's live progress, its summary, then
    each repair iteration. `on_run` learns the run directory as soon as it is known."""

    def __init__(self, out: Console, err: Console, on_run: Callable[[Path], None]) -> None:
        self._out, self._err, self._on_run = out, err, on_run
        self._progress: BuildProgress | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunOpened):
            self._on_run(event.run_dir)
        elif isinstance(event, BuildEvent):
            if self._progress is None:
                self._progress = BuildProgress(self._err).__enter__()
            self._progress.update(event)
        elif isinstance(event, BuildDone):
            self.close()
            self._out.print(build_summary(event.result))
        elif isinstance(event, IterationDone):
            self._err.print(iteration_line(event.record))

    def __enter__(self) -> EventView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)
            self._progress = None


def verification_summary(outcome: VerifyOutcome) -> list[RenderableType]:
    """The checks, then the repair loop and the patch it made, when there was one, then the
    signs in the code that a green proves little (papercoder.fidelity)."""
    parts: list[RenderableType] = [verify_summary(outcome.report, outcome.run_dir)]
    if outcome.loop is not None:
        parts.append(loop_summary(outcome.loop, outcome.run_dir))
        if outcome.patch is not None:
            parts.append(patch_summary(outcome.patch, outcome.loop.passed))
    if outcome.fidelity is not None and (warnings := outcome.fidelity.warnings()):
        text = Text()
        for line in warnings:
            text.append("warn ", style="yellow").append(f"{line}\n")
        parts.append(text)
    return parts


def build_summary(result: BuildResult) -> Text:
    return Text(
        f"built {len(result.files)} files in {result.repo}\n"
        f"tokens {result.tokens:,}  cost ${result.cost:.4f}  time {result.seconds:.1f}s\n"
        f"smoke: {result.smoke_command}   run: {result.run_dir}"
    )


def iteration_line(record: Iteration) -> Text:
    text = Text(f"iteration {record.iteration}: score {record.score}, ", style="bold")
    text.append(f"{len(record.failing)} failing", style="red" if record.failing else "green")
    if record.iteration:
        text.append(f", {record.applied} edits applied, {len(record.rejected)} rejected")
    if record.message:
        text.append(f" — {record.message}")
    return text


RAISE = {
    "max-iterations": "--max-iterations",
    "max-tokens": "--max-tokens",
    "max-cost": "--max-cost",
    "max-time": "--max-time",
    "no-progress": "--patience",
}


def loop_summary(report: LoopReport, run_dir: Path) -> Text:
    verdict = "every check passes" if report.passed else "checks still failing"
    text = Text(
        f"{verdict}: stop reason {report.stop_reason}, {report.iterations} repair iterations "
        f"(best {report.best_iteration}), tokens {report.tokens:,}, cost ${report.cost:.4f}, "
        f"time {report.seconds:.1f}s\nlogs: papercoder logs {run_dir}   report: "
        f"{run_dir / 'report.json'}"
    )
    flag = RAISE.get(report.stop_reason)
    if flag is not None:
        text.append(f"\nto go on: papercoder resume {run_dir} {flag} <a higher value>")
    return text


def patch_summary(delivery: PatchDelivery, passed: bool) -> Text:
    """Where the repair of a user's repository is, and whether it was applied."""
    if not delivery.files:
        return Text("the repair changed nothing: your repository is as it was")
    files = ", ".join(delivery.files[:5]) + (" …" if len(delivery.files) > 5 else "")
    head = f"repair of {len(delivery.files)} file(s) ({files}): {delivery.patch}\n"
    if delivery.applied:
        return Text(head + "applied to your working tree (not committed; review with git diff)")
    if not passed:
        head += "not applied (checks still failing); "
    return Text(head + f"your repository is unchanged; to apply it: {delivery.apply_command}")


def iterations_table(store: RunStore, state: LoopState | None, verified: list[int]) -> Table:
    table = Table(title=f"iterations of {store.root}")
    for column in ("iteration", "score", "failing", "edits", "rejected", "commit message"):
        table.add_column(column, overflow="fold")
    records = {r.iteration: r for r in (state.history if state else [])}
    for n in sorted(set(verified) | set(records)):
        record = records.get(n)
        if record is None:
            table.add_row(str(n), "", "(verified)", "", "", "")
            continue
        best = " (best)" if state and state.best == n else ""
        table.add_row(
            f"{n}{best}",
            str(record.score),
            "\n".join(record.failing) or "none",
            str(record.applied),
            str(len(record.rejected)),
            escape(record.message),
        )
    return table


def calls_table(calls: list[CallRecord]) -> Table:
    table = Table(title="model calls")
    for column in ("agent", "outcome", "prompt", "output", "cost", "latency", "attempts"):
        table.add_column(column)
    table.add_column("error", overflow="fold")
    for call in calls:
        cost = "" if call.cost is None else f"${call.cost:.4f}"
        table.add_row(
            call.agent,
            call.outcome,
            str(call.prompt_tokens or ""),
            str(call.completion_tokens or ""),
            cost,
            f"{call.latency_s:.2f}s",
            str(call.attempts),
            escape(call.error or ""),
        )
    return table


LogPart = tuple[Literal["out", "err", "raw"], "RenderableType | str"]


def logs_view(
    store: RunStore, iteration: int | None, check: str | None, llm: bool
) -> list[LogPart]:
    """What `papercoder logs` shows, in order: the model calls; one check's log; one
    iteration with its repair; or every iteration and the repair patch."""
    from papercoder import logs
    from papercoder.local import server_log

    parts: list[LogPart] = []
    if llm:
        parts.append(("out", calls_table(logs.calls(store))))
    elif check is not None:
        path, text = logs.check_log(store, iteration, check)
        parts += [("err", f"== {path}"), ("raw", text)]
    elif iteration is not None:
        chosen, report = logs.report_of(store, iteration)
        parts.append(("out", verify_summary(report, store.root)))
        for name, text in logs.repair_files(store, chosen).items():
            if name in ("patch.diff", "rejected.json"):
                shown = store.repair_dir(chosen).relative_to(store.root) / name
                parts += [("out", f"== {shown}"), ("out", text)]
    else:
        parts.append(
            ("out", iterations_table(store, logs.loop_state(store), logs.iterations(store)))
        )
        patch = logs.repair_patch(store)
        if patch is not None:
            parts += [("out", f"== {store.path('repair.patch')}")]
            parts += [("raw", patch or "(empty: the repair changed nothing)")]
    for log in (store.root.parent / "local-server.log", server_log(None)):
        if log.is_file():
            parts.append(("err", f"the local model server's own log: {log}"))
            break
    return parts


def batch_event(event: BatchEvent) -> Text:
    """One line per paper as a batch goes: started, skipped (finished earlier), ended."""
    row = event.row
    if event.kind == "start" or row is None:
        return Text(f"batch: {event.paper} started")
    style = {"green": "green", "built": "green", "red": "red", "failed": "red"}[row.status]
    line = Text(f"batch: {event.paper} ")
    line.append(row.status if event.kind == "done" else f"{row.status} (finished earlier)", style)
    if row.note:
        line.append(f" — {row.note}")
    return line


def batch_table(summary: BatchSummary, out: Path) -> Group:
    """The batch's summary table and where its files are."""
    green = sum(row.green for row in summary.rows)
    table = Table(title=f"papercoder batch: {green} of {len(summary.rows)} green")
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for cells in table_cells(summary):
        table.add_row(*cells)
    files = ", ".join(str(out / f"{SUMMARY}.{s}") for s in ("md", "csv", "json"))
    return Group(table, Text(f"tables: {files}"))
