"""The small profile's contract: the tool writes the files, the interface, the data, the
entry point and the tests; the model writes each method of model.py alone."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from papercoder.agents import contract
from papercoder.agents.stubs import stubs
from papercoder.run import build
from papercoder.settings import Settings
from papercoder.testing import ScriptedServer
from papercoder.verify.checks import changed_pins
from tests.pipeline.conftest import SCRIPTED, plan_json, scripted


def small_build(srv: ScriptedServer, pdf: Path, tmp: Path) -> Path:
    settings = {"base_url": srv.base_url, "model": "scripted", "runs_dir": tmp / "runs"}
    outcome = build(pdf, Settings.resolve({**settings, "profile": "small"}, {}), verify=False)
    return outcome.run_dir


def answer(contains: str, code: str) -> dict[str, Any]:
    """A scripted rule: a coder.function question containing `contains` gets `code`, fenced."""
    return {"agent": "coder.function", "contains": contains, "content": f"```python\n{code}```"}


def build_with(
    rules: list[dict[str, Any]], pdf: Path, tmp: Path
) -> tuple[Path, list[str], list[str]]:
    """A small build with `rules` first: its run directory, the coder.function questions
    asked, and the fixes plan/fixes.json records."""
    with ScriptedServer(scripted(*rules)) as srv:
        run_dir = small_build(srv, pdf, tmp)
        asked = [r.text for r in srv.chat_requests("coder.function")]
    fixes = json.loads((run_dir / "plan" / "fixes.json").read_text("utf-8"))["fixes"]
    return run_dir, asked, [f["fix"] for f in fixes]


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
    names = ["Model.predict", "Model.loss", "Model.step", "Model.__init__"]
    assert [next(n for n in names if f"`{n}` does nothing yet" in a) for a in asked] == names
    # __init__ last, seeing every array and setting the others read
    assert 'p["w1"]' in asked[-1] and "self.weight_decay" in asked[-1]
    assert not srv.chat_requests("planner.architecture") + srv.chat_requests("planner.logic")
    assert not srv.chat_requests("coder")
    analysed = [r.text for r in srv.chat_requests("analyst")]
    assert len(analysed) == 1 and "FILE: model.py\n" in analysed[0]
    # each reads config.yaml as the skeleton shows, section by section
    assert all('config["training"]["learning_rate"]  (0.05)' in a for a in asked)
    # model.py's functions are written knowing the data, and step how to get gradients;
    # the others are not shown gradients (gcn's predict asked them for its features)
    shown = {n: next(a for a in asked if f"`{n}` does nothing yet" in a) for n in names}
    assert all("def make_data(" in shown[n] for n in names if n != "Model.step")
    assert all("centres[targets]" in shown[n] for n in names if n != "Model.step")
    with_gradients = [n for n in names if "def gradients(loss: Callable" in shown[n]]
    assert with_gradients == ["Model.step"]
    # nor the lines of the analysis that name them (gcn's: "transformed into a feature
    # matrix using the `gradients` function")
    analysed_so = [n for n in names if "with hand-written gradients" in shown[n]]
    assert analysed_so == ["Model.step"]
    assert all("h = relu(x W1 + b1)" in shown[n] for n in names)  # the rest of it, shown
    # of gradients.py its interface alone: given the body, the model copied its assertions
    assert not any("values.flags.writeable" in a for a in asked)
    tests = run_in(repo, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout
    assert "6 passed" in tests.stdout
    # and the types check finds nothing in them (the sandbox's configuration of mypy)
    ini = Path(__file__).resolve().parents[2] / "sandbox" / "mypy.ini"
    types = run_in(repo, "-m", "mypy", "--config-file", str(ini), "--cache-dir", "/dev/null", ".")
    assert types.returncode == 0, types.stdout
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
        ("step", "step_up.py", ["test_steps_of_training_lower_the_loss"]),
        # a step that counts but changes no parameter: nothing is learnt
        (
            "step",
            "step_idle.py",
            ["test_a_step_changes_the_predictions", "test_steps_of_training_lower_the_loss"],
        ),
        # an output that leaves out an array __init__ makes (adam's w2, papers-42: its
        # scores were 16 wide for 3 classes, and the four other tests passed)
        (
            "predict",
            "predict_without_b1.py",
            ["test_each_array_of_the_parameters_changes_the_loss"],
        ),
        # a "loss" that falls at every call, whatever the parameters (the weight decay it
        # leaves out added by the tool, whose gradient the count spoils: nor does it fall)
        (
            "loss",
            "loss_counter.py",
            [
                "test_the_loss_is_one_finite_number_the_same_each_time",
                "test_steps_of_training_lower_the_loss",
            ],
        ),
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
    .replace("self.params[name] - self", "self.params[name] + self"),
    "loss_counter.py": """def loss(self, inputs: Any, targets: Any) -> float:
    self.calls = getattr(self, "calls", 0) + 1
    return 1.0 / self.calls
""",
    "predict_without_b1.py": """def predict(self, inputs: Any) -> Any:
    hidden = np.maximum(0.0, inputs @ self.params["w1"])
    return (hidden + inputs @ self.params["p"]) @ self.params["w2"] + self.params["b2"]
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


