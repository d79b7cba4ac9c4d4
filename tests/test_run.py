"""The library's entry points and the repair loop's logic, on the sandbox double (no Docker):
stop reasons, the best state, patience, resuming mid-loop, checks and limits that reach the
loop and survive a resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from papercoder import run
from papercoder.llm.client import ChatRequest
from papercoder.repo import GitRepo
from papercoder.runstore import RunStore
from papercoder.settings import Budgets, Settings, Timeouts
from papercoder.testing import FakeSandbox, FunctionModel
from papercoder.testing.sandbox import Row
from papercoder.verify.report import VerifyReport

BROKEN = "def double(x):\n    return 3 * x\n"
TEST = "from model import double\n\n\ndef test_double():\n    assert double(2) == 4\n"


def repo_at(tmp: Path) -> Path:
    root = tmp / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "model.py").write_text(BROKEN, "utf-8")
    (root / "tests" / "test_model.py").write_text(TEST, "utf-8")
    return root


def editor(tmp: Path) -> FunctionModel:
    """A model whose every reply is an edit that applies and changes the code: one more
    `+ 0` on the line the repair copy has now."""

    def reply(request: ChatRequest) -> str:
        [copy] = (tmp / "runs").glob("*/repo/model.py")
        line = next(x for x in copy.read_text("utf-8").splitlines() if "return" in x)
        return f"model.py\n<<<<<<< SEARCH\n{line}\n=======\n{line} + 0\n>>>>>>> REPLACE\n"

    return FunctionModel(reply)


def settings_for(tmp: Path, **limits: object) -> Settings:
    budgets = Budgets().raised(**limits)  # type: ignore[arg-type]  # keyword limits
    return Settings.resolve({"runs_dir": tmp / "runs", "budgets": budgets}, {})


def verify(
    tmp: Path, script: list[Row], *, settings: Settings | None = None, **limits: object
) -> tuple[run.VerifyOutcome, FakeSandbox, FunctionModel]:
    box = FakeSandbox(script)
    model = editor(tmp)
    outcome = run.verify(
        repo_at(tmp), settings or settings_for(tmp, **limits), sandbox=box, model=model
    )
    return outcome, box, model


def test_passes_in_two_iterations(tmp_path: Path) -> None:
    outcome, box, model = verify(tmp_path, [{"tests": "fail"}, {"tests": "fail"}, {}])
    assert outcome.loop is not None and outcome.passed
    assert outcome.loop.stop_reason == "passed" and outcome.loop.iterations == 2
    assert box.verifications == 3 and len(model.requests) == 2
    assert outcome.patch is not None and outcome.patch.files == ["model.py"]


def test_a_worse_state_is_rolled_back(tmp_path: Path) -> None:
    outcome, _, _ = verify(
        tmp_path, [{"tests": "fail"}, {"lint": "fail", "tests": "fail"}], patience=1
    )
    assert outcome.loop is not None and not outcome.passed
    assert outcome.loop.stop_reason == "no-progress" and outcome.loop.best_iteration == 0
    copy = outcome.run_dir / "repo"
    assert (copy / "model.py").read_text("utf-8") == BROKEN
    assert GitRepo(copy).log()[0].startswith("restore the best state: iteration 0")
    assert outcome.report.check("lint") is not None
    assert outcome.report.check("lint").status == "pass"  # type: ignore[union-attr]


def test_patience_ends_a_loop_without_progress(tmp_path: Path) -> None:
    outcome, _, model = verify(tmp_path, [{"types": "fail"}], patience=2, max_iterations=8)
    assert outcome.loop is not None and outcome.loop.stop_reason == "no-progress"
    assert outcome.loop.iterations == 2 and len(model.requests) == 2


@pytest.mark.parametrize(
    ("limits", "reason", "iterations"),
    [
        ({"max_iterations": 1, "patience": 5}, "max-iterations", 1),
        ({"max_tokens": 10}, "max-tokens", 0),
        ({"max_time": 0.0}, "max-time", 0),
    ],
)
def test_each_budget_has_its_stop_reason(
    tmp_path: Path, limits: dict[str, object], reason: str, iterations: int
) -> None:
    outcome, _, _ = verify(tmp_path, [{"tests": "fail"}], **limits)
    assert outcome.loop is not None and outcome.loop.stop_reason == reason
    assert outcome.loop.iterations == iterations
    assert outcome.loop.budgets == Budgets().raised(**limits)  # type: ignore[arg-type]


def test_cost_budget_stops_the_loop(tmp_path: Path) -> None:
    base = settings_for(tmp_path, max_cost=0.000001)
    priced = base.model_copy(update={"price_input": 10.0, "price_output": 30.0})
    outcome, _, model = verify(tmp_path, [{"tests": "fail"}], settings=priced)
    assert outcome.loop is not None and outcome.loop.stop_reason == "max-cost"
    assert model.requests == [], "refused before sending"


def test_checks_and_timeouts_reach_the_loop_and_survive_a_resume(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, max_iterations=1).model_copy(
        update={"checks": ("install", "lint"), "timeouts": Timeouts.uniform(30)}
    )
    outcome, box, _ = verify(tmp_path, [{"lint": "fail"}], settings=settings)
    assert {check for check, _ in box.ran} == {"lint"} and {t for _, t in box.ran} == {30}
    assert outcome.loop is not None and outcome.loop.stop_reason == "max-iterations"
    again = FakeSandbox([{"lint": "fail"}])
    resumed = run.resume(
        outcome.run_dir, {"max_iterations": 2}, sandbox=again, model=editor(tmp_path)
    )
    assert isinstance(resumed, run.VerifyOutcome) and resumed.loop is not None
    assert resumed.loop.iterations == 2
    assert {check for check, _ in again.ran} == {"lint"} and {t for _, t in again.ran} == {30}


def test_resume_mid_loop_redoes_nothing_done(tmp_path: Path) -> None:
    box = FakeSandbox([{"tests": "fail"}, {"tests": "fail"}, {}], interrupt_at=2)
    model = editor(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        run.verify(repo_at(tmp_path), settings_for(tmp_path), sandbox=box, model=model)
    [run_dir] = (tmp_path / "runs").iterdir()
    assert len(model.requests) == 2 and box.verifications == 2
    again = FakeSandbox([{}])
    later = editor(tmp_path)
    outcome = run.resume(run_dir, {}, sandbox=again, model=later)
    assert outcome.passed and isinstance(outcome, run.VerifyOutcome) and outcome.loop is not None
    assert outcome.loop.iterations == 2
    assert again.verifications == 1, "iterations 0 and 1 are not verified again"
    assert later.requests == [], "the repair of iteration 2 was made before the interruption"


def test_resume_changing_nothing_keeps_the_settings(tmp_path: Path) -> None:
    settings = Settings.resolve(
        {
            "runs_dir": tmp_path / "runs",
            "edit_format": "whole",
            "smoke_command": "python -m pkg",
            "budgets": Budgets(max_iterations=1),
        },
        {},
    )
    outcome, _, _ = verify(tmp_path, [{"tests": "fail"}], settings=settings)
    run.resume(
        outcome.run_dir, {}, sandbox=FakeSandbox([{"tests": "fail"}]), model=editor(tmp_path)
    )
    assert RunStore.open(outcome.run_dir).manifest.settings == settings


def test_verify_without_a_model_checks_once(tmp_path: Path) -> None:
    box = FakeSandbox([{"types": "fail"}])
    outcome = run.verify(repo_at(tmp_path), settings_for(tmp_path), sandbox=box)
    assert outcome.loop is None and not outcome.passed and box.verifications == 1
    stored = RunStore.open(outcome.run_dir).read_model("report.json", VerifyReport)
    assert stored is not None and stored.check("types") is not None


def test_a_new_failure_as_bad_as_the_last_is_progress_but_an_old_one_is_not(
    tmp_path: Path,
) -> None:
    """The 1.5B model fixed one KeyError per iteration and met the next: equal scores, and
    the loop stopped on no-progress. A failure seen before does not count again."""
    script: list[Row] = [{"types": "fail"}, {"types": "timeout"}, {"types": "fail"}]
    outcome, _, model = verify(tmp_path, script, patience=1, max_iterations=8)
    assert outcome.loop is not None and outcome.loop.stop_reason == "no-progress"
    assert outcome.loop.iterations == 2 and len(model.requests) == 2
    scores = [h.score for h in outcome.loop.history]
    assert scores[0] == scores[1] == scores[2], "the test needs equal scores to mean anything"
