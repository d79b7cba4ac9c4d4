"""The repair loop against the scripted server and the real sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from papercoder.loop import LoopReport, run_repair
from papercoder.repo import GitRepo
from papercoder.runstore import RunStore, read_jsonl
from papercoder.sandbox.docker import DockerSandbox
from papercoder.settings import Budgets, Settings
from papercoder.testing import Rule, ScriptedServer
from papercoder.testing.server import Script
from tests.sandbox.repos import write

pytestmark = pytest.mark.docker

BROKEN = {"model.py": "def double(x):\n    return 3 * x\n"}
FIX = "model.py\n<<<<<<< SEARCH\n    return 3 * x\n=======\n    return 2 * x\n>>>>>>> REPLACE\n"
WORSE = "model.py\n<<<<<<< SEARCH\n    return 3 * x\n=======\n    return 3 * x +\n>>>>>>> REPLACE\n"
NOOP = (
    "model.py\n<<<<<<< SEARCH\n    return 3 * x\n=======\n    return 3 * x  # same\n"
    ">>>>>>> REPLACE\n"
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[DockerSandbox]:
    box = DockerSandbox()
    box.ensure_image()
    yield box
    box.close()


def loop(
    sandbox: DockerSandbox,
    tmp: Path,
    replies: list[str] | str,
    files: dict[str, str] = BROKEN,
    **budgets: Any,
) -> tuple[LoopReport, RunStore, ScriptedServer, Path]:
    repo = write(tmp / "repo", files)
    rules = (
        [Rule(agent="repairer", content=r, times=1) for r in replies]
        if isinstance(replies, list)
        else [Rule(agent="repairer", content=replies)]
    )
    with ScriptedServer(Script(rules=rules)) as srv:
        limits = {k: budgets.pop(k) for k in list(budgets) if k in Budgets.model_fields}
        settings = Settings.resolve(
            {"base_url": srv.base_url, "model": "scripted", "runs_dir": tmp / "runs", **budgets}
            | {"budgets": Budgets().raised(**limits)},
            {},
        )
        store = RunStore.create(settings.runs_dir, "loop")
        report, _ = run_repair(store, repo, settings, sandbox)
    return report, store, srv, repo


def test_fixed_in_one_iteration(sandbox: DockerSandbox, tmp_path: Path) -> None:
    report, store, _, repo = loop(sandbox, tmp_path, [FIX])
    assert report.passed and report.stop_reason == "passed" and report.iterations == 1
    assert GitRepo(repo).log()[0].startswith("repair 1: fixed 1 of 1 failures")
    saved = json.loads(store.path("report.json").read_text("utf-8"))
    assert saved["stop_reason"] == "passed" and saved["budgets"]["max_iterations"] == 8


def test_worse_repair_is_rolled_back(sandbox: DockerSandbox, tmp_path: Path) -> None:
    report, _, _, repo = loop(sandbox, tmp_path, WORSE, patience=1)
    assert not report.passed and report.stop_reason == "no-progress"
    assert report.best_iteration == 0 and report.checks["tests"] == "fail"
    assert (repo / "model.py").read_text("utf-8") == BROKEN["model.py"]
    assert GitRepo(repo).log()[0].startswith("restore the best state: iteration 0")


PICKS = {
    "model.py": (
        "def double(x):\n    return 2 * x\n\n\ndef first(xs):\n    return xs[1]\n\n\n"
        "def last(xs):\n    return xs[-1]\n"
    ),
    "tests/test_picks.py": (
        "from model import first, last\n\n\ndef test_first():\n    assert first([5]) == 5\n"
        "\n\ndef test_last():\n    assert last([5]) == 5\n"
    ),
}
FIX_ONE_BREAK_ONE = (  # line 6 fixed, line 10 broken in the same reply
    "model.py\n<<<<<<< SEARCH\n    return xs[1]\n\n\ndef last(xs):\n    return xs[-1]\n"
    "=======\n    return xs[0]\n\n\ndef last(xs):\n    return xs[1]\n>>>>>>> REPLACE\n"
)


def test_a_changed_line_that_breaks_what_passed_is_undone(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    report, store, _, repo = loop(sandbox, tmp_path, [FIX_ONE_BREAK_ONE], PICKS)
    assert report.passed and report.iterations == 1
    assert (
        (repo / "model.py")
        .read_text("utf-8")
        .endswith("return xs[0]\n\n\ndef last(xs):\n    return xs[-1]\n")
    )
    assert GitRepo(repo).log()[0].endswith("; undid model.py:10")
    record = json.loads(store.path(store.repair_dir(1) / "undo.json").read_text("utf-8"))
    assert record["kept"] and record["undone"][0]["repaired"] == ["    return xs[1]"]
    assert (
        record["scores"][1] < record["scores"][0] and "IndexError" in record["undone"][0]["because"]
    )


def test_no_progress_stops_after_patience(sandbox: DockerSandbox, tmp_path: Path) -> None:
    report, _, srv, _ = loop(sandbox, tmp_path, NOOP, patience=2)
    assert report.stop_reason == "no-progress" and report.iterations == 2
    asked = srv.chat_requests("repairer")
    # the second iteration asks what the first asked (the cache answers: the same reply),
    # so it asks once more, warmer, saying so; the second reply is the same again
    assert len(asked) == 2
    assert asked[0].body["temperature"] == 0.0 and asked[1].body["temperature"] > 0.0
    assert "You sent exactly this reply before" in asked[1].body["messages"][-1]["content"]
    assert report.history[2].applied == 0
    assert report.history[2].rejected[0].reason == "the same reply as an earlier iteration"


def test_max_iterations(sandbox: DockerSandbox, tmp_path: Path) -> None:
    report, _, _, _ = loop(sandbox, tmp_path, NOOP, max_iterations=1, patience=5)
    assert report.stop_reason == "max-iterations" and report.iterations == 1


def test_token_budget_stops_before_the_call(sandbox: DockerSandbox, tmp_path: Path) -> None:
    report, store, srv, _ = loop(sandbox, tmp_path, [FIX], max_tokens=100)
    assert report.stop_reason == "max-tokens" and report.iterations == 0
    assert srv.chat_requests() == [] and report.tokens <= 100
    assert read_jsonl(store.calls_path)[0]["outcome"] == "refused"


def test_cost_budget_stops_before_the_call(sandbox: DockerSandbox, tmp_path: Path) -> None:
    report, _, srv, _ = loop(
        sandbox, tmp_path, [FIX], max_cost=0.0001, price_input=10.0, price_output=30.0
    )
    assert report.stop_reason == "max-cost" and srv.chat_requests() == []
    assert report.cost <= 0.0001


def test_time_budget(sandbox: DockerSandbox, tmp_path: Path) -> None:
    report, _, srv, _ = loop(sandbox, tmp_path, [FIX], max_time="0.01")
    assert report.stop_reason == "max-time" and srv.chat_requests() == []


def test_escaping_and_gate_weakening_edits_are_rejected_and_logged(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    reply = (
        "../outside.py\n<<<<<<< SEARCH\n=======\nx = 1\n>>>>>>> REPLACE\n\n"
        + "model.py\n<<<<<<< SEARCH\n    return 3 * x\n=======\n"
        "    return 3 * x  # type: ignore\n>>>>>>> REPLACE\n"
    )
    report, store, _, repo = loop(sandbox, tmp_path, reply, patience=1)
    assert not (repo.parent / "outside.py").exists()
    rejected = json.loads(store.path("repair/iter-001/rejected.json").read_text("utf-8"))
    reasons = " ".join(r["reason"] for r in rejected)
    assert "leaves the repository" in reasons and "type: ignore" in reasons
    assert report.history[1].applied == 0 and len(report.history[1].rejected) == 2


def test_verify_with_a_model_repairs_and_writes_ci_outputs(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from papercoder.cli import app

    repo = write(tmp_path / "repo", BROKEN)
    with ScriptedServer(Script(rules=[Rule(agent="repairer", content=FIX)])) as srv:
        result = CliRunner().invoke(
            app,
            [
                "verify",
                str(repo),
                "--base-url",
                srv.base_url,
                "--model",
                "scripted",
                "--runs-dir",
                str(tmp_path / "runs"),
                "--report",
                str(tmp_path / "r.json"),
                "--junit",
                str(tmp_path / "j.xml"),
                "--apply",
            ],
        )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["checks"][3]["status"] == "pass"
    assert 'failures="0"' in (tmp_path / "j.xml").read_text("utf-8")
    assert "return 2 * x" in (repo / "model.py").read_text("utf-8")


def test_later_iterations_are_held_to_the_first_iterations_tests(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    """A repair that got past the edit guards still cannot pass by testing less: the loop
    verifies every later iteration against the tests the first one ran."""
    from papercoder.llm.ledger import Ledger
    from papercoder.loop import RepairLoop

    two = "from model import double\n\n\ndef test_a():\n    assert double(2) == 4\n\n\n"
    two += "def test_b():\n    assert double(3) == 6\n"
    repo = write(tmp_path / "repo", {**BROKEN, "tests/test_model.py": two})
    settings = Settings.resolve({"runs_dir": tmp_path / "runs"}, {})
    store = RunStore.create(settings.runs_dir, "baseline")
    loop = RepairLoop(repo, store, sandbox, None, Ledger("m", None), settings)  # type: ignore[arg-type]  # no model is asked
    first = loop.verify(0)
    assert first.check("tests") is not None and first.check("tests").status == "fail"  # type: ignore[union-attr]
    write(
        repo,
        {
            "model.py": "def double(x):\n    return 2 * x\n",
            "tests/test_model.py": two.split("\n\n\ndef test_b")[0] + "\n",
        },
    )
    later = loop.verify(1)
    tests = later.check("tests")
    assert tests is not None and tests.status == "fail"
    assert {"fewer-tests", "fewer-tests-run"} <= {d.code for d in tests.diagnostics}


def test_a_failure_the_model_leaves_unchanged_twice_is_set_aside_for_the_next(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    """adam with the 1.5B model: three iterations sent a test that imports a missing name
    back unchanged while nine failures waited; the loop stopped on no progress."""
    files = {
        **BROKEN,
        "a.py": "def f():\n    return no_such_name\n",
        "tests/test_model.py": "from model import double\n\n\ndef test_double():\n"
        "    assert double(2) == 4\n",
    }
    stuck = (
        "a.py\n<<<<<<< SEARCH\n    return something_else\n=======\n    return 1\n>>>>>>> REPLACE\n"
    )
    rules = [
        Rule(agent="repairer", contains="no_such_name", content=stuck),
        Rule(agent="repairer", content=FIX),
    ]
    repo = write(tmp_path / "repo", files)
    with ScriptedServer(Script(rules=rules)) as srv:
        settings = Settings.resolve(
            {"base_url": srv.base_url, "model": "scripted", "runs_dir": tmp_path / "runs"}
            | {"budgets": Budgets().raised(patience=3, max_iterations=6)},
            {},
        )
        store = RunStore.create(settings.runs_dir, "loop")
        report, final = run_repair(store, repo, settings, sandbox)
    # asked with the rest, then alone twice; then set aside, and the next failure is asked
    assert [h.applied for h in report.history[1:5]] == [0, 0, 0, 1]
    assert (repo / "model.py").read_text("utf-8") == "def double(x):\n    return 2 * x\n"
    assert {c.name: c.status for c in final.checks}["tests"] == "pass"
    third = [r for r in srv.chat_requests("repairer") if "test_double" in r.text][-1]
    assert "no_such_name" not in third.text
    state = json.loads((store.root / "repair" / "state.json").read_text("utf-8"))
    assert state["set_aside"] == ["a.py:2"]
