"""papercoder.fidelity: the signs, read from a repository's code, that its green proves
little; a verification names them beside its verdict and keeps them in the run."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from papercoder import run
from papercoder.batch_summary import BatchSummary, summarise, to_csv, to_markdown
from papercoder.fidelity import (
    FIDELITY,
    Fidelity,
    UnusedSetting,
    assess,
    count_tests_on_repo,
    unused_settings,
)
from papercoder.render import verification_summary
from papercoder.settings import Settings
from papercoder.testing import FakeSandbox
from tests.sandbox.repos import write

# adam's hollow green: beta1 and epsilon kept, and a step by plain gradient descent
HOLLOW_ADAM = (
    "class Model:\n"
    "    def __init__(self, config, n):\n"
    "        self.lr = config['lr']\n"
    "        self.beta1 = config['beta1']\n"
    "        self.eps = float(config['paper']['eps'])\n"
    "        self.hidden = config.get('hidden', 4)\n"
    "        self.params = {'w': [0.0] * self.hidden}\n"
    "        self.n = n\n"
    "    def step(self, grads):\n"
    "        self.params['w'] = [w - self.lr * g for w, g in zip(self.params['w'], grads)]\n"
)
TEST = (
    "from model import Model\n\n\n"
    "def test_step():\n    model = Model({'lr': 1}, 2)\n    assert model.n == 2\n"
)


def test_only_tests_that_assert_on_a_call_of_repository_code_count() -> None:
    files = {
        "model.py": "def double(x):\n    return 2 * x\n",
        "pkg/__init__.py": "",
        "pkg/layers.py": "class Dense:\n    pass\n",
        "tests/test_model.py": "import numpy as np\nimport pkg.layers\n"
        "from model import double\n\n\n"
        "def test_double():\n    assert double(2) == 4\n\n\n"
        "def test_layer():\n    assert pkg.layers.Dense() is not None\n\n\n"
        "def test_no_assert():\n    double(2)\n\n\n"
        "def test_not_ours():\n    assert np.zeros(2).shape == (2,)\n",
        "tests/test_broken.py": "def test_(:\n",
    }
    assert count_tests_on_repo(files) == (4, 2)


def test_a_call_through_a_helper_of_the_test_file_counts() -> None:
    """The small profile's tests make the model in a helper (`model, x = fresh()`) and call
    its methods on the name they bound; a helper that calls nothing of ours does not count."""
    files = {
        "model.py": "class Model:\n    def loss(self, x):\n        return x\n",
        "tests/test_model.py": "from model import Model\n\n\n"
        "def make():\n    return Model()\n\n\n"
        "def fresh():\n    return make(), 2\n\n\n"
        "def two():\n    return 2, 3\n\n\n"
        "def test_through_helpers():\n"
        "    model, x = fresh()\n    assert model.loss(x) == 2\n\n\n"
        "def test_not_ours():\n    a, b = two()\n    assert a.bit_length() == 2\n",
    }
    assert count_tests_on_repo(files) == (2, 1)


def test_settings_kept_on_self_and_never_used_are_named() -> None:
    found = unused_settings("model.py", HOLLOW_ADAM)
    assert [(u.name, u.line, u.cls) for u in found] == [("beta1", 4, "Model"), ("eps", 5, "Model")]
    # the paper's update uses them: nothing to say (self.hidden is used in __init__ itself)
    used = HOLLOW_ADAM.replace("w - self.lr * g", "w - self.lr * g * self.beta1 / self.eps")
    assert unused_settings("model.py", used) == []
    assert unused_settings("model.py", "class (:\n") == []


def test_the_warnings_name_the_unused_settings_and_the_tests_that_prove_nothing() -> None:
    fidelity = Fidelity(
        tests=4,
        tests_on_repo=3,
        unused_settings=[
            UnusedSetting(path="model.py", cls="Model", name="beta1", line=4),
            UnusedSetting(path="model.py", cls="Model", name="eps", line=5),
        ],
    )
    assert fidelity.warnings() == [
        "1 of 4 tests call nothing of the repository or assert nothing: they pass whatever"
        " the code does",
        "model.py: Model keeps self.beta1, self.eps from config and never uses them: the"
        " method may leave out what the paper does with them",
    ]
    assert Fidelity(tests=4, tests_on_repo=4).warnings() == []


def test_pinned_and_test_files_are_not_judged_for_settings(tmp_path: Path) -> None:
    """The tool's own files (pinned) and the tests hold no method of the paper's."""
    repo = write(
        tmp_path / "repo",
        {
            "model.py": HOLLOW_ADAM,
            "helper.py": HOLLOW_ADAM,
            "tests/test_model.py": TEST + "\n\n" + HOLLOW_ADAM,
            "pyproject.toml": '[tool.papercoder.pinned]\n"helper.py" = "0"\n',
        },
    )
    found = assess(repo)
    assert {u.path for u in found.unused_settings} == {"model.py"}
    assert (found.tests, found.tests_on_repo) == (1, 1)


def test_a_green_verification_names_its_signs_beside_the_verdict(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"model.py": HOLLOW_ADAM, "tests/test_model.py": TEST})
    settings = Settings.resolve({"runs_dir": tmp_path / "runs"}, {})
    outcome = run.verify(repo, settings, sandbox=FakeSandbox([{}]))
    assert outcome.passed and outcome.fidelity is not None
    assert [u.name for u in outcome.fidelity.unused_settings] == ["beta1", "eps"]
    kept = json.loads((outcome.run_dir / FIDELITY).read_text("utf-8"))
    assert [u["name"] for u in kept["unused_settings"]] == ["beta1", "eps"]
    console = Console(width=200, record=True)
    for part in verification_summary(outcome):
        console.print(part)
    shown = console.export_text()
    assert "warn model.py: Model keeps self.beta1, self.eps from config and never uses" in shown
    # a repository whose settings are all used says nothing more
    used = HOLLOW_ADAM.replace("w - self.lr * g", "w - self.lr * g * self.beta1 / self.eps")
    (repo / "model.py").write_text(used, "utf-8")
    again = run.verify(repo, settings, sandbox=FakeSandbox([{}]))
    console = Console(width=200, record=True)
    for part in verification_summary(again):
        console.print(part)
    assert "warn" not in console.export_text()


def test_a_batch_row_carries_the_warnings_of_its_run(tmp_path: Path) -> None:
    """A verify run stands in for a paper's: its row reads fidelity.json, and a green row's
    note names the warnings."""
    repo = write(tmp_path / "repo", {"model.py": HOLLOW_ADAM, "tests/test_model.py": TEST})
    settings = Settings.resolve({"runs_dir": tmp_path / "runs"}, {})
    outcome = run.verify(repo, settings, sandbox=FakeSandbox([{}]))
    assert outcome.fidelity is not None
    row = summarise("adam.pdf", outcome.run_dir, seconds=1.0)
    assert row.warnings == outcome.fidelity.warnings() != []
    green = row.model_copy(update={"status": "green", "green": True, "error": None})
    assert green.note.startswith("warn: model.py: Model keeps self.beta1, self.eps")
    summary = BatchSummary(rows=[green])
    assert "| warn: model.py: Model keeps self.beta1" in to_markdown(summary)
    assert "never uses them" in to_csv(summary)
