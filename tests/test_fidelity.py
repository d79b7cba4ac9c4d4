"""papercoder.fidelity: the signs, read from a repository's code, that its green proves
little; a verification names them beside its verdict and keeps them in the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from papercoder import run
from papercoder.batch_summary import BatchSummary, summarise, to_csv, to_markdown
from papercoder.fidelity import (
    FIDELITY,
    Fidelity,
    UnusedSetting,
    assess,
    count_tests_on_repo,
    unread_settings,
    unused_settings,
)
from papercoder.render import verification_summary
from papercoder.settings import Settings
from papercoder.testing import FakeSandbox, FunctionModel
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


@pytest.mark.parametrize("repairing", [False, True])
def test_a_green_verification_names_its_signs_beside_the_verdict(
    tmp_path: Path, repairing: bool
) -> None:
    """Checked once, and through the repair loop (a model given: the build's path), with a
    virtual environment in the repository that is not judged."""
    repo = write(
        tmp_path / "repo",
        {
            "model.py": HOLLOW_ADAM,
            "tests/test_model.py": TEST,
            ".venv/lib/site/tests/test_dep.py": "def test_nothing():\n    pass\n",
        },
    )
    settings = Settings.resolve({"runs_dir": tmp_path / "runs"}, {})
    model = FunctionModel(lambda _: "") if repairing else None
    outcome = run.verify(repo, settings, sandbox=FakeSandbox([{}]), model=model)
    assert (outcome.loop is not None) == repairing
    assert outcome.fidelity is not None and outcome.fidelity.tests == 1
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
    again = run.verify(repo, settings, sandbox=FakeSandbox([{}]), model=model)
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


# config.yaml as PaperCoder wrote it for adam (papers-21): each value's comment cites the paper
ADAM_CONFIG = """\
# Hyperparameters of the paper; `assumption` marks values the paper leaves open.
paper:
  batch_size: 128  # Section 6.1 (stated there; the plan left it out)
  beta1: 0.9  # Algorithm 1 (stated there; the plan left it out)
  beta2: 0.999  # Algorithm 1 (stated there; the plan left it out)
  hidden_units: 1000  # Section 6.2 (stated there; the plan left it out)
smoke:
  learning_rate: 0.002  # Algorithm 2 (verified)
  momentum: 0  # assumption: Algorithm 2 states 0 for u_0, not for smoke.momentum
  decay: 0.5  # Algorithm 2 (verified)
training:
  momentum: 0.9  # assumption: Algorithm 1 states 0.9 for β_1, not for training.momentum
  learning_rate: 0.001  # Algorithm 1 (verified)
  ϵ: 1.0e-08  # Algorithm 1 (verified)
"""
# papers-21's green "Adam": it reads the learning rate and the hidden size, nothing else
GREEN_GD = """\
class Model:
    def __init__(self, config, n_features, n_classes):
        self.params = {"w": np.zeros((n_features, min(config["paper"]["hidden_units"], 16)))}
        self.learning_rate = config["smoke"]["learning_rate"]

    def step(self, grads):
        self.params["w"] -= self.learning_rate * grads["w"]
"""


def test_the_papers_settings_no_code_reads_are_named() -> None:
    assert unread_settings(ADAM_CONFIG, [GREEN_GD]) == ["beta1", "beta2", "ϵ"]
    # read under any spelling settings.py accepts: section, case, underscores, Greek names
    adam = GREEN_GD + '        self.b = (cfg.get("Beta_1"), config["beta2"], config["epsilon"])\n'
    assert unread_settings(ADAM_CONFIG, [adam]) == []
    # no comment citing the paper (not PaperCoder's config.yaml): nothing to say
    plain_config = "\n".join(line.split("#")[0] for line in ADAM_CONFIG.splitlines())
    assert unread_settings(plain_config, [GREEN_GD]) == []
    unparsed = ["beta1", "beta2", "hidden_units", "learning_rate", "ϵ"]
    assert unread_settings(ADAM_CONFIG, ["def f(:\n"]) == unparsed
    # a minibatch's size is the loop's, as a batch's is (adam, papers-36)
    minibatch = ADAM_CONFIG.replace("  batch_size: 128", "  minibatch_size: 128")
    assert unread_settings(minibatch, ["def f(:\n"]) == unparsed


def test_a_green_that_reads_none_of_the_methods_settings_says_so(tmp_path: Path) -> None:
    repo = write(
        tmp_path / "repo",
        {
            "model.py": GREEN_GD,
            "config.yaml": ADAM_CONFIG,
            "tests/test_model.py": "from model import Model\n\n\ndef test_m():\n"
            "    assert Model({}, 8, 3).params\n",
        },
    )
    found = assess(repo)
    assert found.unread_settings == ["beta1", "beta2", "ϵ"]
    assert found.warnings() == [
        "config.yaml states beta1, beta2, ϵ from the paper, and no code reads them: the"
        " method may leave them out"
    ]


def test_the_usual_test_styles_count_as_checking_the_repository() -> None:
    """np.testing and unittest asserts, pytest.raises, fixtures, a package, a src layout and
    `import *`: none is a test that proves nothing."""
    files = {
        "src/pkg/__init__.py": "def double(x):\n    return 2 * x\n",
        "model.py": "def half(x):\n    return x / 2\n",
        "tests/test_styles.py": "import unittest\nimport numpy as np\nimport pytest\n"
        "from pkg import double\nfrom model import *\n\n\n"
        "def test_np():\n    np.testing.assert_allclose(double(1), 2)\n\n\n"
        "def test_raises():\n    with pytest.raises(TypeError):\n        double()\n\n\n"
        "def test_fixture(model_fixture):\n    assert model_fixture() == 1\n\n\n"
        "def test_star():\n    assert half(2) == 1\n\n\n"
        "class TestCase(unittest.TestCase):\n"
        "    def test_unit(self):\n        self.assertEqual(double(2), 4)\n\n\n"
        "def test_nothing():\n    np.zeros(2)\n",
    }
    assert count_tests_on_repo(files) == (6, 5)


def test_a_setting_kept_by_one_class_and_used_by_other_code_is_used(tmp_path: Path) -> None:
    main = "from model import Model\n\n\ndef main(config):\n    m = Model(config, 1)\n"
    repo = write(
        tmp_path / "repo",
        {"model.py": HOLLOW_ADAM, "main.py": main + "    return m.beta1, m.eps\n"},
    )
    assert assess(repo).unused_settings == []


def test_a_config_yaml_not_written_by_papercoder_cites_nothing() -> None:
    """A user's `dropout: 0.1  # dropout rate` is a comment, not a source in the paper."""
    theirs = ADAM_CONFIG.replace("# Hyperparameters of the paper", "# my settings")
    assert unread_settings(theirs, [GREEN_GD]) == []
    # the training loop's settings are whole words: a logit scale is a method's setting
    ours = ADAM_CONFIG + "  logit_scale: 2.0  # Section 3 (verified)\n  - units\n"
    assert unread_settings(ours, [GREEN_GD]) == ["beta1", "beta2", "ϵ", "logit_scale"]