def _tool_module(tmp: Path, path: str, config: str = "") -> Any:
    """Import one of the contract's files as the repository has it (config.yaml beside)."""
    (tmp / path).write_text(contract.skeleton(path, "A paper"), "utf-8")
    (tmp / "config.yaml").write_text(config, "utf-8")
    spec = importlib.util.spec_from_file_location(f"contract_{tmp.name}_{path[:-3]}", tmp / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ADAM_LIKE = """\
paper:
  beta1: 0.9
  hidden_units: 1000
  optimizer: adam
smoke:
  learning_rate: 0.002
  ϵ: 0
training:
  learning_rate: 0.001
  ϵ: 1.0e-08
seed: 7
"""


def test_settings_find_a_setting_read_from_the_wrong_section(tmp_path: Path) -> None:
    config = _tool_module(tmp_path, contract.SETTINGS, ADAM_LIKE).load_settings()
    assert config["paper"]["beta1"] == 0.9  # where it is
    assert config["training"]["beta1"] == 0.9  # adam's model read it from here
    assert config["beta1"] == config["model"]["Beta_1"] == 0.9  # no section, a made-up one
    # a usual section name that is a setting elsewhere, read as a section
    assert config["training"]["optimizer"]["beta1"] == 0.9
    assert config["paper"]["optimizer"] == "adam"
    # and read where no section has it, as its text (distillation's `config['optimizer']`,
    # papers-54: it was all of config.yaml, and its step raised "Unknown optimizer")
    assert config["optimizer"] == config["training"]["optimizer"] == "adam"
    assert config["optimizer"] != "sgd" and f"{config['optimizer']}" == "adam"
    assert config["optimizer"]["beta1"] == config["optimizer"].get("beta1") == 0.9
    assert config["optimizer"][0] == "a" and config["optimizer"].get("momentum", 0.5) == 0.5
    assert config["seed"] == 7 and config["training"]["seed"] == 7
    assert config["training"]["epsilon"] == 1e-08  # a Greek letter as its name
    assert config["training"]["learning_rate"] == 0.001
    # a section without it falls back to the sections other than smoke first
    assert config["paper"]["learning_rate"] == 0.001 and config["learning_rate"] == 0.001
    assert config["smoke"]["learning_rate"] == 0.002  # asked of its own section
    assert config["paper"].get("momentum", 0.5) == 0.5
    assert config["training"].get("beta1", 0.5) == 0.9
    assert "beta1" in config["training"] and "momentum" not in config["training"]
    with pytest.raises(KeyError, match=r"no setting 'momentum'; it has: .*beta1"):
        config["training"]["momentum"]


def test_settings_of_an_empty_config_raise_a_key_error_naming_the_setting(
    tmp_path: Path,
) -> None:
    config = _tool_module(tmp_path, contract.SETTINGS, "").load_settings()
    assert config == {}
    with pytest.raises(KeyError, match="no setting 'lr'"):
        config["lr"]


def test_gradients_match_the_derivative_and_leave_the_parameters_as_they_were(
    tmp_path: Path,
) -> None:
    gradients = _tool_module(tmp_path, contract.GRADIENTS).gradients
    rng = np.random.default_rng(1)
    params = {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    kept = {name: value.copy() for name, value in params.items()}
    x = rng.normal(size=(5, 3))

    def loss() -> float:
        return float(((x @ params["w"] + params["b"]) ** 2).sum())

    found = gradients(loss, params)
    residual = 2 * (x @ kept["w"] + kept["b"])
    assert np.allclose(found["w"], x.T @ residual, atol=1e-5)
    assert np.allclose(found["b"], residual.sum(axis=0), atol=1e-5)
    assert all(np.array_equal(params[name], kept[name]) for name in params)


def test_gradients_of_float32_parameters_are_close_and_a_failing_loss_restores_them(
    tmp_path: Path,
) -> None:
    gradients = _tool_module(tmp_path, contract.GRADIENTS).gradients
    params = {"w": np.array([0.5, -2.0, 30.0], dtype=np.float32)}
    found = gradients(lambda: float((params["w"].astype(np.float32) ** 2).sum()), params)
    assert found["w"].dtype == np.float32
    assert np.allclose(found["w"], [1.0, -4.0, 60.0], rtol=1e-2)

    def fails() -> float:
        raise ValueError("shapes")

    with pytest.raises(ValueError, match="shapes"):
        gradients(fails, params)
    assert params["w"].tolist() == [0.5, -2.0, 30.0]


@pytest.mark.parametrize(
    ("params", "loss", "message"),
    [
        ([np.ones(2)], lambda p: 1.0, "params must be a non-empty dict"),
        # hyperparameters put among the parameters
        ({"lr": 0.1}, lambda p: 1.0, "only the arrays the method learns"),
        # sized by the paper's real data: 1000 hidden units
        ({"w": np.ones((8, 1000))}, lambda p: 1.0, "8000 numbers, more than 5000"),
        ({"w": np.ones(2)}, lambda p: float("nan"), "returned nan, not a finite number"),
        # grown past floats by the step itself before its gradients are taken (t-SNE)
        ({"w": np.array([1.0, np.inf])}, lambda p: 1.0, r"params\['w'\] holds inf before"),
        ({}, lambda p: 1.0, "params must be a non-empty dict"),
        ({"w": np.ones(2, dtype=int)}, lambda p: 1.0, r"params\['w'\] must be a numpy array"),
        ({"w": np.ones(2)}, lambda p: p["w"] * 2.0, "loss\\(\\) must return one number"),
        # the parameters copied away from the dict: nothing the dict holds moves the loss
        ({"w": np.ones(2)}, lambda p: 3.0, "does not change when any array of params"),
    ],
)
def test_gradients_say_what_the_model_got_wrong(
    tmp_path: Path, params: Any, loss: Any, message: str
) -> None:
    gradients = _tool_module(tmp_path, contract.GRADIENTS).gradients
    with pytest.raises(AssertionError, match=message):
        gradients(lambda: loss(params), params)


_ADAM_STEP = """def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
    grads = gradients(lambda: self.loss(inputs, targets), self.params)
    self.t += 1
    for name, grad in grads.items():
        self.m[name] = 0.9 * self.m[name] + 0.1 * grad
        self.v[name] = 0.999 * self.v[name] + 0.001 * grad**2
        m = self.m[name] / (1 - 0.9**self.t)
        v = self.v[name] / (1 - 0.999**self.t)
        self.params[name] = self.params[name] - self.learning_rate * m / (np.sqrt(v) + 1e-8)
"""
_SOFTMAX_LOSS = """def loss(self, inputs: Any, targets: Any) -> float:
    probs = self.softmax(self.predict(inputs))
    return float(-np.log(probs[np.arange(len(targets)), targets]).mean())
"""
_SOFTMAX = """def softmax(self, scores):
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
"""
_ADAM_INIT = (
    (SCRIPTED / "contract" / "init.py")
    .read_text("utf-8")
    .strip("`\n")
    .removeprefix("python\n")
    .rstrip()
    + "\n        self.m = {k: np.zeros_like(v) for k, v in self.params.items()}"
    + "\n        self.v = {k: np.zeros_like(v) for k, v in self.params.items()}"
    + "\n        self.t = 0\n"
)


def test_a_method_the_class_calls_and_the_state_its_methods_read_are_asked_for(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    """adam on the 1.5B model: loss called a `self.softmax` no method wrote, and step
    updated `self.m`, `self.v` and `self.t`, which __init__ (written before it, alone)
    never set. The first is asked for as a method, the second as __init__ again."""

    def reply(contains: str, code: str) -> dict[str, Any]:
        fenced = f"```python\n{code}```"
        return {"agent": "coder.function", "contains": contains, "content": fenced}

    rules = [
        reply("`Model.step` does nothing yet", _ADAM_STEP),
        reply("`Model.loss` does nothing yet", _SOFTMAX_LOSS),
        reply("`Model.softmax` does nothing yet", _SOFTMAX),
        reply("`Model.__init__` does not set self.t, self.m, self.v", _ADAM_INIT),
    ]
    with ScriptedServer(scripted(*rules)) as srv:
        run_dir = small_build(srv, fixture_pdf, tmp_path)
        asked = [r.text for r in srv.chat_requests("coder.function")]
    again = [a for a in asked if "`Model.__init__` does not set" in a]
    assert len(again) == 1
    assert "keep all it sets now" in again[0]
    fixes = json.loads((run_dir / "plan" / "fixes.json").read_text("utf-8"))["fixes"]
    said = [f["fix"] for f in fixes]
    assert "model.py: asked for Model.softmax, which the code calls" in said
    assert "model.py: asked for Model.__init__ again" in said
    repo = run_dir / "repo"
    tests = run_in(repo, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout
    assert changed_pins(repo) == []


def test_the_paper_sizes_are_shown_capped_in_the_settings_model_py_is_shown() -> None:
    """Listed bare as `config["paper"]["hidden_units"]  (1000)`, adam's hidden layer was
    sized by it and gradients refused 11,000 numbers; left out, nothing read it and a green
    was hollow by it. Listed as read capped, the paper's value stays in sight."""
    from papercoder.agents.plan import ConfigEntry, ConfigPlan

    entries = [
        ConfigEntry(key="paper.hidden_units", value=1000, source="Section 6.2"),
        ConfigEntry(key="paper.d_model", value=512, source="Table 3"),
        ConfigEntry(key="paper.num_heads", value=8, source="Table 3"),
        ConfigEntry(key="training.warmup_steps", value=4000, source="Section 5.3"),
        ConfigEntry(key="training.beta2", value=0.98, source="Section 5.3"),
        ConfigEntry(key="model.hidden", value=16, source="assumption"),
        ConfigEntry(key="paper.batch_size", value=128, source="Section 6.1"),
        ConfigEntry(key="paper.num_layers", value=100, source="Section 1"),
        ConfigEntry(key="paper.n_blocks", value=3, source="Section 3"),
        ConfigEntry(key="paper.num_hidden_layers", value=12, source="Table 1"),
    ]
    listed = contract.settings(ConfigPlan(entries=entries), "").splitlines()
    assert '    min(config["paper"]["num_layers"], 4)  (100, here at most 4)' in listed
    assert '    config["paper"]["n_blocks"]  (3)' in listed  # a depth the tiny data takes
    assert '    min(config["paper"]["num_hidden_layers"], 4)  (12, here at most 4)' in listed
    assert '    config["paper"]["batch_size"]  (128)' in listed  # sizes no parameter
    assert '    min(config["paper"]["hidden_units"], 16)  (1000, here at most 16)' in listed
    assert '    min(config["paper"]["d_model"], 16)  (512, here at most 16)' in listed
    for kept in ('["num_heads"]  (8)', '["warmup_steps"]  (4000)', '["model"]["hidden"]  (16)'):
        assert any(row.endswith(kept) and row.startswith("    config[") for row in listed)
    assert contract.paper_sizes("paper:\n  hidden_units: 30\ntraining:\n  batch_size: 32\n") == {
        "hidden_units": 30
    }  # a batch size sizes no parameter
    assert contract.paper_sizes("a: [1, 2\n") == {}


def test_init_is_shown_a_size_read_from_its_own_config() -> None:
    """Shown `min(config["paper"]["hidden_units"], 16)` whatever config.yaml held, the 1.5B
    model read hidden_units from resnet's config, which had none (papers-37): a KeyError at
    every check. The example is one of config's own sizes, or none at all."""
    from papercoder.agents.plan import ConfigEntry, ConfigPlan

    def init_doc(*entries: ConfigEntry) -> str:
        code = contract.skeleton(contract.MODEL, "t", ConfigPlan(entries=list(entries)))
        return code[code.index("def __init__") : code.index("def predict")]

    resnet = [
        ConfigEntry(key="paper.num_layers", value=100, source="Section 1"),
        ConfigEntry(key="training.learning_rate", value=0.1, source="Section 4.2"),
    ]
    shown = init_doc(*resnet)  # its depth is no width to show (papers-41: 4 wide by it)
    assert "hidden_units" not in shown and 'min(config["paper"]["num_layers"], 4)' not in shown
    assert "where it lists none, a hidden size of yours, at most 16." in shown
    none = init_doc(resnet[1])
    assert "hidden_units" not in none and "min(config" not in none
    assert "where it lists none, a hidden size of yours, at most 16." in none
    sized = init_doc(ConfigEntry(key="model.d_model", value=512, source="Table 3"), *resnet)
    assert 'lists them (min(config["model"]["d_model"], 16)).' in " ".join(sized.split())


def test_ops_compute_the_building_blocks_and_stay_finite_for_large_scores(
    tmp_path: Path,
) -> None:
    ops = _tool_module(tmp_path, contract.OPS)
    scores = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    targets = np.array([0, 2])
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(probs[[0, 1], targets]))
    assert ops.cross_entropy(scores, targets) == pytest.approx(expected)
    assert isinstance(ops.cross_entropy(scores, targets), float)
    # soft targets (a teacher's probabilities): one-hot rows give the same value
    assert ops.cross_entropy(scores, ops.one_hot(targets, 3)) == pytest.approx(expected)
    assert np.allclose(ops.softmax(scores), probs)
    assert np.allclose(ops.log_softmax(scores), np.log(probs))
    assert np.array_equal(ops.relu(np.array([-1.0, 2.0])), [0.0, 2.0])
    assert ops.sigmoid(np.array([0.0]))[0] == 0.5
    huge = np.array([[1e4, -1e4, 0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no log of zero
        assert np.isfinite(ops.cross_entropy(huge, np.array([1])))
        assert np.isfinite(ops.sigmoid(np.array([-1e4, 1e4]))).all()
        assert np.isfinite(ops.log_softmax(huge)).all()


def test_ops_cross_entropy_says_what_the_scores_shape_should_be(tmp_path: Path) -> None:
    """adam on the 1.5B model (papers-19): a loss of `targets * np.log(predict)` with int
    labels failed on a broadcast of (32,) against (32, 3) that no hint explained."""
    ops = _tool_module(tmp_path, contract.OPS)
    labels = np.array([0, 1, 2, 2])
    with pytest.raises(AssertionError, match=r"predict must give one score per class"):
        ops.cross_entropy(np.zeros((4, 1)), labels)  # one column: not a score per class
    with pytest.raises(AssertionError, match=r"must be \(n_samples, n_classes\).*\(4,\)"):
        ops.cross_entropy(np.zeros(4), labels)
    with pytest.raises(AssertionError, match=r"3 labels for 4 rows"):
        ops.cross_entropy(np.zeros((4, 3)), labels[:3])
    with pytest.raises(AssertionError, match=r"probabilities of shape \(4, 2\)"):
        ops.cross_entropy(np.zeros((4, 3)), np.zeros((4, 2)))
    # labels that would index wrongly without failing: bools (a mask), -1 (the last class)
    with pytest.raises(AssertionError, match=r"labels must be ints .* not bool"):
        ops.cross_entropy(np.zeros((2, 2)), np.array([True, False]))
    with pytest.raises(AssertionError, match=r"labels from -1 to 2 for 3 classes"):
        ops.cross_entropy(np.zeros((4, 3)), np.array([-1, 0, 1, 2]))
    with pytest.raises(AssertionError, match=r"not float64"):
        ops.one_hot(np.array([0.0, 1.0]), 3)


def test_a_loss_that_calls_ops_cross_entropy_builds_and_its_tests_pass(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    """The method's objective in one line of ops.py: the pinned tests, the types and the
    sandbox's lint rules pass, with model.py importing all of ops.py's names."""
    rule: dict[str, Any] = {
        "agent": "coder.function",
        "contains": "`Model.loss` does nothing yet",
        "content": "```python\ndef loss(self, inputs: np.ndarray, targets: np.ndarray) -> float:\n"
        "    return cross_entropy(self.predict(inputs), targets)\n```",
    }
    with ScriptedServer(scripted(rule)) as srv:
        run_dir = small_build(srv, fixture_pdf, tmp_path)
        asked = [r.body["messages"][-1]["content"] for r in srv.chat_requests("coder.function")]
    # each method but __init__ is written knowing what ops.py holds, by its signatures alone
    methods = [a for a in asked if "`Model.__init__`" not in a]
    assert methods and all("def cross_entropy(scores: np.ndarray, targets" in a for a in methods)
    assert not any("log_probs[np.arange" in a for a in asked)
    repo = run_dir / "repo"
    model = (repo / contract.MODEL).read_text("utf-8")
    assert f"\nfrom ops import {', '.join(contract.OPS_NAMES)}\n" in model
    tests = run_in(repo, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout
    rules = "E9,F63,F7,F82"  # the sandbox's (sandbox/runner.py): an unused import is no fault
    lint = run_in(repo, "-m", "ruff", "check", "--isolated", "--select", rules, ".")
    assert lint.returncode == 0, lint.stdout
    ini = Path(__file__).resolve().parents[2] / "sandbox" / "mypy.ini"
    types = run_in(repo, "-m", "mypy", "--config-file", str(ini), "--cache-dir", "/dev/null", ".")
    assert types.returncode == 0, types.stdout
    assert changed_pins(repo) == []


def test_a_read_of_the_paper_sizes_is_capped() -> None:
    """distillation on the 1.5B model (papers-20): asked again, __init__ came back as it was,
    its weights 30 wide; the tool caps the read and keeps the paper's value visible."""
    from papercoder.agents.contract import DEEPEST, LARGEST, capped_sizes

    sizes = {"hidden_units": 30, "d_model": 512}
    code = (
        "class Model:\n"
        "    def __init__(self, config, n_features, n_classes):\n"
        "        self.name = 'é'  # a multi-byte character before the read\n"
        "        self.params = {'w': np.zeros((n_features, config['paper']['hidden_units'])),\n"
        "                       'v': np.zeros((config['d_model'], n_classes))}\n"
        "        self.rate = config['training']['learning_rate']\n"
    )
    capped, names = capped_sizes(code, sizes)
    assert names == ["d_model (512) at 16", "hidden_units (30) at 16"]
    assert f"(n_features, min(config['paper']['hidden_units'], {LARGEST})))" in capped
    assert f"np.zeros((min(config['d_model'], {LARGEST}), n_classes))" in capped
    assert "self.rate = config['training']['learning_rate']\n" in capped
    # capped once: capping again changes nothing
    assert capped_sizes(capped, sizes) == (capped, [])
    assert capped_sizes("def f(:\n", sizes) == ("def f(:\n", [])
    # a multi-byte character before a read on its line; a line separator the parser does
    # not break at (str.splitlines does) before it: the offsets stay right
    tricky = (
        "def f(config):\n"
        '    """A form feed \x0c and a separator \u2028 in a docstring."""\n'
        "    x = 'é'; w = config['d_model']\n"
        "    return w\n"
    )
    done, _ = capped_sizes(tricky, sizes)
    assert f"x = 'é'; w = min(config['d_model'], {LARGEST})\n" in done
    # a write is not a read, a read inside a read is capped once, a large cap is no cap
    writes = "def f(config):\n    config['paper']['hidden_units'] = 16\n    del config['d_model']\n"
    assert capped_sizes(writes, sizes) == (writes, [])
    nested = "def f(c):\n    return c[c['d_model']['hidden_units']]\n"
    assert (
        capped_sizes(nested, sizes)[0]
        == f"def f(c):\n    return c[min(c['d_model']['hidden_units'], {LARGEST})]\n"
    )
    # a setting of any name that __init__ makes an array's size (vgg's image size S: 224,
    # papers-55: 103,488 numbers for gradients()), capped wherever it is read; not one
    # read otherwise, nor one within the cap
    config = "smoke:\n  S: 224\n  C: 3\ntraining:\n  epochs: 74\n"
    image = (
        "class Model:\n"
        "    def __init__(self, config, n_features, n_classes):\n"
        "        self.steps = config['training']['epochs']\n"
        "        w = np.random.normal(0.0, 1.0, size=(n_features, config['smoke']['S']))\n"
        "        self.params = {'w': w, 'b': np.zeros(config['smoke']['C'])}\n"
        "    def predict(self, x):\n"
        "        return x[:, : config['smoke']['S']]\n"
    )
    image_capped, names = capped_sizes(image, {}, config)
    assert names == [f"S (224) at {LARGEST}"]
    assert f"size=(n_features, min(config['smoke']['S'], {LARGEST})))" in image_capped
    assert f"x[:, : min(config['smoke']['S'], {LARGEST})]" in image_capped
    assert (
        "config['training']['epochs']\n" in image_capped
        and "np.zeros(config['smoke']['C'])" in image_capped
    )
    assert capped_sizes(image_capped, {}, config) == (image_capped, [])
    assert capped_sizes(image, {}) == (image, [])  # no config.yaml: nothing known
    # a depth is capped at DEEPEST (resnet's 100 layers, papers-37), not at LARGEST
    deep = {"num_layers": 100, "hidden_units": 30}
    layered = "def f(c):\n    return [min(c['num_layers'], 16), c['paper']['num_layers']]\n"
    assert capped_sizes(layered, deep) == (
        f"def f(c):\n    return [min(min(c['num_layers'], {DEEPEST}), 16),"
        f" min(c['paper']['num_layers'], {DEEPEST})]\n",
        [f"num_layers (100) at {DEEPEST}"],
    )
    loose = "def f(c):\n    return min(c['d_model'], 512)\n"
    assert (
        capped_sizes(loose, sizes)[0]
        == f"def f(c):\n    return min(min(c['d_model'], {LARGEST}), 512)\n"
    )
    namespace: dict[str, Any] = {"np": np}
    exec(capped, namespace)
    model = namespace["Model"](
        {"paper": {"hidden_units": 30}, "d_model": 512, "training": {"learning_rate": 0.1}}, 8, 3
    )
    assert model.params["w"].shape == (8, LARGEST) and model.params["v"].shape == (LARGEST, 3)


def test_a_build_whose_init_reads_a_paper_size_gets_it_capped(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    """The plan's hidden_units is 64; __init__ sizes its weights by it: the build caps the
    read, without asking again, records why, and the tests pass."""
    config = plan_json("config")
    for entry in config["entries"]:
        if entry["key"] == "model.hidden_units":
            entry["value"] = 64
    init = (SCRIPTED / "contract" / "init.py").read_text("utf-8")
    rules: list[dict[str, Any]] = [
        {"agent": "planner.config", "content": json.dumps(config)},
        {"agent": "coder.function", "contains": "`Model.__init__`", "content": init},
    ]
    with ScriptedServer(scripted(*rules)) as srv:
        run_dir = small_build(srv, fixture_pdf, tmp_path)
        asked = [r.text for r in srv.chat_requests("coder.function")]
    assert sum("`Model.__init__`" in a for a in asked) == 1  # not asked again
    assert 'min(config["model"]["hidden_units"], 16)  (64, here at most 16)' in asked[0]
    repo = run_dir / "repo"
    model = (repo / contract.MODEL).read_text("utf-8")
    assert f'int(min(config["model"]["hidden_units"], {contract.LARGEST}))' in model
    fixes = json.loads((run_dir / "plan" / "fixes.json").read_text("utf-8"))["fixes"]
    assert "model.py: capped its reads of hidden_units (64) at 16 (min(setting, cap))" in [
        f["fix"] for f in fixes
    ]
    tests = run_in(repo, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout


_RECURSIVE_PREDICT = """\
def predict(self, inputs: np.ndarray) -> np.ndarray:
    features = gradients(lambda: self.loss(inputs, None), self.params)
    return np.dot(features["w1"].sum(axis=1) * inputs[:, :1], self.params["w2"][:1])
"""


def test_a_method_that_calls_back_the_method_calling_it_is_found() -> None:
    """gcn on the 1.5B model (papers-21): predict asked gradients(lambda: self.loss(...)) for
    its features, and loss called predict: a RecursionError at every check."""
    from papercoder.agents.contract import recursive

    code = (
        "class Model:\n"
        "    def predict(self, x):\n"
        "        return gradients(lambda: self.loss(x, None), self.params)\n"
        "    def loss(self, x, t):\n"
        "        return cross_entropy(self.predict(x), t)\n"
        "    def step(self, x, t):\n"
        "        grads = gradients(lambda: self.loss(x, t), self.params)\n"
    )
    [stub] = recursive(code)
    assert (stub.qualname, stub.line) == ("Model.predict", 2)
    assert stub.why.startswith("calls loss, which calls predict back: an endless recursion")
    # step calls loss calls predict: the contract's order, no recursion
    assert recursive(code.replace("self.loss(x, None)", "x")) == []
    [itself] = recursive("class A:\n    def step(self):\n        return self.step()\n")
    assert itself.why.startswith("calls itself without end")
    assert recursive("class A(:\n") == []


def test_a_recursive_predict_is_asked_for_again_and_the_build_passes(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    good = (SCRIPTED / "contract" / "predict.py").read_text("utf-8")
    rules: list[dict[str, Any]] = [
        answer("`Model.predict` does nothing yet", _RECURSIVE_PREDICT),
        {"agent": "coder.function", "contains": "`Model.predict` calls loss", "content": good},
    ]
    run_dir, asked, fixes = build_with(rules, fixture_pdf, tmp_path)
    assert sum("`Model.predict` calls loss, which calls predict back" in a for a in asked) == 1
    assert "model.py: asked for Model.predict again" in fixes
    tests = run_in(run_dir / "repo", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout


def test_an_init_that_makes_no_array_another_method_reads_is_found() -> None:
    """gcn (papers-22): `self.params = {}` while predict read "W1"; distillation: "w0" to
    "w7" made, "w" read. Both a KeyError at every check that no repair traced to __init__."""
    from papercoder.agents.contract import unmade_params

    reads = (
        "    def predict(self, x):\n"
        '        return x @ self.params["w"] + self.params["b"]\n'
        "    def step(self, x, t):\n"
        "        for name in self.params:\n"
        "            self.params[name] -= 0.1\n"  # a write of every array: makes nothing
    )
    empty = "class Model:\n    def __init__(self, config, n, k):\n        self.params = {}\n"
    [stub] = unmade_params(empty + reads)
    assert (stub.qualname, stub.line, stub.faults) == ("Model.__init__", 2, 2)
    assert stub.why.startswith('makes no self.params["w"], self.params["b"], which predict reads')
    spelled = empty.replace("{}", '{f"w{i}": 0 for i in range(3)}')
    assert [s.faults for s in unmade_params(spelled + reads)] == [2]  # "w0" is not "w"
    made = empty + '        self.params["w"], self.params["b"] = 1.0, 0.0\n'
    assert unmade_params(made + reads) == []
    assert unmade_params(empty.replace("{}", '{"w": 1, f"b{i}": 0}') + reads) != []
    assert unmade_params(empty.replace("{}", '{"w": 1, f"{n}": 0}') + reads) == []
    # made some way not read here: nothing is said
    assert unmade_params(empty.replace("{}", "dict(w=1, b=0)") + reads) == []
    assert unmade_params(empty + "        self._make(n)\n" + reads) == []  # its own method
    assert unmade_params(empty + '        self.params |= {"w": 1, "b": 0}\n' + reads) == []
    listed = empty + '        [self.params["w"], self.params["b"]] = [1.0, 0.0]\n'
    assert unmade_params(listed + reads) == []
    assert unmade_params(empty + "        self.params.update(w=1, b=0)\n" + reads) == []
    assert unmade_params("class Model(:\n") == []


def test_a_setting_read_from_params_is_read_from_self() -> None:
    """distillation and transformer (papers-21): predict read its layers and heads from
    self.params, where __init__ keeps arrays."""
    from papercoder.agents.contract import settings_from_params

    code = (
        "class Model:\n"
        "    def __init__(self, config, n_features, n_classes):\n"
        '        self.params = {"w": 1.0}\n'
        '        self.heads = config["heads"]\n'
        "\n"
        "    def predict(self, x):\n"
        '        for i in range(self.params["num_layers"] * self.params["heads"]):\n'
        '            x = x * self.params["w"] + self.params["n_classes"]\n'
        "        return x\n"
    )
    fixed, moved = settings_from_params(code, ["num_layers", "heads", "w", "lr"])
    assert moved == ["heads", "n_classes", "num_layers"]
    assert fixed == (
        "class Model:\n"
        "    def __init__(self, config, n_features, n_classes):\n"
        "        self.num_layers = config['num_layers']\n"  # set from config, found anywhere
        "        self.n_classes = n_classes\n"  # __init__'s own argument
        '        self.params = {"w": 1.0}\n'
        '        self.heads = config["heads"]\n'
        "\n"
        "    def predict(self, x):\n"
        "        for i in range(self.num_layers * self.heads):\n"
        '            x = x * self.params["w"] + self.n_classes\n'  # an array it makes: kept
        "        return x\n"
    )
    ns: dict[str, Any] = {}
    exec(fixed, ns)
    model = ns["Model"]({"heads": 2, "num_layers": 3}, 4, 5)
    assert model.predict(1.0) == 1.0 + 5 * 6
    alone = code.replace('self.params["n_classes"]', "1")
    assert settings_from_params(alone, []) == (alone, [])
    assert settings_from_params("class Model(:\n", ["heads"]) == ("class Model(:\n", [])


def test_a_variable_named_as_the_function_it_calls_is_renamed() -> None:
    """gcn's step (papers-22): `gradients = gradients(...)` made gradients local, so the call
    failed (UnboundLocalError; the sandbox's lint names it F823)."""
    from papercoder.agents.contract import unshadowed

    code = (
        "from gradients import gradients\n"
        "\n"
        "class Model:\n"
        "    def step(self, x):\n"
        "        gradients = gradients(lambda: x, self.params)\n"
        "        for name in gradients:\n"
        "            self.params[name] -= gradients[name]\n"
        "    def loss(self, x):\n"
        "        grads = gradients(lambda: x, self.params)\n"
        "        return grads\n"
    )
    fixed, changed = unshadowed(code)
    assert changed == ["Model.step"]
    assert fixed == code.replace(
        "        gradients = gradients(lambda: x, self.params)\n"
        "        for name in gradients:\n"
        "            self.params[name] -= gradients[name]\n",
        "        gradients_ = gradients(lambda: x, self.params)\n"
        "        for name in gradients_:\n"
        "            self.params[name] -= gradients_[name]\n",
    )
    ns: dict[str, Any] = {"gradients": lambda loss, params: dict.fromkeys(params, 1.0)}
    exec(fixed.split("\n", 1)[1], ns)
    model = ns["Model"]()
    model.params = {"w": 3.0}
    model.step(0)
    assert model.params == {"w": 2.0}
    # assigned before it is called, the name is a variable of its own (distillation's
    # softmax with a temperature): renaming it would call ops' softmax instead
    own = (
        "from ops import softmax\n"
        "def predict(x, t):\n"
        "    softmax = lambda z: z / t\n"
        "    return softmax(x)\n"
    )
    assert unshadowed(own) == (own, [])
    declared = code.replace(
        "    def step(self, x):\n", "    def step(self, x):\n        global gradients\n"
    )
    assert unshadowed(declared) == (declared, [])
    assert unshadowed(code.replace("from gradients import gradients\n", "")) == (
        code.replace("from gradients import gradients\n", ""),
        [],
    )  # a local of a name the module does not have is no shadow


_EMPTY_INIT = """\
def __init__(self, config: dict[str, Any], n_features: int, n_classes: int) -> None:
    self.learning_rate = float(config["training"]["learning_rate"])
    self.weight_decay = float(config["training"]["weight_decay"])
    self.params = {}
"""

_DIRECT_PREDICT = """\
def predict(self, inputs: Any) -> Any:
    hidden = np.maximum(0.0, inputs @ self.params["w1"] + self.params["b1"])
    return (hidden + inputs @ self.params["p"]) @ self.params["w2"] + self.params["b2"]
"""

_SHADOWING_STEP = """\
def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
    gradients = gradients(lambda: self.loss(inputs, targets), self.params)
    for name, grad in gradients.items():
        self.params[name] = self.params[name] - self.learning_rate * grad
"""


def test_an_init_making_no_arrays_is_asked_again_a_shadow_mended_and_the_build_passes(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    good = (SCRIPTED / "contract" / "init.py").read_text("utf-8")
    rules: list[dict[str, Any]] = [
        answer("`Model.__init__` does nothing yet", _EMPTY_INIT),
        answer("`Model.predict` does nothing yet", _DIRECT_PREDICT),
        answer("`Model.step` does nothing yet", _SHADOWING_STEP),
        {"agent": "coder.function", "contains": "`Model.__init__` makes no", "content": good},
    ]
    run_dir, asked, fixes = build_with(rules, fixture_pdf, tmp_path)
    told = [a for a in asked if '`Model.__init__` makes no self.params["w1"]' in a]
    assert len(told) == 1 and "which predict reads" in told[0]
    assert "model.py: asked for Model.__init__ again" in fixes
    assert "model.py: renamed in Model.step the variables named as a function they call" in fixes
    assert "gradients_ = gradients(" in (run_dir / "repo" / "model.py").read_text("utf-8")
    tests = run_in(run_dir / "repo", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout


_MISFITTING_PREDICT = """\
def predict(self, inputs: Any) -> Any:
    return inputs @ self.params["w1"] @ self.params["w1"]
"""

_ONE_ARRAY_INIT = """\
def __init__(self, config: dict[str, Any], n_features: int, n_classes: int) -> None:
    self.learning_rate = float(config["training"]["learning_rate"])
    self.weight_decay = float(config["training"]["weight_decay"])
    self.params = {"w1": np.random.default_rng(0).normal(0.0, 0.5, size=(n_features, n_classes))}
"""


_LOSS_READING_TRUTH = """\
def loss(self, inputs: Any, targets: Any) -> float:
    return cross_entropy(self.predict(inputs), truth)
"""


def test_a_function_found_unfinished_only_once_another_is_written_again_is_asked_for_too(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    # __init__ and loss are unfinished; __init__, asked again for the arrays predict reads,
    # makes w1 (8, 3): only then do the shapes show predict's second product cannot be
    # taken, and predict is asked for next, in the same pass (distillation, papers-52: an
    # internal KeyError, 'Model.predict', where the fix was recorded)
    rules: list[dict[str, Any]] = [
        answer("`Model.__init__` does nothing yet", _EMPTY_INIT),
        answer("`Model.predict` does nothing yet", _MISFITTING_PREDICT),
        answer("`Model.loss` does nothing yet", _LOSS_READING_TRUTH),
        answer("`truth`, which nothing defines", _LOSS_READING_TRUTH.replace("truth", "targets")),
        answer("`Model.__init__` makes no", _ONE_ARRAY_INIT),
        answer(
            "`Model.predict` computes", _MISFITTING_PREDICT.replace(' @ self.params["w1"]\n', "\n")
        ),
    ]
    run_dir, asked, fixes = build_with(rules, fixture_pdf, tmp_path)
    assert "model.py: asked for Model.__init__ again" in fixes
    assert "model.py: asked for Model.predict again" in fixes
    told = [a for a in asked if "`Model.predict` computes" in a]
    assert told and "(n_samples, 3) by (8, 3)" in told[0], told
    model = (run_dir / "repo" / "model.py").read_text("utf-8")
    assert '        return inputs @ self.params["w1"]\n' in model
    record = json.loads((run_dir / "plan" / "fixes.json").read_text("utf-8"))["fixes"]
    why = next(f["why"] for f in record if f["fix"] == "model.py: asked for Model.predict again")
    assert why.startswith("it computes inputs @ self.params")


_ADAM_YAML = """\
# Hyperparameters of the paper; `assumption` marks values the paper leaves open.
paper:
  beta1: 0.9  # Algorithm 1
  ϵ: 1.0e-08  # Algorithm 1
  temperature: 20  # Section 3
  hidden_units: 1000  # Section 6.2
  num_layers: 2  # Section 6.2
  gamma: 0.5  # assumption: the paper does not state it
training:
  learning_rate: 0.001  # Algorithm 1
  epochs: 10  # Section 6
smoke:
  beta2: 0.5  # assumption
"""

_DISTILLATION_YAML = """\
# Hyperparameters of the paper; `assumption` marks values the paper leaves open.
paper:
  temperature: 20  # Section 3
  alpha: 0.5  # Section 3
  init_std: 0.02  # Section 3
  momentum: 0.9  # Section 4
"""

_PLAIN_GD = (
    "class Model:\n"
    "    def __init__(self, config, n_features, n_classes):\n"
    '        self.learning_rate = config["learning_rate"]\n'
    "    def loss(self, x, t):\n"
    "        return 0.0\n"
    "    def step(self, x, t):\n"
    "        self.w = self.w - self.learning_rate\n"
)


def test_a_method_reading_none_of_the_settings_the_paper_states_for_it_is_found() -> None:
    """adam (papers-21): green, stepping by plain gradient descent, beta1, beta2 and ϵ cited
    from Algorithm 1 and read by nothing; distillation never read its temperature."""
    from papercoder.agents.contract import unread_paper_settings

    loss, step = unread_paper_settings(_PLAIN_GD, _ADAM_YAML)
    assert (step.qualname, step.line, step.faults) == ("Model.step", 6, 2)
    assert step.why.startswith(
        "uses none of the paper's beta1 (0.9), ϵ (1e-08): config.yaml cites them from"
        " Algorithm 1 for its update rule"
    )  # not the network's sizes or depth, an assumption, the loop's epochs, or smoke's
    assert (loss.qualname, loss.faults) == ("Model.loss", 1)
    assert loss.why.startswith("uses none of the paper's temperature (20): config.yaml cites it")
    adam = _PLAIN_GD.replace("self.learning_rate\n", "self.learning_rate * self.beta1 / self.ϵ\n")
    assert [s.qualname for s in unread_paper_settings(adam, _ADAM_YAML)] == ["Model.loss"]
    assert unread_paper_settings(_PLAIN_GD, _ADAM_YAML.replace("#", "# x", 1)) == []  # not ours
    # distillation's alpha weighs its objective; a momentum is the update's; an init's is not
    loss, step = unread_paper_settings(_PLAIN_GD, _DISTILLATION_YAML)
    assert loss.why.startswith("uses none of the paper's temperature (20), alpha (0.5):")
    assert step.why.startswith("uses none of the paper's momentum (0.9):")
    # told where the paper states them, and, for an algorithm, its steps (adam's Algorithm
    # 1 is the update rule: told the values alone, the model wrote gradient descent again)
    algorithm = "Algorithm 1: Adam, our algorithm.\nRequire: b1\nm_t <- b1 * m_(t-1)\n"
    [_, step] = unread_paper_settings(_PLAIN_GD, _ADAM_YAML, {"Algorithm 1": algorithm})
    assert "config.yaml cites them from Algorithm 1 for its update rule" in step.why
    assert step.why.endswith('Algorithm 1 of the paper: "Require: b1; m_t <- b1 * m_(t-1)"')
    assert step.shown == ""  # one line is no update to write line by line
    assert "Section 3" in unread_paper_settings(_PLAIN_GD, _ADAM_YAML)[0].why
    lam = unread_paper_settings(_PLAIN_GD, _DISTILLATION_YAML.replace("temperature", "lambda"))
    assert "(self.lambda_)" in lam[0].why  # an attribute Python allows
    assert unread_paper_settings("class Model(:\n", _ADAM_YAML) == []


def test_a_setting_read_from_self_that_nothing_sets_is_set_by_init() -> None:
    from papercoder.agents.contract import settings_from_params

    adam = _PLAIN_GD.replace("self.learning_rate\n", "self.learning_rate * self.beta1 / self.ϵ\n")
    fixed, moved = settings_from_params(adam, ["beta1", "ϵ", "learning_rate", "m"])
    epsilon = "\u03b5"  # ϵ (U+03F5), as Python reads a name: NFKC
    assert moved == ["beta1", epsilon]
    assert fixed == adam.replace(
        '        self.learning_rate = config["learning_rate"]\n',
        "        self.beta1 = config['beta1']\n"
        f"        self.{epsilon} = config['{epsilon}']\n"  # settings.py finds ϵ by it
        '        self.learning_rate = config["learning_rate"]\n',
    )
    assert settings_from_params(fixed, ["beta1", "ϵ"]) == (fixed, [])  # set now
    # first after the docstring, so a method __init__ calls, or its return, comes after it
    documented = adam.replace("n_classes):\n", 'n_classes):\n        """Doc."""\n').replace(
        '        self.learning_rate = config["learning_rate"]\n', "        return None\n"
    )
    fixed, _ = settings_from_params(documented, ["beta1"])
    assert '"""Doc."""\n        self.beta1 = config[\'beta1\']\n        return None\n' in fixed
    # a body on the def line is left alone; so is a keyword, which no attribute can be named
    one_line = adam.replace(
        'n_classes):\n        self.learning_rate = config["learning_rate"]\n',
        "n_classes): self.learning_rate = 1\n",
    )
    assert settings_from_params(one_line, ["beta1"]) == (one_line, [])
    keyword = "class M:\n    def __init__(self, config):\n        self.params = {}\n"
    keyword += '    def loss(self):\n        return self.params["lambda"]'  # no final newline
    assert settings_from_params(keyword, ["lambda"]) == (keyword, [])
    fixed, moved = settings_from_params(keyword.replace("lambda", "lam"), ["lam"])
    assert moved == ["lam"] and fixed.endswith("return self.lam\n")
    compile(fixed, "model.py", "exec")


_LOSS_WITHOUT_DECAY = """\
def loss(self, inputs: Any, targets: Any) -> float:
    return float(cross_entropy(self.predict(inputs), targets))
"""


def test_a_loss_reading_none_of_the_papers_settings_for_it_is_asked_again(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    good = (SCRIPTED / "contract" / "loss.py").read_text("utf-8")
    rules: list[dict[str, Any]] = [
        answer("`Model.loss` does nothing yet", _LOSS_WITHOUT_DECAY),
        {"agent": "coder.function", "contains": "`Model.loss` uses none", "content": good},
    ]
    run_dir, asked, fixes = build_with(rules, fixture_pdf, tmp_path)
    told = [a for a in asked if "`Model.loss` uses none of the paper's weight_decay" in a]
    assert len(told) == 1 and "cites it from Table 1 for its objective" in told[0]
    assert "model.py: asked for Model.loss again" in fixes
    assert "self.weight_decay" in (run_dir / "repo" / "model.py").read_text("utf-8")
    tests = run_in(run_dir / "repo", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout


def test_a_rewritten_loss_reading_a_setting_bare_is_taken_and_read_from_self(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    """adam's step asked for line by line (papers-35) read beta1, beta2 and learning_rate
    bare: judged as written (a NameError, the settings still unread), the answer was
    refused. Judged as the tool mends it, it is taken, and the settings are read from self."""
    good = (SCRIPTED / "contract" / "loss.py").read_text("utf-8")
    bare = good.replace("self.weight_decay", "weight_decay")
    assert "self.weight_decay" not in bare
    rules: list[dict[str, Any]] = [
        answer("`Model.loss` does nothing yet", _LOSS_WITHOUT_DECAY),
        {"agent": "coder.function", "contains": "`Model.loss` uses none", "content": bare},
    ]
    run_dir, asked, fixes = build_with(rules, fixture_pdf, tmp_path)
    assert sum("`Model.loss` uses none" in a for a in asked) == 1  # taken: not asked again
    assert "model.py: asked for Model.loss again" in fixes
    assert "model.py: reads weight_decay from self, not as names nothing defines" in fixes
    model = (run_dir / "repo" / "model.py").read_text("utf-8")
    assert "0.5 * self.weight_decay * sum(" in model
    tests = run_in(run_dir / "repo", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout


def test_a_setting_read_bare_is_read_from_self() -> None:
    from papercoder.agents.contract import settings_from_names

    code = (
        "SCALE = 2\n"
        "class Model:\n"
        "    def step(self, g):\n"
        "        m = beta1 * g + (1 - beta1) * g\n"
        "        lr = 0.1\n"
        "        return m * lr * SCALE * ϵ + other\n"
    )
    fixed, moved = settings_from_names(code, ["beta1", "lr", "SCALE", "ϵ", "momentum"])
    assert moved == ["beta1", "\u03b5"]  # ϵ as Python reads a name (NFKC)
    assert "m = self.beta1 * g + (1 - self.beta1) * g\n" in fixed
    assert "lr = 0.1\n        return m * lr * SCALE * self.ϵ + other\n" in fixed
    assert settings_from_names(fixed, ["beta1", "ϵ"]) == (fixed, [])
    assert settings_from_names("def f(:\n", ["beta1"]) == ("def f(:\n", [])


GLOVE_STEP = """class Model:
    def loss(self, inputs, targets):
        return cross_entropy(softmax(inputs @ self.params["w1"]), targets)

    def step(self, inputs, targets):
        loss = cross_entropy(softmax(inputs @ self.params["w1"]), targets)
        grads = gradients(lambda: loss, self.params)
        self.params["w1"] -= 0.1 * grads["w1"]
"""


def test_a_loss_computed_before_gradients_is_taken_anew(tmp_path: Path) -> None:
    """glove (papers-56): step handed gradients `lambda: loss`, a number computed before;
    nudging self.params cannot change it, and every check failed."""
    from papercoder.agents.contract import loss_taken_anew

    gradients = _tool_module(tmp_path, contract.GRADIENTS).gradients
    ops = _tool_module(tmp_path, contract.OPS)
    inputs, targets = np.ones((4, 2)), np.array([0, 1, 0, 1])

    def stepped(code: str) -> Any:
        namespace = {"gradients": gradients, **vars(ops)}
        exec(code, namespace)
        model = namespace["Model"]()
        model.params = {"w1": np.array([[0.5, -0.5], [0.1, 0.2]])}
        model.step(inputs, targets)
        return model.params["w1"]

    with pytest.raises(AssertionError, match="does not change"):
        stepped(GLOVE_STEP)
    fixed, names = loss_taken_anew(GLOVE_STEP)
    assert names == ["loss"]
    assert "grads = gradients(lambda: self.loss(inputs, targets), self.params)" in fixed
    assert not np.allclose(stepped(fixed), [[0.5, -0.5], [0.1, 0.2]])
    assert loss_taken_anew(fixed) == (fixed, [])
    called = GLOVE_STEP.replace("lambda: loss,", "lambda: self.loss(inputs, targets) + 0.0,")
    assert loss_taken_anew(called) == (called, [])  # a loss taken anew stays as written


def test_a_setting_init_puts_in_params_is_kept_on_self() -> None:
    """gcn (papers-30): __init__ put dropout_rate and four more settings in self.params,
    and gradients() refused the numbers at every check."""
    from papercoder.agents.contract import settings_out_of_params

    code = (
        "class Model:\n"
        "    def __init__(self, config, n_features, n_classes):\n"
        '        self.params = {"w": np.zeros((n_features, n_classes))}\n'
        '        self.params["dropout"] = config["training"]["dropout"]\n'
        '        self.params["units"] = min(config["units"], 16)\n'
        '        self.params["b"] = np.zeros(config["units"])\n'  # an array: stays
        "    def predict(self, x):\n"
        '        return x @ self.params["w"] * self.params["dropout"] + self.params["b"]\n'
    )
    fixed, moved = settings_out_of_params(code)
    assert moved == ["dropout", "units"]
    assert fixed == (
        code.replace('self.params["dropout"]', "self.dropout").replace(
            'self.params["units"]', "self.units"
        )
    )
    assert settings_out_of_params(fixed) == (fixed, [])
    assert settings_out_of_params("class M(:\n") == ("class M(:\n", [])
    # a number started in self.params, glove's step count (papers-36), is kept on self too
    glove = code.replace(
        '        self.params["units"] = min(config["units"], 16)\n',
        '        self.params["step_count"] = 0\n        self.params["flag"] = True\n',
    ).replace('x @ self.params["w"]', 'x @ self.params["w"] * self.params["step_count"]')
    fixed, moved = settings_out_of_params(glove)
    assert moved == ["dropout", "step_count"]  # not a bool's
    assert '        self.step_count = 0\n        self.params["flag"] = True\n' in fixed
    assert 'x @ self.params["w"] * self.step_count * self.dropout' in fixed
    # named as a method (glove, papers-56: `self.params["step"] = 0` beside step)
    counted = glove.replace('"step_count"', '"step"') + "    def step(self):\n        pass\n"
    fixed, moved = settings_out_of_params(counted)
    assert moved == ["dropout", "step"]
    assert "        self.step_count = 0\n" in fixed
    assert 'x @ self.params["w"] * self.step_count * self.dropout' in fixed
    # numbers and settings in the dict that makes self.params (distillation, papers-52)
    within = (
        "class Model:\n"
        "    def __init__(self, config, n_features, n_classes):\n"
        "        self.params = {\n"
        '            "w": np.zeros((n_features, n_classes)),\n'
        '            "beta1": 0.9,\n'
        '            "lr": config["training"]["lr"],\n'
        '            "b": np.zeros(n_classes),\n'
        "        }\n"
        "    def step(self, x):\n"
        '        self.params["w"] -= self.params["lr"] * (1 - self.params["beta1"])\n'
    )
    fixed, moved = settings_out_of_params(within)
    assert moved == ["beta1", "lr"]
    assert fixed == (
        "class Model:\n"
        "    def __init__(self, config, n_features, n_classes):\n"
        "        self.params = {\n"
        '            "w": np.zeros((n_features, n_classes)),\n'
        '            "b": np.zeros(n_classes),\n'
        "        }\n"
        "        self.beta1 = 0.9\n"
        '        self.lr = config["training"]["lr"]\n'
        "    def step(self, x):\n"
        '        self.params["w"] -= self.lr * (1 - self.beta1)\n'
    )
    assert settings_out_of_params(fixed) == (fixed, [])
    only = within.replace('            "w": np.zeros((n_features, n_classes)),\n', "").replace(
        '            "b": np.zeros(n_classes),\n', ""
    )
    assert "        self.params = {}\n        self.beta1 = 0.9\n" in settings_out_of_params(only)[0]


def test_gradients_asked_of_one_array_are_asked_of_all_of_params() -> None:
    """gcn's step (papers-31): gradients(loss, self.params["w1"]) for each array; the smoke
    run and three tests failed on the assertion that params is a dict."""
    from papercoder.agents.contract import whole_params_to_gradients

    code = (
        "def step(self, x, t):\n"
        '    g1 = gradients(lambda: self.loss(x, t), self.params["w1"])\n'
        "    g2 = gradients(lambda: self.loss(x, t), self.params)['w2']\n"
        '    self.params["w1"] -= 0.1 * g1\n'
    )
    fixed, names = whole_params_to_gradients(code)
    assert names == ['"w1"']
    assert fixed == code.replace('self.params["w1"])\n', 'self.params)["w1"]\n')
    ns: dict[str, Any] = {"gradients": lambda loss, params: {k: 2 * v for k, v in params.items()}}
    exec(fixed, ns)  # the fixed step runs as gradients() wants
    model = type("M", (), {"params": {"w1": 1.0, "w2": 3.0}, "loss": lambda s, x, t: 0.0})()
    ns["step"](model, 0, 0)
    assert model.params["w1"] == 1.0 - 0.1 * 2.0
    assert whole_params_to_gradients(fixed) == (fixed, [])


_CROSS_ENTROPY_ONLY = """\
def loss(self, inputs: Any, targets: Any) -> float:
    scores = self.predict(inputs)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(targets)), targets].mean())
"""


def test_an_l2_penalty_no_method_reads_is_added_to_the_loss() -> None:
    """gcn (papers-36, papers-39): asked for loss again, told the paper's L2 penalty, the
    1.5B model wrote the same cross-entropy twice. The tool adds λ/2 · Σ‖w‖², read from
    self, which __init__ then sets from config."""
    from papercoder.agents.contract import (
        penalty_added,
        penalty_settings,
        settings_from_params,
    )

    yaml_text = (
        "paper:\n  l2_regularization: 0.0005  # Section 6.1\n  regularization: l2  # S 1\n"
        "training:\n  weight_decay: 1.0e-4  # Section 3.4\n  l2_clip: 2.0  # S 1\n"
        "  decay: true  # S 1\n  weight-decay: 0.0005  # S 2\n  l1_regularization: 0.001  # S 1\n"
        "  entropy_regularization: 0.01  # S 1\n  l2_norm_clip: 0.5  # S 1\n"
        "  lambda_l2: 0.0005  # Table 2\n  l2: 0.1  # assumption: the paper has none\n"
        "  l2_weight: 0.1\n"
    )
    assert penalty_settings(yaml_text) == [  # (not one assumed, nor one cited nowhere)
        "l2_regularization",
        "weight_decay",
        "weight-decay",
        "lambda_l2",
    ]
    assert penalty_settings("a: [1\n") == []
    code = (
        "import numpy as np\nfrom typing import Any\n\n\nclass Model:\n"
        "    def __init__(self, config: Any, n_features: int, n_classes: int) -> None:\n"
        '        """Doc."""\n'
        "        rng = np.random.default_rng(0)\n"
        "        self.params = {'w': rng.normal(size=(n_features, n_classes))}\n\n"
        "    def predict(self, inputs: Any) -> Any:\n"
        "        return inputs @ self.params['w']\n\n"
        + "\n".join("    " + row if row else row for row in _CROSS_ENTROPY_ONLY.splitlines())
        + "\n"
    )
    added, names = penalty_added(code, ["l2_regularization", "weight_decay"])
    assert names == ["l2_regularization"]  # the first: one penalty, not two
    assert (
        "        return (float(-log_probs[np.arange(len(targets)), targets].mean()))"
        " + 0.5 * self.l2_regularization * sum(float(np.sum(w**2)) for w in"
        " self.params.values())\n"
    ) in added
    assert penalty_added(added, ["l2_regularization"]) == (added, [])  # read now
    assert penalty_added(code, []) == (code, [])
    assert penalty_added("def f(:\n", ["weight_decay"]) == ("def f(:\n", [])
    used = code.replace("self.predict(inputs)", "self.predict(inputs) * self.l2_regularization")
    assert penalty_added(used, ["l2_regularization"]) == (used, [])  # read already
    kept = code.replace('"""Doc."""', '"""Doc."""\n        self.l2_regularization = 0.1')
    assert penalty_added(kept, ["l2_regularization"])[1] == ["l2_regularization"]  # kept only
    # a second penalty beside one the loss reads, under its name or another, or squared
    # weights of its own: no second penalty
    both = added.replace("self.l2_regularization", "self.wd")
    assert penalty_added(both, ["weight_decay"]) == (both, [])
    # a function inside loss keeps its own return; another class's loss is not the model's
    nested = code.replace(
        "        scores = self.predict(inputs)\n",
        "        def inner(v: Any) -> Any:\n            return v\n\n"
        "        scores = inner(self.predict(inputs))\n",
    )
    helper = "class Softmax:\n    def loss(self, s: Any) -> float:\n        return 0.0\n\n\n"
    twice, _ = penalty_added(helper + nested, ["l2_regularization"])
    assert twice.count("0.5 * self.l2_regularization") == 1
    assert "            return v\n" in twice and "        return 0.0\n" in twice
    set_up, _ = settings_from_params(added, ["l2_regularization"])
    namespace: dict[str, Any] = {}
    exec(set_up, namespace)
    model = namespace["Model"]({"l2_regularization": 0.5}, 4, 3)
    inputs, targets = np.ones((2, 4)), np.array([0, 2])
    penalty = 0.25 * float(np.sum(model.params["w"] ** 2))
    plain = namespace["Model"]({"l2_regularization": 0.0}, 4, 3)
    assert np.isclose(model.loss(inputs, targets), plain.loss(inputs, targets) + penalty)


def test_a_build_whose_loss_leaves_out_the_weight_decay_gets_it_added(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    """The fixture's config cites weight_decay from Table 1; a loss without it, asked for
    again and answered the same, gets the penalty from the tool, recorded; the tests pass."""
    rules = [
        answer("`Model.loss` does nothing yet", _CROSS_ENTROPY_ONLY),
        answer("`Model.loss` uses none of the paper's weight_decay", _CROSS_ENTROPY_ONLY),
    ]
    run_dir, asked, fixes = build_with(rules, fixture_pdf, tmp_path)
    assert sum("`Model.loss` uses none" in a for a in asked) == 1  # the model's turn first
    assert "model.py: asked for Model.loss again" not in fixes  # the same answer: refused
    repo = run_dir / "repo"
    model = (repo / contract.MODEL).read_text("utf-8")
    assert "+ 0.5 * self.weight_decay * sum(float(np.sum(w**2))" in model
    assert (
        "model.py: adds to loss the paper's L2 penalty on the weights, weight_decay · ½Σ‖w‖²"
        in fixes
    )
    tests = run_in(repo, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout


def test_a_predict_reading_not_every_array_init_makes_is_asked_again(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    """adam (papers-43): __init__ made w1 and w2, predict returned `inputs @ w1`, and the
    test that each array changes the loss failed at the first verify. Told which arrays it
    leaves out, predict is written again before the checks."""
    good = (SCRIPTED / "contract" / "predict.py").read_text("utf-8")
    rules: list[dict[str, Any]] = [  # (the fixture's loss reads self.params[name]: any array)
        answer("`Model.predict` does nothing yet", _WRONG["predict_without_b1.py"]),
        answer("`Model.loss` does nothing yet", _CROSS_ENTROPY_ONLY),
        answer("`Model.loss` uses none", _CROSS_ENTROPY_ONLY),
        {"agent": "coder.function", "contains": "`Model.predict` reads no", "content": good},
    ]
    run_dir, asked, fixes = build_with(rules, fixture_pdf, tmp_path)
    told = [a for a in asked if "`Model.predict` reads no" in a]
    assert len(told) == 1 and 'reads no self.params["b1"], which __init__ makes' in told[0]
    assert "model.py: asked for Model.predict again" in fixes
    tests = run_in(run_dir / "repo", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout


def test_only_arrays_init_makes_by_name_and_nothing_reads_are_named() -> None:
    from papercoder.agents.contract import unread_params

    code = (
        "class Model:\n"
        "    def __init__(self, config, n_features, n_classes):\n"
        "        self.params = {'w1': 1, 'w2': 2, 'b': 3}\n"
        "        self.params['v'] = 4\n"
        "    def predict(self, x):\n"
        "        return x @ self.params['w1'] + self.params['b']\n"
        "    def step(self, x, t):\n"
        "        g = gradients(lambda: 0.0, self.params)\n"
        "        self.params['w2'] -= g['w2']\n"
    )
    [stub] = unread_params(code)
    assert stub.qualname == "Model.predict" and stub.faults == 2
    assert stub.why.startswith('reads no self.params["w2"], self.params["v"], which __init__')
    # asked afresh, its body starting with each array read into a local (papers-44: told
    # which beside its own body, adam's predict came back as it was, twice)
    assert stub.afresh
    assert stub.shown == (
        'w1 = self.params["w1"]\nw2 = self.params["w2"]\nb = self.params["b"]\n'
        'v = self.params["v"]\n# inputs: (n_samples, 8); the scores: (n_samples, 3)\n'
    )  # (shapes not known: no chain, the inputs' and the scores' shapes)
    by_pattern = code.replace("self.params['b']", "sum(self.params[f'w{k}'] for k in '12')")
    [stub] = unread_params(by_pattern)  # f'w{k}' reads w2 as it may spell it
    assert stub.why.startswith('reads no self.params["b"], self.params["v"], which')
    whole = code.replace("+ self.params['b']", "+ sum(self.params.values())")
    assert unread_params(whole) == []  # reads them all
    made_otherwise = code.replace("self.params['v'] = 4", "self.params.update(v=4)")
    assert unread_params(made_otherwise) == []  # made in a way not read: nothing said


def test_the_shapes_of_the_arrays_init_makes_are_worked_out_from_config_and_the_data() -> None:
    from papercoder.agents.contract import param_shapes

    code = (
        "class Model:\n"
        "    def __init__(self, cfg, n_features, n_classes):\n"
        "        hidden = min(cfg['training']['units'], 16)\n"
        "        self.depth = cfg.get('num_layers', 2)\n"
        "        rng = np.random.default_rng(0)\n"
        "        self.params = {\n"
        "            'w1': rng.normal(0.0, 0.1, size=(n_features, hidden)),\n"
        "            'w2': rng.standard_normal((hidden, n_classes)) * 0.1,\n"
        "        }\n"
        "        self.params['b'] = np.zeros(hidden * 2)\n"
        "        self.params['e'] = np.random.randn(cfg['paper']['d_model'], self.depth + 1)\n"
        "        self.params['u'] = np.ones((width, 3))\n"
        "        self.params['s'] = 0.5\n"
    )
    # units is the paper's 1000, taken at 16; d_model 512 at 16; num_layers 2 as read
    config = "paper:\n  d_model: 512\ntraining:\n  units: 1000\n  num_layers: 2\n"
    assert param_shapes(code, config) == {
        "w1": (8, 16),
        "w2": (16, 3),
        "b": (32,),
        "e": (16, 3),
        "u": ("width", 3),  # a size not worked out: as the code spells it
    }
    assert param_shapes("x = 1\n", config) == {}
    assert param_shapes(code, ": not yaml [")["w1"] == (8, "hidden")


def test_the_chain_of_shapes_from_the_inputs_to_the_scores_is_the_one_they_allow() -> None:
    from papercoder.agents.contract import shape_chain

    assert shape_chain({"w2": (16, 3), "w1": (8, 16)}) == (
        "# inputs (n_samples, 8) @ w1 -> (n_samples, 16) @ w2 -> the scores (n_samples, 3)"
    )
    deep = {"w1": (8, 16), "w2": (16, 16), "b1": (16,), "w3": (16, 3), "b3": (3,)}
    assert shape_chain(deep) == (
        "# inputs (n_samples, 8) @ w1 -> (n_samples, 16) + b1 -> (n_samples, 16)"
        " @ w2 -> (n_samples, 16) @ w3 -> (n_samples, 3) + b3 -> the scores (n_samples, 3)"
    )
    assert shape_chain({"w1": (8, 16), "w2": (8, 3)}) == ""  # no chain takes w2
    # no array makes 3 columns: the chain ends in the output, for readout_added
    assert shape_chain({"w1": (8, 16), "w2": (16, 16)}) == (
        "# inputs (n_samples, 8) @ w1 -> (n_samples, 16) @ w2 -> the output (n_samples, 16)"
    )
    assert shape_chain({"w1": (8, 16), "w2": (16, 3), "w3": (16, 16)}) == ""  # not 3
    assert shape_chain({"w1": (8, "hidden"), "w2": (16, 3)}) == ""  # a shape not known
    assert shape_chain({"w": (8, 3), "extra": (5, 5)}) == ""  # an array left out
    assert shape_chain({"w": (8, 3), "cube": (3, 3, 3)}) == ""  # not a matrix nor a vector
    assert shape_chain({}) == ""


def test_predict_asked_for_the_arrays_it_leaves_out_is_shown_their_shapes_and_chain() -> None:
    from papercoder.agents.contract import unread_params

    code = (
        "class Model:\n"
        "    def __init__(self, config, n_features, n_classes):\n"
        "        h = min(config['hidden_units'], 16)\n"
        "        self.params = {'w1': np.zeros((n_features, h)), 'w2': np.zeros((h, n_classes))}\n"
        "    def predict(self, x):\n"
        "        return x @ self.params['w1']\n"
    )
    [stub] = unread_params(code, "model:\n  hidden_units: 1000\n")
    assert stub.shown == (
        'w1 = self.params["w1"]  # (8, 16)\nw2 = self.params["w2"]  # (16, 3)\n'
        "# inputs (n_samples, 8) @ w1 -> (n_samples, 16) @ w2 -> the scores (n_samples, 3)\n"
    )


def test_the_data_has_the_sizes_the_shapes_are_worked_out_with() -> None:
    from papercoder.agents.contract import DATA, N_CLASSES, N_FEATURES, skeleton

    space: dict[str, object] = {}
    exec(compile(skeleton(DATA, "t"), "data.py", "exec"), space)
    inputs, targets = space["make_data"]()  # type: ignore[operator]
    assert inputs.shape[1] == N_FEATURES and len(set(targets.tolist())) == N_CLASSES


MISSHAPEN_INIT = (
    "class Model:\n"
    "    def __init__(self, config, n_features, n_classes):\n"
    "        h = min(config['hidden_units'], 16)\n"
    "        self.params = {'w1': np.zeros((n_features, h)), 'b1': np.zeros(h),\n"
    "                       'w2': np.zeros((h, n_classes))}\n"
    "    def predict(self, inputs):\n"
    "        w1, w2 = self.params['w1'], self.params['w2']\n"
    "        b1 = self.params['b1']\n"
)


@pytest.mark.parametrize(
    ("body", "fault"),
    [  # papers-45's adam: its (16, 3) array on the inputs, 8 wide
        (
            "return np.dot(inputs, self.params['w1']) + np.dot(relu(np.dot(inputs,"
            " self.params['w2'])), self.params['w2'])",
            "np.dot(inputs, self.params['w2']): (n_samples, 8) by (16, 3)",
        ),
        # papers-39's gcn: its (8, 16) array times the inputs, in a loop (followed once)
        (
            "H = inputs\n        for _ in range(2):\n            H = relu(np.dot(b1 * 0 +"
            " self.params['w1'], H))\n        return H",
            "np.dot(b1 * 0 + self.params['w1'], H): (8, 16) by (n_samples, 8)",
        ),
        ("x = inputs\n        x += b1\n        return x", "x + b1: (n_samples, 8) and (16,)"),
        ("return (inputs @ self.params['w1']).T @ self.params['w2']", None),  # (16, n) @ (16, 3)
        (
            "h = relu(inputs @ self.params['w1'] + b1)\n"
            "        return softmax(h @ self.params['w2'])",
            "",
        ),
        ("return np.maximum(0, inputs @ self.params['w1'].T)", None),  # (8, 16).T is (16, 8)
        ("x, y = inputs, 1\n        return x @ self.params['w2']", ""),  # x: not known
        ("if inputs.ndim:\n            pass\n        return inputs @ self.params['w2']", ""),
        ("return inputs @ self.params['u']", ""),  # u: a shape not known
        ("return np.dot(inputs.reshape(-1), self.params['w2'])", ""),  # a call not read here
        # papers-64's gcn: its adjacency, (n, n), times the weights (8, 16)
        (
            "x = inputs\n        A = np.eye(x.shape[0]) + np.diag(np.ones(len(x)))\n"
            "        return np.dot(A, self.params['w1'])",
            "np.dot(A, self.params['w1']): (n_samples, n_samples) by (8, 16)",
        ),
        (
            "A = np.identity(inputs.shape[-2]) * np.ones_like(np.zeros((1, 1)))\n"
            "        return A @ self.params['w1']",
            "A @ self.params['w1']: (n_samples, n_samples) by (8, 16)",
        ),
        (
            "A = np.eye(inputs.shape[0])\n        h = relu(A @ inputs @ self.params['w1'])\n"
            "        return h @ self.params['w2']",
            "",
        ),
        ("A = np.eye(inputs.shape[2])\n        return A @ self.params['w1']", ""),  # no 3rd dim
    ],
)
def test_predict_putting_together_arrays_whose_shapes_cannot_meet_is_asked_for_again(
    body: str, fault: str | None
) -> None:
    from papercoder.agents.contract import misshapen

    code = f"{MISSHAPEN_INIT}        {body}\n"
    found = misshapen(code, "model:\n  hidden_units: 1000\n")
    if fault == "":
        assert found == []
        return
    [stub] = found
    assert stub.qualname == "Model.predict" and stub.afresh and stub.faults == 1
    if fault is not None:
        assert stub.why.startswith(f"computes {fault}, shapes that do not fit")
    assert (
        stub.shown.endswith(  # b1, w2 left to place: the chain the shapes allow
            "# inputs (n_samples, 8) @ w1 -> (n_samples, 16) + b1 -> (n_samples, 16) @ w2 ->"
            " the scores (n_samples, 3)\n"
        )
        or "(width, 2)" in stub.shown
    )


def test_a_product_whose_shapes_meet_only_the_other_way_round_is_swapped() -> None:
    from papercoder.agents.contract import misshapen, swapped_products

    config = "model:\n  hidden_units: 1000\n"
    w1, w2 = "self.params['w1']", "self.params['w2']"
    # gcn's answer shown the chain (W·x of the paper, a row per sample here)
    code = f"{MISSHAPEN_INIT}        return np.dot({w1}, inputs) @ {w2}\n"
    assert misshapen(code, config) != []
    mended, done = swapped_products(code, config)
    assert done == [f"np.dot({w1}, inputs) as np.dot(inputs, {w1})"]
    assert mended == code.replace(f"np.dot({w1}, inputs)", f"np.dot(inputs, {w1})")
    assert misshapen(mended, config) == []
    # the operands of @ keep their grouping
    matmul = f"{MISSHAPEN_INIT}        h = relu({w1}.T.T @ (inputs + 0))\n        return h\n"
    mended, done = swapped_products(matmul, config)
    assert done == [f"{w1}.T.T @ (inputs + 0) as (inputs + 0) @ {w1}.T.T"]
    assert f"        h = relu((inputs + 0) @ {w1}.T.T)\n" in mended
    # two swaps, one after the other; a product that fits neither way is left to misshapen
    both = f"{MISSHAPEN_INIT}        return np.dot({w2}, np.dot({w1}, inputs))\n"
    assert swapped_products(both, config)[0].endswith(
        f"        return np.dot(np.dot(inputs, {w1}), {w2})\n"
    )
    neither = f"{MISSHAPEN_INIT}        return inputs @ {w2}\n"
    assert swapped_products(neither, config) == (neither, [])
    right = f"{MISSHAPEN_INIT}        return relu(inputs @ {w1} + b1) @ {w2}\n"
    assert swapped_products(right, config) == (right, [])
    assert swapped_products("def (:\n", config) == ("def (:\n", [])


GCN_LIKE = """\
# Hyperparameters of the paper; `assumption` marks values the paper leaves open.
training:
  dropout_rate: 0.5  # Section 6.1 (verified)
  dropout: 0.3  # assumption: cited 'Section 2', which does not state it
  p_drop: 2.0  # Section 6.1 (verified)
  hidden_units: 16  # Section 6.1 (verified)
  learning_rate: 0.5  # Section 6.1 (verified)
"""

DROPOUT_MODEL = '''"""The method."""

from typing import Any

import numpy as np

from gradients import gradients
from ops import cross_entropy, relu, sigmoid


class Model:
    def __init__(self, config: dict[str, Any], n_features: int, n_classes: int) -> None:
        rng = np.random.default_rng(0)
        h = min(config["training"]["hidden_units"], 16)
        self.params = {
            "w1": rng.normal(0.0, 0.5, size=(n_features, h)),
            "w2": rng.normal(0.0, 0.5, size=(h, h)),
            "w3": rng.normal(0.0, 0.5, size=(h, n_classes)),
        }
        self.learning_rate = config["training"]["learning_rate"]

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        hidden = relu(inputs @ self.params["w1"])
        hidden = sigmoid(relu(hidden @ self.params["w2"]))
        return relu(hidden @ self.params["w3"])

    def loss(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        return cross_entropy(self.predict(inputs), targets)

    def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        grads = gradients(lambda: self.loss(inputs, targets), self.params)
        for name, grad in grads.items():
            self.params[name] = self.params[name] - self.learning_rate * grad
'''


READOUT_MODEL = DROPOUT_MODEL.replace(
    '            "w3": rng.normal(0.0, 0.5, size=(h, n_classes)),\n', ""
).replace('return relu(hidden @ self.params["w3"])', "return softmax(hidden + 1.0)")


def test_the_scores_are_read_out_of_predicts_output_where_no_array_makes_them(
    tmp_path: Path,
) -> None:
    from papercoder.agents.contract import misshapen, readout_added, unread_params

    config = "training:\n  hidden_units: 1000  # Section 2 (verified)\n  learning_rate: 0.5\n"
    mended, done = readout_added(READOUT_MODEL, config)
    assert done == ["predict's output, 16 wide, to 3 by a readout (16, 3)"]
    assert (
        "        }\n"
        "        # the scores, one per class: predict's output is 16 wide (a readout)\n"
        '        self.params["readout"] = np.random.default_rng(1).normal(0.0, 0.5,'
        " size=(16, n_classes))\n"
    ) in mended
    # inside the softmax it returns, not after it
    assert '        return softmax((hidden + 1.0) @ self.params["readout"])\n' in mended
    assert readout_added(mended, config) == (mended, [])  # the scores are made now
    assert misshapen(mended, config) == [] and unread_params(mended, config) == []
    # the tool's tests (one score per class among them) and smoke run pass it; not before
    _tool_files(tmp_path, config)
    (tmp_path / "model.py").write_text(
        READOUT_MODEL.replace("cross_entropy, relu", "cross_entropy, relu, softmax"), "utf-8"
    )
    before = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert "1 failed" in before.stdout and "one_per_class" in before.stdout, before.stdout
    (tmp_path / "model.py").write_text(
        mended.replace("cross_entropy, relu", "cross_entropy, relu, softmax"), "utf-8"
    )
    tests = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "6 passed" in tests.stdout, tests.stdout
    assert run_in(tmp_path, "main.py", "--smoke").returncode == 0
    # nothing where an array makes the scores, predict's output is not known or misfits,
    # or an array's shape is not known
    assert readout_added(DROPOUT_MODEL, config) == (DROPOUT_MODEL, [])
    unknown = READOUT_MODEL.replace("softmax(hidden + 1.0)", "softmax(self.head(hidden))")
    assert readout_added(unknown, config) == (unknown, [])
    misfit = READOUT_MODEL.replace("softmax(hidden + 1.0)", 'inputs @ self.params["w2"]')
    assert readout_added(misfit, config) == (misfit, [])
    branched = READOUT_MODEL.replace(
        "        return softmax(",
        "        if inputs.size:\n            return inputs\n        return softmax(",
    )
    assert readout_added(branched, config) == (branched, [])
    sized = READOUT_MODEL.replace("size=(h, h)", "size=(h, width)")
    assert readout_added(sized, config) == (sized, [])
    assert readout_added("def broken(:\n", config) == ("def broken(:\n", [])
    # an embedding judged by its own loss (t-SNE's), not scores against classes: as it is
    embedding = READOUT_MODEL.replace(
        "return cross_entropy(self.predict(inputs), targets)",
        "return float(np.sum(self.predict(inputs) ** 2))",
    )
    assert embedding != READOUT_MODEL and readout_added(embedding, config) == (embedding, [])


MOMENTUM_YAML = """\
# Hyperparameters of the paper; `assumption` marks values the paper leaves open.
training:
  hidden_units: 16  # Section 3.1 (verified)
  learning_rate: 0.5  # Section 3.1 (verified)
  momentum: 0.9  # Section 3.1 (verified)
  dropout_rate: 0.5  # assumption: cited 'Section 3.1', which does not state it
"""


def test_the_momentum_no_method_uses_is_added_to_a_plain_gradient_descent(
    tmp_path: Path,
) -> None:
    from papercoder.agents.contract import (
        momentum_added,
        momentum_settings,
        settings_from_params,
        state_by_array,
    )

    assert momentum_settings(MOMENTUM_YAML) == ["momentum"]
    assumed = "momentum: 0.9  # assumption: the paper does not state it"
    assert (
        momentum_settings(MOMENTUM_YAML.replace("momentum: 0.9  # Section 3.1 (verified)", assumed))
        == []
    )
    # vgg's step, asked again told of its momentum, came back as plain descent (papers-52)
    branched = DROPOUT_MODEL.replace(
        "            self.params[name] = self.params[name] - self.learning_rate * grad\n",
        "            if name.startswith('w'):\n"
        "                self.params[name] -= self.learning_rate * grads[name]\n"
        "            else:\n"
        "                self.params[name] = self.params[name] - 0.5 * grads[name]\n",
    )
    mended, added = momentum_added(branched, ["momentum"])
    assert added == ["momentum"]
    assert (
        "            if name.startswith('w'):\n"
        "                self.velocity[name] = self.momentum * self.velocity.get(name, 0.0)"
        " + grads[name]\n"
        "                self.params[name] -= self.learning_rate * self.velocity[name]\n"
        "            else:\n"
        "                self.velocity[name] = self.momentum * self.velocity.get(name, 0.0)"
        " + grads[name]\n"
        "                self.params[name] = self.params[name] - 0.5 * self.velocity[name]\n"
    ) in mended
    # the velocity started as a dict and the momentum kept on self, as the mends after do
    mended, started = state_by_array(mended)
    mended, kept = settings_from_params(mended, ["momentum", "hidden_units", "learning_rate"])
    assert started == ["velocity"] and kept == ["momentum"]
    # and so the pipeline's mends leave it, given the paper's momentum
    from papercoder.pipeline import Builder

    names = ["hidden_units", "learning_rate", "momentum", "dropout_rate"]
    piped = branched
    for mend, _, _ in Builder.mends(names, {}, MOMENTUM_YAML, adds=True):
        piped, _ = mend(piped)
    assert sorted(piped.splitlines()) == sorted(mended.splitlines())  # (in another order)
    _tool_files(tmp_path, MOMENTUM_YAML)
    (tmp_path / "model.py").write_text(mended, "utf-8")
    tests = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "6 passed" in tests.stdout, tests.stdout
    script = (
        "from model import Model; from data import make_data, N_CLASSES;"
        " from settings import load_settings; x, t = make_data();"
        " m = Model(load_settings(), x.shape[1], N_CLASSES); m.step(x, t); g = m.velocity['w1'];"
        " m.step(x, t); print(m.momentum, sorted(m.velocity), bool((m.velocity['w1'] != g).any()))"
    )
    assert run_in(tmp_path, "-c", script).stdout == "0.9 ['w1', 'w2', 'w3'] True\n"
    # written out by name, too
    named = DROPOUT_MODEL.replace(
        "        for name, grad in grads.items():\n"
        "            self.params[name] = self.params[name] - self.learning_rate * grad\n",
        '        self.params["w1"] -= self.learning_rate * grads["w1"]\n',
    )
    assert (
        '        self.velocity["w1"] = self.momentum * self.velocity.get("w1", 0.0) + grads["w1"]\n'
        '        self.params["w1"] -= self.learning_rate * self.velocity["w1"]\n'
    ) in momentum_added(named, ["momentum"])[0]
    # nothing where a method reads the momentum, step keeps state by array of its own
    # (Adam's moments), reads the gradients where the key is not a loop's (a comprehension),
    # or by another name (DROPOUT_MODEL's `grad`), or there is no step or no such setting
    reads = branched.replace("- 0.5 *", "- self.momentum *")
    adam = branched.replace("self.learning_rate * grads[name]", "self.m[name]")
    comprehension = DROPOUT_MODEL.replace(
        "        for name, grad in grads.items():\n"
        "            self.params[name] = self.params[name] - self.learning_rate * grad\n",
        "        self.params = {k: v - grads[k] for k, v in self.params.items()}\n",
    )
    for code in (reads, adam, comprehension, DROPOUT_MODEL, "x = 1\n", "def f(:\n"):
        assert momentum_added(code, ["momentum"]) == (code, [])
    assert momentum_added(branched, []) == (branched, [])


def _tool_files(root: Path, config: str) -> None:
    """The contract's files that are the tool's, and `config` as config.yaml, in `root`."""
    for path in contract.WRITTEN_BY_TOOL:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(contract.skeleton(path, "A paper"), "utf-8")
    (root / "config.yaml").write_text(config, "utf-8")


def test_the_dropout_rate_the_paper_states_is_one_a_number_between_0_and_1() -> None:
    from papercoder.agents.contract import dropout_settings

    # (the assumption is the planner's, not the paper's; 2.0 is no rate)
    assert dropout_settings(GCN_LIKE) == ["dropout_rate"]
    assert dropout_settings("a: [") == []


def test_the_dropout_no_method_applies_is_added_after_predicts_hidden_activations(
    tmp_path: Path,
) -> None:
    from papercoder.agents.contract import dropout_added, settings_from_params

    mended, added = dropout_added(DROPOUT_MODEL, ["dropout_rate"])
    assert added == ["dropout_rate"]
    assert "from ops import cross_entropy, dropout, relu, sigmoid\n" in mended
    # each hidden layer's output, the outer call of two; not the output returned
    assert '        hidden = dropout(relu(inputs @ self.params["w1"]), self.dropout_rate, 1)\n' in (
        mended
    )
    assert (
        '        hidden = dropout(sigmoid(relu(hidden @ self.params["w2"])), self.dropout_rate, 2)'
        in mended
    )
    assert '        return relu(hidden @ self.params["w3"])\n' in mended
    # __init__ keeps the rate on self, as for any setting read from self unset
    mended, kept = settings_from_params(mended, ["dropout_rate", "hidden_units", "learning_rate"])
    assert kept == ["dropout_rate"]
    # and the tool's tests and smoke run pass it: dropout off while evaluating
    _tool_files(tmp_path, GCN_LIKE)
    (tmp_path / "model.py").write_text(mended, "utf-8")
    tests = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "6 passed" in tests.stdout, tests.stdout
    assert run_in(tmp_path, "main.py", "--smoke").returncode == 0
    count = "p = {'w': np.ones(2)}; [gradients(lambda: float(p['w'].sum()), p) for _ in 'ab']"
    script = f"import numpy as np, ops; from gradients import gradients; {count}; print(ops.STEP)"
    assert run_in(tmp_path, "-c", script).stdout == "[2]\n"  # a step at each call: new masks
    # nothing when a method reads the rate or calls dropout already, or nothing is hidden
    assert dropout_added(mended, ["dropout_rate"]) == (mended, [])
    own = DROPOUT_MODEL.replace("return relu(", "return dropout(hidden, 0.1) @ relu(")
    assert dropout_added(own, ["dropout_rate"]) == (own, [])
    flat = DROPOUT_MODEL.replace("relu(inputs", "(inputs").replace("sigmoid(relu(h", "((h")
    assert dropout_added(flat, ["dropout_rate"]) == (flat, [])
    assert dropout_added(DROPOUT_MODEL, []) == (DROPOUT_MODEL, [])
    # the Transformer's feed-forward, max(0, xW_1 + b_1): np.maximum of 0 and a value
    ffn = DROPOUT_MODEL.replace("relu(inputs @", "np.maximum(0, inputs @").replace(
        'self.params["w1"])', 'self.params["w1"] + 0)'
    )
    mended, _ = dropout_added(ffn, ["dropout_rate"])
    assert "dropout(np.maximum(0, inputs @ self.params['w1'] + 0), self.dropout_rate, 1)" in (
        mended.replace('"', "'")
    )
    other = ffn.replace("np.maximum(0,", "np.maximum(0.5,")
    assert "dropout(np.maximum" not in dropout_added(other, ["dropout_rate"])[0]
    # an import of its own where ops is imported under other names
    aliased = DROPOUT_MODEL.replace("sigmoid\n", "sigmoid as s\n").replace("= sigmoid(", "= s(")
    mended, _ = dropout_added(aliased, ["dropout_rate"])
    assert "from ops import cross_entropy, relu, sigmoid as s\nfrom ops import dropout\n" in mended


def test_dropout_draws_a_mask_by_step_and_passes_through_while_evaluating(
    tmp_path: Path,
) -> None:
    ops = _tool_module(tmp_path, contract.OPS)
    x = np.ones((50, 40))
    first = ops.dropout(x, 0.5, 1)
    assert np.array_equal(first, ops.dropout(x, 0.5, 1))  # the same within a step
    assert set(np.unique(first)) == {0.0, 2.0}  # kept ones scaled by 1 / (1 - rate)
    assert 0.4 < np.mean(first == 0) < 0.6
    assert not np.array_equal(first, ops.dropout(x, 0.5, 2))  # a place of its own
    ops.STEP[0] += 1  # (gradients() counts a step)
    assert not np.array_equal(first, ops.dropout(x, 0.5, 1))  # anew at the next step
    with ops.evaluating():
        assert np.array_equal(ops.dropout(x, 0.5, 1), x)
    assert np.array_equal(ops.dropout(x, 0.0, 1), x)
    assert not np.array_equal(ops.dropout(x, 0.5, 1), x)  # training again after it


def test_a_name_nothing_defines_spelled_as_an_array_is_read_from_the_params() -> None:
    from papercoder.agents.contract import arrays_read_by_name

    code = (
        "class Model:\n"
        "    def __init__(self, config, n_features, n_classes):\n"
        "        self.params = {'w0': 1.0, 'w_1': 2.0, 'b': 3.0, 'B': 4.0}\n"
        "    def predict(self, inputs):\n"
        '        """The output."""\n'
        "        W0 = self.params['w0']\n"
        "        return relu(inputs @ W0) @ W1 + W_0 + b_\n"
        "    def loss(self, inputs, targets):\n"
        "        return float(np.sum(W1)) + B\n"
    )
    mended, done = arrays_read_by_name(code)
    # (b_ and B might be "b" or "B": left alone)
    assert done == ["predict's W1", "predict's W_0", "loss's W1"]
    assert mended == code.replace(
        '"""The output."""\n',
        '"""The output."""\n        W1 = self.params["w_1"]\n        W_0 = self.params["w0"]\n',
    ).replace(
        "    def loss(self, inputs, targets):\n",
        '    def loss(self, inputs, targets):\n        W1 = self.params["w_1"]\n',
    )
    assert arrays_read_by_name(mended) == (mended, [])
    assert arrays_read_by_name("def (:\n") == ("def (:\n", [])


def test_the_contract_tests_fail_scores_that_are_not_one_per_class(tmp_path: Path) -> None:
    """resnet's predict (papers-49) returned inputs @ w1, 16 wide, and its loss took the
    cross-entropy of that for labels of 3 classes: the five other tests passed."""
    _tool_files(tmp_path, GCN_LIKE)
    wide = DROPOUT_MODEL.replace("size=(h, n_classes)", "size=(h, h)")
    for model, failing in (
        (wide, ["test_the_scores_the_loss_judges_are_one_per_class"]),
        (DROPOUT_MODEL, []),
    ):
        (tmp_path / "model.py").write_text(model, "utf-8")
        tests = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
        failed = [line for line in tests.stdout.splitlines() if line.startswith("FAILED")]
        assert [line.split("::")[1].split(" ")[0] for line in failed] == failing, tests.stdout


DEPTH_CONFIG = """\
# Hyperparameters of the paper; `assumption` marks values the paper leaves open.
paper:
  num_layers: 34  # Section 3.3 (stated there; the plan left it out)
training:
  learning_rate: 0.1  # Section 4.2 (verified)
  epochs: 3  # assumption: the paper does not state it
"""
DEPTH_MODEL = '''"""The method of "A paper"."""

from typing import Any

import numpy as np

from gradients import gradients
from ops import cross_entropy, relu, softmax


class Model:
    def __init__(self, config: dict[str, Any], n_features: int, n_classes: int) -> None:
        self.learning_rate = config["training"]["learning_rate"]
        self.params = {
            "w1": np.random.default_rng(0).normal(0.0, 0.5, size=(n_features, 16)),
            "w2": np.random.default_rng(1).normal(0.0, 0.5, size=(16, n_classes)),
        }

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        hidden = relu(inputs @ self.params["w1"])
        return softmax(hidden @ self.params["w2"])

    def loss(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        return cross_entropy(self.predict(inputs), targets)

    def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        grads = gradients(lambda: self.loss(inputs, targets), self.params)
        for name in self.params:
            self.params[name] -= self.learning_rate * grads[name]
'''


LINEAR = (
    '        hidden = relu(inputs @ self.params["w1"])\n        return softmax(hidden @',
    '        return softmax(inputs @ self.params["w1"] @',
)


@pytest.mark.parametrize(
    ("model", "stacked"),
    [
        (DEPTH_MODEL, '        hidden = relu(inputs @ self.params["w1"])\n'),
        # resnet's (papers-49): no hidden activation; the layers go before the readout
        (DEPTH_MODEL.replace(*LINEAR), '        hidden = inputs @ self.params["w1"]\n'),
    ],
    ids=["hidden", "linear"],
)
def test_the_depth_no_method_reads_stacks_predicts_hidden_layer(
    tmp_path: Path, model: str, stacked: str
) -> None:
    """resnet (papers-49): green, with one hidden layer and the paper's 34 layers read by
    nothing. The tool's mends, in the pipeline's order, stack the model's own hidden layer
    to the depth (capped at 4), started near half the identity, and keep the setting on
    self; the tool's tests pass it."""
    from papercoder.agents.contract import depth_added, depth_settings
    from papercoder.fidelity import unread_settings
    from papercoder.pipeline import Builder

    assert depth_settings(DEPTH_CONFIG) == ["num_layers"]
    assert depth_settings(DEPTH_CONFIG.replace("Section 3.3 (stated", "assumption (")) == []
    assert unread_settings(DEPTH_CONFIG, [model]) == ["num_layers"]
    names, sizes = contract.setting_names(DEPTH_CONFIG), contract.paper_sizes(DEPTH_CONFIG)
    code = model
    for mend, _, _ in Builder.mends(names, sizes, DEPTH_CONFIG, adds=True):
        code, _ = mend(code)
    assert unread_settings(DEPTH_CONFIG, [code]) == []
    assert (
        stacked + "        for layer in range(2, min(self.num_layers, 4) + 1):  # the paper's"
        " depth\n"
        '            hidden = relu(hidden @ self.params[f"hidden{layer}"])\n'
        '        return softmax(hidden @ self.params["w2"])\n'
    ) in code
    assert (
        '        self.num_layers = min(config["num_layers"], 4)\n'
        "        for layer in range(2, min(self.num_layers, 4) + 1):  # the paper's depth"
        " (num_layers)\n"
        '            self.params[f"hidden{layer}"] = 0.5 * np.eye(16) +'
        " np.random.default_rng(layer).normal(0.0, 0.01, (16, 16))\n"
    ) in code
    _tool_files(tmp_path, DEPTH_CONFIG)
    (tmp_path / "model.py").write_text(code, "utf-8")
    shown = "import yaml, model; from settings import load_settings; "
    shown += "m = model.Model(load_settings(), 8, 3); print(sorted(m.params))"
    assert run_in(tmp_path, "-c", shown).stdout == "['hidden2', 'hidden3', 'hidden4', 'w1', 'w2']\n"
    tests = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "6 passed" in tests.stdout, tests.stdout
    assert run_in(tmp_path, "main.py", "--smoke").returncode == 0
    # nothing where a method reads the depth, nothing is hidden, or no depth is stated
    looped = code.replace("min(self.num_layers, 4)", "self.num_layers")
    assert depth_added(looped, ["num_layers"], DEPTH_CONFIG) == (looped, [])
    unknown = model.replace("size=(n_features, 16)", "size=(n_features, self.width)")
    assert depth_added(unknown, ["num_layers"], DEPTH_CONFIG) == (unknown, [])
    assert depth_added(model, [], DEPTH_CONFIG) == (model, [])


LOOP_MODEL = DEPTH_MODEL.replace(
    '        hidden = relu(inputs @ self.params["w1"])\n'
    '        return softmax(hidden @ self.params["w2"])\n',
    "        rows = []\n"
    "        for i in range(len(inputs)):  # one sample at a time\n"
    '            rows.append(inputs[i] @ self.params["w1"])\n'
    "        return np.array(rows)\n",
).replace(
    '            "w2": np.random.default_rng(1).normal(0.0, 0.5, size=(16, n_classes)),\n', ""
)


def test_scores_of_another_width_seen_by_the_tests_are_read_out_without_the_model(
    tmp_path: Path,
) -> None:
    """seq2seq (papers-56): predict looped over the samples, so the tool could not follow
    its shapes and made no readout; the tests saw scores 16 wide, and the 1.5B model, shown
    the loss, sent it back as it was. The width the test names is enough for the tool."""
    from papercoder.agents.repairer import RepairRequest, repair
    from papercoder.verify.diagnostics import parse_junit
    from papercoder.verify.report import CheckResult, VerifyReport
    from tests.repair.test_formats import Queue

    assert contract.readout_added(LOOP_MODEL, DEPTH_CONFIG) == (LOOP_MODEL, [])
    _tool_files(tmp_path, DEPTH_CONFIG)
    (tmp_path / "model.py").write_text(LOOP_MODEL, "utf-8")
    junit = tmp_path / "junit.xml"
    tests = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}")
    assert "(32, 16) for labels of 3 classes" in tests.stdout
    diagnostics = parse_junit(junit.read_text("utf-8"), tmp_path)
    report = VerifyReport(
        repo=str(tmp_path),
        checks=[CheckResult(name="tests", status="fail", diagnostics=diagnostics)],
    )
    files = {p: (tmp_path / p).read_text("utf-8") for p in (*contract.FILES, "config.yaml")}
    outcome = repair(Queue(), RepairRequest(report=report, files=files), lambda _: False)
    assert outcome.formats == ["autofix"]  # no model asked
    fixed = outcome.result.files["model.py"]
    assert '        return np.array(rows) @ self.params["readout"]\n' in fixed
    (tmp_path / "model.py").write_text(fixed, "utf-8")
    tests = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "6 passed" in tests.stdout, tests.stdout
    # where the loss scores something else than predict's output, nothing
    own = LOOP_MODEL.replace("cross_entropy(self.predict(inputs)", "cross_entropy(inputs")
    assert contract.readout_for(own, 16) == (own, [])


INIT_CONFIG = """\
# Hyperparameters of the paper; `assumption` marks values the paper leaves open.
paper:
  init_range: 0.08  # Section 3.4 (stated there; the plan left it out)
training:
  learning_rate: 0.7  # Section 3.4 (verified)
"""
CHAIN_MODEL = '''"""The method of "A paper"."""

from typing import Any

import numpy as np

from gradients import gradients
from ops import cross_entropy


class Model:
    def __init__(self, config: dict[str, Any], n_features: int, n_classes: int) -> None:
        """The arrays."""
        self.learning_rate = config["training"]["learning_rate"]
        self.params = {
            "w1": np.random.default_rng(0).normal(0.0, 1.0, size=(n_features, 16)),
            "w2": np.random.default_rng(0).normal(0.0, 1.0, size=(16, 2)),
            "w3": 0.9 * np.random.randn(2, 16),
        }
        self.params["readout"] = np.random.default_rng(1).normal(0.0, 0.5, size=(16, n_classes))

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        chain = inputs @ self.params["w1"] @ self.params["w2"] @ self.params["w3"]
        return chain @ self.params["readout"]

    def loss(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        return cross_entropy(self.predict(inputs), targets)

    def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        grads = gradients(lambda: self.loss(inputs, targets), self.params)
        for name in self.params:
            self.params[name] -= self.learning_rate * grads[name]
'''


def test_the_initialisation_the_paper_states_draws_the_weights(tmp_path: Path) -> None:
    """seq2seq (papers-60): the 1.5B model drew its chain's weights from a normal of 1.0, and
    at the paper's learning rate of 0.7 its loss grew to inf; Section 3.4 draws every
    parameter uniform in ±0.08 (carried as init_range). The tool's mends draw each array
    so, of its shape and from its generator, and the tool's tests pass what failed."""
    from papercoder.agents.contract import init_added, init_settings
    from papercoder.fidelity import unread_settings
    from papercoder.pipeline import Builder

    assert init_settings(INIT_CONFIG) == ["init_range"]
    assert init_settings(INIT_CONFIG.replace("Section 3.4 (stated", "assumption (")) == []
    _tool_files(tmp_path, INIT_CONFIG)
    (tmp_path / "model.py").write_text(CHAIN_MODEL, "utf-8")
    before = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert "1 failed, 5 passed" in before.stdout, before.stdout  # training does not lower it
    names, sizes = contract.setting_names(INIT_CONFIG), contract.paper_sizes(INIT_CONFIG)
    code = CHAIN_MODEL
    for mend, _, _ in Builder.mends(names, sizes, INIT_CONFIG, adds=True):
        code, _ = mend(code)
    assert unread_settings(INIT_CONFIG, [code]) == []
    assert (
        '        """The arrays."""\n'
        '        self.init_range = config["init_range"]  # the paper\'s\n'
        '        self.learning_rate = config["training"]["learning_rate"]\n'
        "        self.params = {\n"
        '            "w1": np.random.default_rng(0).uniform(-self.init_range, self.init_range,'
        " size=(n_features, 16)),\n"
        '            "w2": np.random.default_rng(0).uniform(-self.init_range, self.init_range,'
        " size=(16, 2)),\n"
        '            "w3": np.random.uniform(-self.init_range, self.init_range, size=(2, 16)),\n'
    ) in code
    (tmp_path / "model.py").write_text(code, "utf-8")
    after = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert after.returncode == 0 and "6 passed" in after.stdout, after.stdout
    assert init_added(code, ["init_range"]) == (code, [])  # read now: once
    variance = init_added(CHAIN_MODEL, ["init_variance"])[0]
    assert "np.random.default_rng(0).normal(0.0, np.sqrt(self.init_variance), size=(16, 2))" in (
        variance
    )
    assert init_added(CHAIN_MODEL, []) == (CHAIN_MODEL, [])
    divided = CHAIN_MODEL.replace("0.9 * np.random.randn(2, 16)", "np.random.randn(2, 16) / 2")
    assert (
        "np.random.uniform(-self.init_range, self.init_range, size=(2, 16)),"
        in (init_added(divided, ["init_range"])[0])
    )
    kept = CHAIN_MODEL.replace("0.9 * np.random", 'self.params["w1"][:2] * np.random')
    assert 'self.params["w1"][:2] * np.random.uniform(' in init_added(kept, ["init_range"])[0]


def test_a_sum_of_a_matrix_that_fits_as_a_product_is_taken_as_one() -> None:
    from papercoder.agents.contract import misshapen, sums_as_products

    config = "model:\n  hidden_units: 1000\n"
    w1 = "self.params['w1']"
    square = MISSHAPEN_INIT.replace("'b1': np.zeros(h)", "'w3': np.zeros((h, h))")
    # resnet's predict, asked again for its misfit (papers-59): w3 a (16, 16) matrix
    code = f"{square}        return relu(np.dot(inputs, {w1}) + self.params['w3'])\n"
    assert misshapen(code, config) != []
    mended, done = sums_as_products(code, config)
    assert done == [
        f"np.dot(inputs, {w1}) + self.params['w3'] as np.dot(inputs, {w1}) @ self.params['w3']"
    ]
    grouped = code.replace("np.dot(inputs, self.params['w1'])", "(inputs - 1) @ self.params['w1']")
    assert (
        "relu((inputs - 1) @ self.params['w1'] @ self.params['w3'])"
        in (sums_as_products(grouped, config)[0])
    )
    summed = code.replace("np.dot(inputs, self.params['w1'])", "inputs @ self.params['w1'] - 1")
    assert (
        "relu((inputs @ self.params['w1'] - 1) @ self.params['w3'])"
        in (sums_as_products(summed, config)[0])
    )
    assert mended.endswith(f"        return relu(np.dot(inputs, {w1}) @ self.params['w3'])\n")
    assert misshapen(mended, config) == []
    times = f"{square}        h = inputs @ {w1} * self.params['w3']\n        return h\n"
    assert (
        "        h = inputs @ self.params['w1'] @ self.params['w3']\n"
        in (sums_as_products(times, config)[0])
    )
    # a bias of one row broadcasts: left alone; a matrix that does not meet: misshapen's
    bias = f"{MISSHAPEN_INIT}        return relu(inputs @ {w1} + self.params['b1'])\n"
    assert sums_as_products(bias, config) == (bias, [])
    wrong = f"{square}        return inputs + self.params['w3']\n"
    assert sums_as_products(wrong, config) == (wrong, [])
    assert sums_as_products("def (:\n", config) == ("def (:\n", [])


RESNET_CONFIG = """\
# Hyperparameters of the paper; `assumption` marks values the paper leaves open.
paper:
  num_layers: 34  # Section 3.3 (stated there; the plan left it out)
  weight_decay: 0.0001  # Section 3.4 (stated there; the plan left it out)
smoke:
  image_size: 224  # assumption: the paper does not state it
training:
  learning_rate: 0.1  # Section 4.2 (verified; the plan cited 'Algorithm 1')
  momentum: 0.9  # Section 3.4 (verified; the plan cited 'Algorithm 1')
"""
RESNET_MODEL = '''"""The method of "Deep Residual Learning for Image Recognition"."""

from typing import Any

import numpy as np

from gradients import gradients
from ops import cross_entropy, relu


class Model:
    def __init__(self, config: dict[str, Any], n_features: int, n_classes: int) -> None:
        self.learning_rate = config['learning_rate']
        width = min(config["smoke"]["image_size"], 16)
        self.params = {
            "w1": np.random.default_rng(0).normal(0.0, 2.0, size=(n_features, width)),
            "w2": np.random.default_rng(0).normal(0.0, 2.0, size=(width, width)),
        }

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        return relu(np.dot(inputs, self.params["w1"]) + self.params["w2"])

    def loss(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        return cross_entropy(self.predict(inputs), targets)

    def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        grads = gradients(lambda: self.loss(inputs, targets), self.params)
        for name, param in self.params.items():
            self.params[name] -= self.learning_rate * grads[name]
'''


def test_resnets_code_from_papers_59_passes_the_tools_tests_reading_every_setting(
    tmp_path: Path,
) -> None:
    """resnet (papers-59), as the model wrote it: `w1 + w2` of (32, 16) and (16, 16), arrays
    drawn at 2.0, and the paper's depth, momentum and weight decay read by nothing. The
    repair was shown the misfit eight times and sent it back as it was. The tool's mends
    take the sum as the product it fits as, draw the arrays at He's scale (at 2.0, the
    paper's learning rate and momentum grew the loss to 761,552), read the scores out, and
    add the paper's settings; the tool's tests and the smoke run pass, all read."""
    from papercoder.agents.contract import wide_draws_narrowed
    from papercoder.fidelity import unread_settings
    from papercoder.pipeline import Builder

    names, sizes = contract.setting_names(RESNET_CONFIG), contract.paper_sizes(RESNET_CONFIG)

    def mended(without: str = "") -> str:
        code = RESNET_MODEL
        for mend, fix, _ in Builder.mends(names, sizes, RESNET_CONFIG, adds=True):
            if not without or without not in fix:
                code, _ = mend(code)
        return code

    code = mended()
    assert unread_settings(RESNET_CONFIG, [code]) == []
    assert 'np.dot(inputs, self.params["w1"]) @ self.params["w2"]' in code
    assert "normal(0.0, np.sqrt(2.0 / n_features), size=(n_features," in code
    _tool_files(tmp_path, RESNET_CONFIG)
    (tmp_path / "model.py").write_text(code, "utf-8")
    tests = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "6 passed" in tests.stdout, tests.stdout
    assert run_in(tmp_path, "main.py", "--smoke").returncode == 0
    (tmp_path / "model.py").write_text(mended(without="He's scale"), "utf-8")
    wide = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert "1 failed, 5 passed" in wide.stdout, wide.stdout  # training grows the loss
    narrow = RESNET_MODEL.replace("normal(0.0, 2.0,", "normal(0.0, 1.0,")
    assert wide_draws_narrowed(narrow) == (narrow, [])
    assert wide_draws_narrowed("def (:\n") == ("def (:\n", [])


GCN_CONFIG = """\
# Hyperparameters of the paper; `assumption` marks values the paper leaves open.
training:
  learning_rate: 0.1  # Section 5.2 (verified)
  hidden_units: 16  # Section 6.1 (verified)
"""
GCN_MODEL = '''"""The method of "A paper"."""

from typing import Any

import numpy as np

from gradients import gradients
from ops import cross_entropy, relu


class Model:
    def __init__(self, config: dict[str, Any], n_features: int, n_classes: int) -> None:
        self.learning_rate = config["learning_rate"]
        width = min(config["hidden_units"], 16)
        self.params = {
            "w0": np.random.default_rng(0).normal(0.0, 0.5, size=(n_features, width)),
            "w1": np.random.default_rng(1).normal(0.0, 0.5, size=(width, n_classes)),
        }

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        x = inputs
        A = np.eye(x.shape[0]) + np.diag(np.ones(x.shape[0]))
        W0 = self.params["w0"]
        W1 = self.params["w1"]
        A_hat = np.dot(A, W0)
        return np.dot(relu(A_hat), W1)

    def loss(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        return cross_entropy(self.predict(inputs), targets)

    def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        grads = gradients(lambda: self.loss(inputs, targets), self.params)
        for name in self.params:
            self.params[name] -= self.learning_rate * grads[name]
'''
GCN_REPLY = """```python
    def predict(self, inputs: np.ndarray) -> np.ndarray:
        w0 = self.params["w0"]  # (8, 16)
        w1 = self.params["w1"]  # (16, 3)
        A = np.eye(inputs.shape[0])
        return A @ relu(A @ inputs @ w0) @ w1
```
"""


def test_a_repair_of_predicts_misfit_asks_for_its_body_anew_from_its_arrays(
    tmp_path: Path,
) -> None:
    """gcn (papers-64): predict took np.dot(A, W0) of its adjacency (32, 32) and W0 (8, 16);
    shown the function with the failing line marked, the 1.5B model sent it back as it was,
    reply after reply. Where the tool's shapes find the misfit, the repair shows predict cut
    to the arrays it reads, each with its shape, and the chain they allow, and asks for the
    rest: the broken lines are not there to copy."""
    from papercoder.agents.repairer import RepairRequest, misshapen_afresh, repair
    from papercoder.repair.scope import find_scope
    from papercoder.verify.diagnostics import parse_junit
    from papercoder.verify.report import CheckResult, VerifyReport
    from tests.repair.test_formats import Queue

    _tool_files(tmp_path, GCN_CONFIG)
    (tmp_path / "model.py").write_text(GCN_MODEL, "utf-8")
    junit = tmp_path / "junit.xml"
    tests = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}")
    assert "6 failed" in tests.stdout, tests.stdout
    report = VerifyReport(
        repo=str(tmp_path),
        checks=[
            CheckResult(
                name="tests",
                status="fail",
                diagnostics=parse_junit(junit.read_text("utf-8"), tmp_path),
            )
        ],
    )
    files = {p: (tmp_path / p).read_text("utf-8") for p in (*contract.FILES, "config.yaml")}
    model = Queue(GCN_REPLY)
    request = RepairRequest(report=report, files=files, edit_format="whole")
    outcome = repair(model, request, lambda _: False)
    asked = model.asked[0].messages[-1].content
    assert "        A_hat = np.dot(A, W0)\n" not in asked  # the broken body is not shown
    assert '        w0 = self.params["w0"]  # (8, 16)\n' in asked
    assert "# inputs (n_samples, 8) @ w0 -> (n_samples, 16) @ w1 -> the scores" in asked
    assert "- [contract] model.py: `predict` computes np.dot(A, W0): (n_samples, n_samples) by" in (
        asked
    )
    assert "dimensions swapped" not in asked  # the hint of the line no longer shown
    assert "Write the rest of `predict` after the lines shown" in asked
    fixed = outcome.result.files["model.py"]
    assert "        return A @ relu(A @ inputs @ w0) @ w1\n" in fixed
    assert "    def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:\n" in fixed
    (tmp_path / "model.py").write_text(fixed, "utf-8")
    tests = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "6 passed" in tests.stdout, tests.stdout
    # a failure elsewhere, or a predict whose shapes fit, is asked as it was
    scope = find_scope(report, files)
    assert scope is not None and scope.name == "predict"
    fitting = {**files, "model.py": fixed}
    assert misshapen_afresh(fitting, scope) is None
    assert misshapen_afresh(files, scope.model_copy(update={"path": "data.py"})) is None


SEQ2SEQ_CONFIG = """\
# Hyperparameters of the paper; `assumption` marks values the paper leaves open.
paper:
  init_range: 0.08  # Section 3.4 (stated there; the plan left it out)
smoke:
  layers: 2  # Section 1 (verified)
  vocabulary: 80  # Section 1 (verified)
training:
  cells: 1000  # Section 3.4 (verified)
  learning_rate: 0.7  # Section 3.4 (verified)
"""
SEQ2SEQ_MODEL = '''"""The method of "A paper"."""

from typing import Any

import numpy as np

from gradients import gradients
from ops import cross_entropy


class Model:
    def __init__(self, config: dict[str, Any], n_features: int, n_classes: int) -> None:
        """The arrays."""
        self.learning_rate = config["learning_rate"]
        self.params = {
            "w1": np.random.default_rng(0).normal(
                0.0, 1.0, size=(n_features, config["smoke"]["vocabulary"])
            ),
            "w2": np.random.default_rng(0).normal(
                0.0, 1.0, size=(config["smoke"]["vocabulary"], config["smoke"]["layers"])
            ),
            "w3": np.random.default_rng(0).normal(
                0.0, 1.0, size=(config["smoke"]["layers"], config["smoke"]["vocabulary"])
            ),
        }

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        rows = []
        for i in range(len(inputs)):  # one sample at a time
            hidden = np.dot(np.dot(inputs[i], self.params["w1"]), self.params["w2"])
            rows.append(np.dot(hidden, self.params["w3"]))
        return np.array(rows)

    def loss(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        return cross_entropy(self.predict(inputs), targets)

    def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
        grads = gradients(lambda: self.loss(inputs, targets), self.params)
        for name in self.params:
            self.params[name] -= self.learning_rate * grads[name]
'''


def test_seq2seqs_code_reads_the_papers_cells_and_initialisation_and_passes(
    tmp_path: Path,
) -> None:
    """seq2seq (papers-56, papers-60): the 1.5B model sized its hidden arrays by the
    vocabulary (80), read the LSTM's 1000 cells nowhere, drew from a normal of 1.0, and
    looped over the samples. The tool's mends size the arrays by the paper's cells and draw
    them as Section 3.4 says; the repair's readout, made at run time, is drawn so too; the
    tool's tests pass and every cited setting is read."""
    from papercoder.agents.contract import width_from_paper, width_settings
    from papercoder.fidelity import unread_settings
    from papercoder.pipeline import Builder

    assert width_settings(SEQ2SEQ_CONFIG) == ["cells"]
    assert unread_settings(SEQ2SEQ_CONFIG, [SEQ2SEQ_MODEL]) == ["init_range", "cells"]
    names, sizes = contract.setting_names(SEQ2SEQ_CONFIG), contract.paper_sizes(SEQ2SEQ_CONFIG)
    code = SEQ2SEQ_MODEL
    for adds in (False, True):
        for mend, _, _ in Builder.mends(names, sizes, SEQ2SEQ_CONFIG, adds=adds):
            code, _ = mend(code)
    assert unread_settings(SEQ2SEQ_CONFIG, [code]) == []
    assert 'size=(n_features, min(config["cells"], 16))' in code
    assert 'size=(min(config["cells"], 16), config["smoke"]["layers"])' in code
    code, what = contract.readout_for(code, 16)  # as the repair makes it, seeing 16 wide
    assert what == ["predict's output, 16 wide, to 3 by a readout (16, 3)"]
    assert (
        'self.params["readout"] = np.random.default_rng(1).uniform(-self.init_range,'
        " self.init_range, size=(16, n_classes))"
    ) in code
    _tool_files(tmp_path, SEQ2SEQ_CONFIG)
    (tmp_path / "model.py").write_text(code, "utf-8")
    tests = run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0 and "6 passed" in tests.stdout, tests.stdout
    # nothing where the width is read, no width is cited, or two sizes of data size it
    read = SEQ2SEQ_MODEL.replace(
        'config["learning_rate"]', 'config["learning_rate"] + config["cells"] * 0'
    )
    assert width_from_paper(read, ["cells"], SEQ2SEQ_CONFIG) == (read, [])
    assert width_from_paper(SEQ2SEQ_MODEL, [], SEQ2SEQ_CONFIG) == (SEQ2SEQ_MODEL, [])
    config = SEQ2SEQ_CONFIG.replace(
        "smoke:\n", "smoke:\n  image_size: 32  # Section 2 (verified)\n"
    )
    two = SEQ2SEQ_MODEL.replace(
        'size=(n_features, config["smoke"]["vocabulary"])',
        'size=(n_features, config["image_size"])',
    )
    assert width_from_paper(two, ["cells"], config) == (two, [])


def test_a_predict_calling_a_method_its_class_lacks_is_asked_for_afresh(tmp_path: Path) -> None:
    """resnet (papers-66): predict computed Equation 1 as `self.F(x, self.params["w1"]) +
    x`; asked for F alone, the 1.5B model answered `raise NotImplementedError`, and every
    check failed on the AttributeError. predict is asked for afresh at the code stage, and
    in the repair, from the arrays it reads and the chain their shapes allow."""
    from papercoder.agents.contract import calls_unmade
    from papercoder.agents.repairer import RepairRequest, repair
    from papercoder.verify.diagnostics import parse_junit
    from papercoder.verify.report import CheckResult, VerifyReport
    from tests.repair.test_formats import Queue

    body = '        return self.F(inputs, self.params["w0"]) @ self.params["w1"]\n'
    code = GCN_MODEL.replace(
        GCN_MODEL[GCN_MODEL.index("        x = inputs\n") : GCN_MODEL.index("\n    def loss")],
        body.rstrip("\n"),
    )
    [stub] = calls_unmade(code, GCN_CONFIG)
    assert stub.qualname == "Model.predict" and stub.afresh
    assert stub.why.startswith("calls self.F, which no method of Model defines")
    assert stub.shown.startswith('w0 = self.params["w0"]  # (8, 16)\n')
    helper = code.replace(
        "    def loss(", "    def F(self, x, w):\n        return x @ w\n\n    def loss("
    )
    assert calls_unmade(helper, GCN_CONFIG) == []
    assert calls_unmade(code.replace("class Model:", "class Model(Base):"), GCN_CONFIG) == []
    _tool_files(tmp_path, GCN_CONFIG)
    (tmp_path / "model.py").write_text(code, "utf-8")
    junit = tmp_path / "junit.xml"
    run_in(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}")
    diagnostics = parse_junit(junit.read_text("utf-8"), tmp_path)
    assert "no attribute 'F'" in diagnostics[0].message
    report = VerifyReport(
        repo=str(tmp_path),
        checks=[CheckResult(name="tests", status="fail", diagnostics=diagnostics)],
    )
    files = {p: (tmp_path / p).read_text("utf-8") for p in (*contract.FILES, "config.yaml")}
    model = Queue(GCN_REPLY)
    request = RepairRequest(report=report, files=files, edit_format="whole")
    outcome = repair(model, request, lambda _: False)
    asked = model.asked[0].messages[-1].content
    assert "self.F(" not in asked.split("## `predict`")[1].split("## Your reply")[0]
    assert (
        "- [contract] model.py: `predict` calls self.F, which no method of Model defines" in asked
    )
    assert "        return A @ relu(A @ inputs @ w0) @ w1\n" in outcome.result.files["model.py"]


def test_the_mends_leave_alone_what_only_looks_like_their_fault() -> None:
    """What review found: a callable kept on self is a member; a batch size read in
    __init__, or a data size another method reads, is no array's width; a draw already
    scaled down is not wide; a local read from self.params is a matrix a sum can mean."""
    from papercoder.agents.contract import (
        calls_unmade,
        sums_as_products,
        wide_draws_narrowed,
        width_from_paper,
    )

    kept = GCN_MODEL.replace(
        "        self.params = {", "        self.act = np.tanh\n        self.params = {"
    ).replace("        return np.dot(relu(A_hat), W1)", "        return self.act(A_hat) @ W1")
    assert calls_unmade(kept, GCN_CONFIG) == []
    batch = SEQ2SEQ_MODEL.replace(
        '        self.learning_rate = config["learning_rate"]\n',
        '        self.learning_rate = config["learning_rate"]\n'
        '        self.batch_size = config["batch_size"]\n',
    )
    config = SEQ2SEQ_CONFIG.replace("training:\n", "training:\n  batch_size: 128  # S (verified)\n")
    mended, what = width_from_paper(batch, ["cells"], config)
    assert what == ["cells (not vocabulary)"]
    assert 'self.batch_size = config["batch_size"]' in mended
    underscored = SEQ2SEQ_MODEL.replace('"vocabulary"', '"vocab_size"') + (
        "\n    def size(self) -> int:\n        return self.vocab_size\n"
    )
    config = SEQ2SEQ_CONFIG.replace("vocabulary: 80", "vocab_size: 80")
    assert width_from_paper(underscored, ["cells"], config) == (underscored, [])
    scaled = RESNET_MODEL.replace(
        "normal(0.0, 2.0, size=(n_features, width))",
        "normal(0.0, 2.0, size=(n_features, width)) * 0.01",
    )
    assert "normal(0.0, 2.0, size=(n_features, width)) * 0.01" in wide_draws_narrowed(scaled)[0]
    square = MISSHAPEN_INIT.replace("'b1': np.zeros(h)", "'w3': np.zeros((h, h))")
    local = (
        f"{square}        w3 = self.params['w3']\n        return inputs @ self.params['w1'] + w3\n"
    )
    assert sums_as_products(local, "model:\n  hidden_units: 1000\n")[0].endswith(
        "        return inputs @ self.params['w1'] @ w3\n"
    )
