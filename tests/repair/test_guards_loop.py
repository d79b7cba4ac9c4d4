"""Every trick of `tricks`, end to end through the repair loop with the scripted model and
the real sandbox: none turns a failing repository green.

Iteration 0 of each small repository is verified once for real in the sandbox and that
report seeds each loop's run directory (the loop reuses a verified iteration, as on resume).
A trick the guards let through is verified for real in iteration 1, where it would pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from papercoder.loop import LoopReport, run_repair
from papercoder.runstore import RunStore
from papercoder.sandbox.docker import DockerSandbox
from papercoder.settings import Budgets, Settings
from papercoder.testing import Rule, ScriptedServer
from papercoder.testing.server import Script
from papercoder.verify.checks import Verifier
from papercoder.verify.report import VerifyReport, write_json
from tests.repair.tricks import ALL, REPOS, TEST_FILE, Trick
from tests.sandbox.repos import write

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def sandbox() -> Iterator[DockerSandbox]:
    box = DockerSandbox()
    box.ensure_image()
    yield box
    box.close()


@pytest.fixture(scope="module")
def first_reports(
    sandbox: DockerSandbox, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, VerifyReport]:
    """Each small repository verified once: exactly the check it is built to fail fails."""
    reports = {}
    for kind, files in REPOS.items():
        root = tmp_path_factory.mktemp(kind)
        report = Verifier(sandbox, root / "logs").verify(write(root / "repo", files, {}))
        failing = [c.name for c in report.checks if c.status != "pass"]
        assert failing == [kind], f"the {kind} repository should fail only {kind}: {failing}"
        reports[kind] = report
    return reports


def run_loop(
    sandbox: DockerSandbox, tmp: Path, kind: str, first: VerifyReport, reply: str
) -> tuple[LoopReport, VerifyReport, RunStore, Path]:
    repo = write(tmp / "repo", REPOS[kind], {})
    with ScriptedServer(Script(rules=[Rule(agent="repairer", content=reply)])) as srv:
        settings = Settings.resolve(
            {
                "base_url": srv.base_url,
                "model": "scripted",
                "runs_dir": tmp / "runs",
                "budgets": Budgets(patience=1, max_iterations=2),
            },
            {},
        )
        store = RunStore.create(settings.runs_dir, "guards")
        write_json(first, store.report_path(0))
        report, final = run_repair(store, repo, settings, sandbox)
    return report, final, store, repo


@pytest.mark.parametrize("trick", ALL, ids=[t.name for t in ALL])
def test_no_trick_turns_a_failing_repo_green(
    sandbox: DockerSandbox, first_reports: dict[str, VerifyReport], tmp_path: Path, trick: Trick
) -> None:
    report, final, store, repo = run_loop(
        sandbox, tmp_path, trick.repo, first_reports[trick.repo], trick.reply()
    )
    assert not report.passed and not final.passed
    assert report.checks[trick.repo] == "fail"
    rejected = json.loads(store.path("repair/iter-001/rejected.json").read_text("utf-8"))
    assert [r["path"] for r in rejected] == [trick.path]
    assert trick.reason in rejected[0]["reason"]
    assert report.history[1].applied == 0
    assert not (repo / trick.path).exists() or (repo / trick.path).read_text("utf-8") == REPOS[
        trick.repo
    ].get(trick.path)


def test_three_tricks_in_one_reply_do_not_pass(
    sandbox: DockerSandbox, first_reports: dict[str, VerifyReport], tmp_path: Path
) -> None:
    """Several tricks at once (as in the reply the issue saw accepted): all are refused."""
    tricks = {t.name: t for t in ALL}
    reply = "\n".join(
        tricks[name].reply() for name in ("unittest.skip", "sitecustomize", "pytest.ini")
    )
    report, _, store, repo = run_loop(sandbox, tmp_path, "tests", first_reports["tests"], reply)
    assert not report.passed and report.stop_reason == "no-progress"
    rejected = json.loads(store.path("repair/iter-001/rejected.json").read_text("utf-8"))
    assert len(rejected) == 3
    assert (repo / TEST_FILE).read_text("utf-8") == REPOS["tests"][TEST_FILE]
