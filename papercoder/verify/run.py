"""`papercoder verify REPO`: one run directory, the checks, the report files."""

from __future__ import annotations

import os
from pathlib import Path

from papercoder.runstore import RunStore, StageState, atomic_write_text
from papercoder.sandbox.protocol import Sandbox
from papercoder.settings import Settings
from papercoder.verify.checks import ALL_CHECKS, Timeouts, Verifier, check_repo
from papercoder.verify.diagnostics import CheckName
from papercoder.verify.report import VerifyReport, junit_xml, markdown_summary, write_json

REPORT = "report.json"


def iteration_dir(store: RunStore, iteration: int) -> Path:
    return store.path(f"verify/iter-{iteration:03d}")


def verify_repo(
    repo: Path,
    settings: Settings,
    sandbox: Sandbox,
    *,
    checks: tuple[CheckName, ...] = ALL_CHECKS,
    timeouts: Timeouts | None = None,
    report_path: Path | None = None,
    junit_path: Path | None = None,
) -> tuple[VerifyReport, RunStore]:
    """Verify `repo` once; logs and reports land in a new run directory."""
    repo = check_repo(repo)
    store = RunStore.create(settings.runs_dir, f"verify-{repo.name}")
    store.manifest.settings = settings.public()
    store.set_stage("verify", StageState.RUNNING)
    log_dir = iteration_dir(store, 0)
    report = Verifier(sandbox, log_dir, timeouts).verify(repo, checks)
    write_json(report, log_dir / REPORT)
    write_json(report, store.path(REPORT))
    store.set_stage("verify", StageState.DONE)
    publish(report, report_path, junit_path)
    return report, store


def publish(report: VerifyReport, report_path: Path | None, junit_path: Path | None) -> None:
    """The outputs CI reads: report JSON, JUnit XML, and the GitHub step summary."""
    if report_path is not None:
        write_json(report, report_path)
    if junit_path is not None:
        atomic_write_text(junit_path, junit_xml(report))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(markdown_summary(report))


def verify_run(store: RunStore, repo: Path, sandbox: Sandbox, iteration: int = 0) -> VerifyReport:
    """Verify a built repo inside its own run directory (verify/iter-NNN/)."""
    log_dir = iteration_dir(store, iteration)
    store.set_stage("verify", StageState.RUNNING)
    report = Verifier(sandbox, log_dir).verify(repo)
    write_json(report, log_dir / REPORT)
    write_json(report, store.path(REPORT))
    store.set_stage("verify", StageState.DONE)
    return report
