"""`papercoder logs`: what happened in a run, per iteration, per check, per model call."""

from __future__ import annotations

from pathlib import Path

from papercoder.errors import UsageError
from papercoder.llm.gateway import CallRecord
from papercoder.loop import STATE, LoopState
from papercoder.runstore import RunStore, read_jsonl
from papercoder.verify.report import VerifyReport


def iterations(store: RunStore) -> list[int]:
    return store.verified_iterations()


def loop_state(store: RunStore) -> LoopState | None:
    return store.read_model(STATE, LoopState)


def report_of(store: RunStore, iteration: int | None) -> tuple[int, VerifyReport]:
    known = iterations(store)
    if not known:
        raise UsageError(f"{store.root} has no verified iteration yet", "run verify or build first")
    chosen = known[-1] if iteration is None else iteration
    report = store.read_model(store.report_path(chosen), VerifyReport)
    if report is None:
        raise UsageError(
            f"iteration {chosen} does not exist in {store.root}",
            f"choose one of {', '.join(map(str, known))}",
        )
    return chosen, report


def check_log(store: RunStore, iteration: int | None, check: str) -> tuple[Path, str]:
    chosen, report = report_of(store, iteration)
    result = report.check(check)  # type: ignore[arg-type]  # an unknown name gives None
    if result is None or result.log is None:
        names = ", ".join(c.name for c in report.checks if c.log)
        raise UsageError(
            f"iteration {chosen} has no log for check {check!r}", f"choose one of {names}"
        )
    path = store.verify_dir(chosen) / Path(result.log).name  # moved runs too
    return path, path.read_text("utf-8", errors="replace")


def calls(store: RunStore) -> list[CallRecord]:
    return [CallRecord.model_validate(r) for r in read_jsonl(store.calls_path)]


def repair_files(store: RunStore, iteration: int) -> dict[str, str]:
    folder = store.repair_dir(iteration)
    return {p.name: p.read_text("utf-8") for p in sorted(folder.glob("*")) if p.is_file()}


def repair_patch(store: RunStore) -> str | None:
    """The repair of a verified repository as a patch, or None when the run has none."""
    path = store.path("repair.patch")
    return path.read_text("utf-8") if path.is_file() else None
