"""`papercoder verify REPO`: one run directory, the checks, the report files.

The repository under verification is only ever read. A repair works on a copy in the run
directory (`repo/`, with its own git history) and is delivered as `repair.patch`, which
`--apply` puts into the user's working tree (no index, no commit). The run directory goes
outside the repository unless `--runs-dir` says otherwise.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from papercoder.errors import UsageError
from papercoder.repo import GitRepo, apply_command, apply_patch, snapshot
from papercoder.runstore import InputRecord, RunStore, StageState, atomic_write_text
from papercoder.sandbox.protocol import Sandbox
from papercoder.settings import Settings, user_state_dir
from papercoder.verify.checks import Verifier, check_repo
from papercoder.verify.report import VerifyReport, junit_xml, markdown_summary, write_json

REPORT = "report.json"
PATCH = "repair.patch"
COPY = "repo"


class PatchDelivery(BaseModel):
    """What a repair changed in the user's repository, as a patch."""

    model_config = ConfigDict(extra="forbid")

    patch: str
    files: list[str]
    applied: bool
    apply_command: str


def runs_root(settings: Settings, repo: Path) -> Path:
    """Where verify's run directories go: `--runs-dir` when given; else `runs/` here, unless
    here is inside the repository under verification, then the per-user state directory."""
    if "runs_dir" in settings.model_fields_set:
        return settings.runs_dir
    if settings.runs_dir.resolve().is_relative_to(repo.resolve()):
        return user_state_dir() / "runs"
    return settings.runs_dir


def check_outputs(*paths: Path | None) -> None:
    """Refuse report paths that cannot be written, before any work is done."""
    for path in paths:
        if path is not None and path.is_dir():
            raise UsageError(f"{path} is a directory", "give a file name for the report")


def new_run(repo: Path, settings: Settings, *, copy: bool) -> RunStore:
    """A new run directory for verifying `repo`, recording its settings; with `copy`, it
    holds a copy of the repository to repair (`repo/`)."""
    target = check_repo(repo)
    store = RunStore.create(runs_root(settings, target), f"verify-{target.name}")
    store.manifest.settings = settings
    if copy:
        files = snapshot(target, store.path(COPY), exclude=store.root)
        store.manifest.inputs["repo"] = InputRecord(path=str(target), sha256=f"{len(files)} files")
    store.save_manifest()
    return store


def repair_copy(store: RunStore) -> Path:
    """The copy a verify run repairs; made now for a run started before copies existed."""
    copy = store.path(COPY)
    record = store.manifest.inputs.get("repo")
    if not copy.is_dir():
        if record is None:
            raise UsageError(f"{store.root} is not a verify run", "resume a verify run")
        snapshot(check_repo(Path(record.path)), copy, exclude=store.root)
    return copy


def as_given(store: RunStore, report: VerifyReport) -> VerifyReport:
    """The report of a verify run's copy, naming the repository the user gave."""
    record = store.manifest.inputs.get("repo")
    return report.model_copy(update={"repo": record.path}) if record else report


def deliver(store: RunStore, apply: bool) -> PatchDelivery:
    """Write `repair.patch` (the copy against the repository as it was given) and, when asked,
    apply it to the user's working tree."""
    copy = GitRepo(store.path(COPY))
    text = copy.diff_from(copy.first_commit())
    path = store.write_text(PATCH, text)
    files = sorted(set(re.findall(r"^diff --git a/(.+?) b/", text, re.M)))
    record = store.manifest.inputs["repo"]
    target = Path(record.path)
    command = shlex.join(apply_command(target, path))
    if apply and files:
        apply_patch(target, path)
    return PatchDelivery(
        patch=str(path), files=files, applied=apply and bool(files), apply_command=command
    )


def verify_once(store: RunStore, repo: Path, settings: Settings, sandbox: Sandbox) -> VerifyReport:
    """Verify `repo` once (the settings' checks and limits) into the run's iteration 0."""
    store.set_stage("verify", StageState.RUNNING)
    verifier = Verifier(
        sandbox, store.verify_dir(0), settings.timeouts, smoke=settings.smoke_command
    )
    report = verifier.verify(check_repo(repo), settings.checks)
    write_json(report, store.report_path(0))
    write_json(report, store.path(REPORT))
    store.set_stage("verify", StageState.DONE)
    return report


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
