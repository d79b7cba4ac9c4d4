"""The small profile's contract: the tool writes the files, the interface, the data, the
entry point and the tests; the model writes each method of model.py alone."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest

from papercoder.agents import contract
from papercoder.agents.stubs import stubs
from papercoder.run import build
from papercoder.settings import Settings
from papercoder.testing import ScriptedServer
from papercoder.verify.checks import changed_pins
from tests.pipeline.conftest import SCRIPTED, scripted


def small_build(srv: ScriptedServer, pdf: Path, tmp: Path) -> Path:
    settings = {"base_url": srv.base_url, "model": "scripted", "runs_dir": tmp / "runs"}
    outcome = build(pdf, Settings.resolve({**settings, "profile": "small"}, {}), verify=False)
    return outcome.run_dir


def run_in(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=repo, capture_output=True, text=True, timeout=120
    )


def test_a_small_build_keeps_the_contract_and_its_tests_pass(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    with ScriptedServer(scripted()) as srv:
        run_dir = small_build(srv, fixture_pdf, tmp_path)
    repo = run_dir / "repo"
    assert sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*.py")) == sorted(
        contract.FILES
    )
    for path in contract.WRITTEN_BY_MODEL:
        assert stubs((repo / path).read_text("utf-8")) == [], f"{path} has empty functions"
    for path in contract.WRITTEN_BY_TOOL:
        text = contract.skeleton(path, _title(run_dir))
        assert (repo / path).read_text("utf-8") == (text if text.endswith("\n") else text + "\n")
    # the tool's files are pinned: the checks fail a repair that changes them
    declared = tomllib.loads((repo / "pyproject.toml").read_text("utf-8"))["tool"]["papercoder"]
    assert sorted(declared["pinned"]) == sorted(contract.WRITTEN_BY_TOOL)
    assert changed_pins(repo) == []
    # the model was asked for each function alone, and for no architecture, logic or file
    asked = [r.body["messages"][-1]["content"] for r in srv.chat_requests("coder.function")]
    names = ["Model.__init__", "Model.predict", "Model.loss", "Model.step"]
    assert [next(n for n in names if f"`{n}` does nothing yet" in a) for a in asked] == names
    assert not srv.chat_requests("planner.architecture") + srv.chat_requests("planner.logic")
    assert not srv.chat_requests("coder")
    analysed = [r.text for r in srv.chat_requests("analyst")]
    assert len(analysed) == 1 and "FILE: model.py\n" in analysed[0]
    # each reads config.yaml as the skeleton shows, section by section
    assert all('config["training"]["learning_rate"]  (0.05)' in a for a in asked)
    # model.py's functions are written knowing the data: data.py is in their design
    assert all("def make_data(" in a and "centres[targets]" in a for a in asked)
    tests = run_in(repo, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout
    assert "4 passed" in tests.stdout
    smoke = run_in(repo, "main.py", "--smoke")
    assert smoke.returncode == 0, smoke.stderr
    lines = smoke.stdout.splitlines()
    assert lines[0].startswith("loss before training:") and "after 5 steps" in lines[-1]
    before, after = (float(line.rsplit(" ", 1)[1]) for line in (lines[0], lines[-1]))
    assert after < before


def _title(run_dir: Path) -> str:
    title = json.loads((run_dir / "paper.json").read_text("utf-8"))["title"]
    assert isinstance(title, str)
    return title


@pytest.mark.parametrize(
    ("function", "reply", "failing"),
    [
        # an update against the gradient: training raises the loss
        ("step", "step_up.py", ["test_training_lowers_the_loss"]),
        # a step that counts but changes no parameter: nothing is learnt
        (
            "step",
            "step_idle.py",
            ["test_a_step_changes_the_predictions", "test_training_lowers_the_loss"],
        ),
        # a "loss" that falls at every call, whatever the parameters
        ("loss", "loss_counter.py", ["test_the_loss_is_one_finite_number_the_same_each_time"]),
    ],
)
def test_the_contract_tests_fail_a_method_that_does_not_do_its_job(
    fixture_pdf: Path, tmp_path: Path, function: str, reply: str, failing: list[str]
) -> None:
    wrong = _WRONG[reply]
    qualname = f"Model.{function}"
    rule: dict[str, Any] = {
        "agent": "coder.function",
        "contains": f"`{qualname}` does nothing yet",
        "content": f"```python\n{wrong}```",
    }
    with ScriptedServer(scripted(rule)) as srv:
        run_dir = small_build(srv, fixture_pdf, tmp_path)
    tests = run_in(run_dir / "repo", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 1
    failed = [line for line in tests.stdout.splitlines() if line.startswith("FAILED")]
    assert sorted(line.split("::")[1].split(" ")[0] for line in failed) == sorted(failing)


_WRONG = {
    # the scripted step with its update turned round: gradient ascent
    "step_up.py": (SCRIPTED / "contract" / "step.py")
    .read_text("utf-8")
    .strip("`\n")
    .removeprefix("python\n")
    .replace(
        "getattr(self, name) - self.learning_rate", "getattr(self, name) + self.learning_rate"
    ),
    "loss_counter.py": """def loss(self, inputs: Any, targets: Any) -> float:
    self.calls = getattr(self, "calls", 0) + 1
    return 1.0 / self.calls
""",
    "step_idle.py": """def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
    self.steps = getattr(self, "steps", 0) + 1
""",
}


def test_the_contracts_files_pass_the_checks_crash_rules() -> None:
    """The tool's own files must not be what fails a check: ruff's rules of the sandbox
    find nothing in them, whatever the paper's title holds."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for path in contract.WRITTEN_BY_TOOL:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            title = 'A "quoted" \\N{title} with \\x and \\u escapes'
            (root / path).write_text(contract.skeleton(path, title), "utf-8")
        found = subprocess.run(
            [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E9,F", "."],
            cwd=root,
            capture_output=True,
            text=True,
        )
    assert found.returncode == 0, found.stdout
