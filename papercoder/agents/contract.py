"""The small profile's contract: one interface every small-model repository keeps.

A 1.5B model asked to design a repository and write it file by file writes files that do
not fit each other (`Model(synthetic_data)` against `Model(dimension, dropout, ...)`,
tests of methods nobody wrote, a `main.py` calling what `data.py` never defined), and no
repair budget puts five such files together. So in the small profile the tool fixes what the
model gets wrong and does not need to decide: the files, their interface, the entry point
and the tests. The model decides what the paper is about: the body of every function of the
interface (the data's synthetic stand-in, the method's parameters, its objective, its update
rule and its output), each asked for alone with the paper, the plan and the file around it.

The tests are the tool's, the same for every paper, and they judge the method, not its
shape: the data is seeded, tiny and finite; the objective is a finite number; a step
changes what the method outputs; and training lowers the objective. A green repository
therefore trains something that learns; what it learns is the model's reading of the paper.
"""

from __future__ import annotations

from papercoder.agents.plan import Architecture, ConfigPlan, FileLogic, FileSpec, LogicDesign

DATA, MODEL, MAIN = "data.py", "model.py", "main.py"
TEST_DATA, TEST_MODEL = "tests/test_data.py", "tests/test_model.py"
# empty and pinned: the tests import the repository's modules, and nothing patches them
TESTS_INIT, CONFTEST, TESTS_CONFTEST = "tests/__init__.py", "conftest.py", "tests/conftest.py"
WRITTEN_BY_MODEL = (DATA, MODEL)  # skeletons whose function bodies the model writes
WRITTEN_BY_TOOL = (MAIN, TEST_DATA, TEST_MODEL, TESTS_INIT, CONFTEST, TESTS_CONFTEST)
FILES = (*WRITTEN_BY_MODEL, *WRITTEN_BY_TOOL)
SMOKE = f"python {MAIN} --smoke"
REQUIREMENTS = ["numpy", "pyyaml"]


def architecture() -> Architecture:
    """The small profile's architecture: the contract's files, made by the tool."""
    return Architecture(
        implementation_approach=(
            "numpy on the CPU, no downloads. data.py makes a seeded synthetic stand-in for"
            " the paper's data at tiny sizes; model.py holds the method as one class, Model,"
            " with its parameters, its objective (loss), one update of its training rule"
            " (step) and its output (predict); main.py trains it on the synthetic data and"
            " prints the objective; the tests check that training lowers it."
        ),
        files=[
            FileSpec(path=DATA, purpose="make_data(config, n_samples, n_features): the data"),
            FileSpec(path=MODEL, purpose="class Model: the method, its loss, step and predict"),
            FileSpec(path=MAIN, purpose="the entry point: trains Model on make_data's data"),
            FileSpec(path=TEST_DATA, purpose="tests of make_data (written by PaperCoder)"),
            FileSpec(path=TEST_MODEL, purpose="tests of Model (written by PaperCoder)"),
        ],
        entry_point=MAIN,
        smoke_command=SMOKE,
    )


def logic() -> LogicDesign:
    """The small profile's logic design: the contract's names and dependencies."""
    return LogicDesign(
        files=[
            FileLogic(
                path=DATA,
                responsibilities=(
                    "make_data(config, n_samples=32, n_features=8) returns (inputs, targets):"
                    " a seeded synthetic stand-in for the paper's data at those sizes (inputs an"
                    " array, or a tuple of arrays such as features and an adjacency matrix;"
                    " targets None when the method"
                    " learns without labels)."
                ),
                functions=["make_data"],
            ),
            FileLogic(
                path=MODEL,
                responsibilities=(
                    "class Model(config, inputs, targets): the paper's method. __init__ sizes"
                    " the parameters from the data and reads the hyperparameters from"
                    " config.yaml; predict(inputs) is the method's output; loss(inputs,"
                    " targets) the paper's objective as a float; step(inputs, targets) one"
                    " update of the paper's training rule, returning the loss before it."
                ),
                depends_on=[DATA],
                classes=["Model"],
                functions=["__init__", "predict", "loss", "step"],
            ),
            FileLogic(
                path=MAIN,
                responsibilities="Reads config.yaml, makes the data, trains Model, prints losses.",
                depends_on=[DATA, MODEL],
                functions=["main"],
            ),
            FileLogic(
                path=TEST_DATA,
                responsibilities="Checks that make_data is seeded, tiny and finite.",
                depends_on=[DATA],
            ),
            FileLogic(
                path=TEST_MODEL,
                responsibilities="Checks that Model's loss is finite and training lowers it.",
                depends_on=[DATA, MODEL],
            ),
        ],
        task_order=list(FILES),
        requirements=list(REQUIREMENTS),
    )


def skeleton(path: str, title: str, config: ConfigPlan | None = None) -> str:
    """The text of a contract file: for data.py and model.py, signatures and docstrings whose
    bodies the model writes (naming how to read each of `config`'s settings, since a small
    model reads `config["learning_rate"]` from a config.yaml in sections); for the others,
    the whole file."""
    plain = " ".join(title.replace('"', "'").replace("\\", "/").split())  # safe in a docstring
    text = _TEXTS[path].replace("$title", plain or "the paper")
    # in the docstring of data.make_data and of model.Model: both at one indentation
    return text.replace("$settings", settings(config, "    ") if config else "")


def settings(config: ConfigPlan, indent: str) -> str:
    """How the code reads config.yaml's values, one line each: `config["training"]["lr"]`."""
    rows = []
    for entry in sorted(config.entries, key=lambda e: e.key):
        reads = "".join(f'["{part}"]' for part in entry.key.split("."))
        value = repr(entry.value).replace('"', "'").replace("\\", "/")
        rows.append(f"{indent}    config{reads}  ({value})")
    if not rows:
        return ""
    return f"\n\n{indent}Its settings:\n" + "\n".join(rows)


_CONFIG = """CONFIG_PATH = Path(__file__).resolve().parents[{up}] / "config.yaml"
CONFIG: dict[str, Any] = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
"""

# The tests check each result with an assert before they use it: a failing assert points the
# repair loop at the code under test, where an error raised in the test itself (float(None))
# would point it at this pinned file, which it may not change.
_HELPERS = '''

def arrays(value: Any) -> list[np.ndarray]:
    """The numeric arrays in `value`: an array, a number or a list of numbers, or tuples,
    lists and dicts of them; anything else (text, None) holds none."""
    if value is None or isinstance(value, str | bytes):
        return []
    if isinstance(value, dict):
        return [a for item in value.values() for a in arrays(item)]
    if isinstance(value, tuple):
        return [a for item in value for a in arrays(item)]
    try:
        return [np.asarray(value, dtype=float)]
    except (TypeError, ValueError):
        return [a for item in value for a in arrays(item)] if isinstance(value, list) else []


def data() -> tuple[Any, Any]:
    made = make_data(CONFIG)
    assert isinstance(made, tuple) and len(made) == 2, "make_data must return (inputs, targets)"
    return made
'''

_NUMBER = '''

def number(value: Any, what: str) -> float:
    """`value` as a float, asserting first that it is one number."""
    assert isinstance(value, int | float | np.number) or (
        isinstance(value, np.ndarray) and value.size == 1
    ), f"{what} must return one number, not {type(value).__name__}"
    return float(np.asarray(value).reshape(-1)[0])
'''

_DATA = '''"""The data of "$title": a seeded synthetic stand-in at tiny sizes.

No data file exists and nothing is downloaded: the arrays are random, with the shapes and
kinds of the paper's data, and sizes small enough for a smoke run in seconds.
"""

from typing import Any

import numpy as np


def make_data(
    config: dict[str, Any], n_samples: int = 32, n_features: int = 8
) -> tuple[Any, Any]:
    """Return (inputs, targets): a synthetic stand-in for the paper's data, of n_samples
    samples (or nodes, or sequences) of n_features numbers each: these sizes, not the
    sizes config.yaml gives for the real data.

    config is config.yaml as a dict. Use np.random.default_rng(0), so that two calls give
    the same arrays. inputs is an array, or a tuple of arrays (e.g. node features and an
    adjacency matrix); targets is an array with one entry per sample (labels or values to
    predict), or None when the method learns without labels.$settings
    """
'''

_MODEL = '''"""The method of "$title"."""

from typing import Any

import numpy as np


class Model:
    """The paper's method: its parameters, output, objective and update rule.$settings
    """

    def __init__(self, config: dict[str, Any], inputs: Any, targets: Any) -> None:
        """Set up the parameters of the method: their sizes from inputs and targets (as
        data.make_data returns them), their initial values small and random from
        np.random.default_rng(0), and every hyperparameter (learning rate, sizes,
        coefficients) from config, which is config.yaml as a dict (its settings: the
        class's docstring). Store each on self."""

    def predict(self, inputs: Any) -> Any:
        """The method's output for inputs as an array of numbers: scores, probabilities or
        an embedding (not labels picked by argmax). No randomness: the same parameters
        give the same output."""

    def loss(self, inputs: Any, targets: Any) -> float:
        """The paper's objective on inputs and targets, as a Python float (lower is
        better). No randomness and no change to the parameters: the same parameters give
        the same loss."""

    def step(self, inputs: Any, targets: Any) -> float:
        """One update of the paper's training rule: compute the gradients of loss on inputs
        and targets by hand with numpy and change the parameters on self as the paper says.
        Return the loss before the update (what self.loss gave), as a Python float."""
'''

_MAIN = (
    '''"""Entry point of "$title": trains model.Model on data.make_data's synthetic data.

`python main.py --smoke` runs a few steps in seconds; `python main.py --steps N` more.
"""

import argparse
from pathlib import Path
from typing import Any

import yaml

from data import make_data
from model import Model

'''
    + _CONFIG.format(up=0)
    + '''

def main(argv: list[str] | None = None) -> Any:
    """Train on the synthetic data and print the loss before, during and after; return the
    last. (Whether the loss is a finite number that training lowers, the tests judge.)"""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few steps, in seconds")
    parser.add_argument("--steps", type=int, default=None, help="how many updates")
    args = parser.parse_args(argv)
    steps = args.steps if args.steps is not None else (5 if args.smoke else 200)
    inputs, targets = make_data(CONFIG)
    model = Model(CONFIG, inputs, targets)
    print(f"loss before training: {model.loss(inputs, targets)}")
    for number in range(1, steps + 1):
        print(f"step {number}: loss {model.step(inputs, targets)}")
    last = model.loss(inputs, targets)
    print(f"loss after {steps} steps: {last}")
    return last


if __name__ == "__main__":
    main()
'''
)

_TEST_DATA = (
    '''"""Tests of data.make_data, written by PaperCoder: the same for every paper."""

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from data import make_data

'''
    + _CONFIG.format(up=1)
    + _HELPERS
    + """

def test_the_data_is_seeded() -> None:
    first, second = arrays(data()), arrays(data())
    assert first, "make_data must return arrays of numbers"
    assert len(first) == len(second)
    assert all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(first, second))


def test_the_data_is_tiny_and_finite() -> None:
    inputs, targets = data()
    found = arrays(inputs) + arrays(targets)
    assert arrays(inputs), "make_data's inputs must be arrays of numbers"
    assert all(a.size <= 100_000 for a in found), "the data must be tiny (see make_data)"
    assert all(np.isfinite(a).all() for a in found)


def test_each_sample_has_a_target() -> None:
    inputs, targets = data()
    if targets is None:
        return  # a method without labels
    given, wanted = arrays(inputs), arrays(targets)
    assert given and wanted, "inputs and targets must be arrays of numbers"
    assert given[0].ndim >= 1 and wanted[0].ndim >= 1, "inputs and targets must hold samples"
    assert len(wanted[0]) == len(given[0]), "one target per sample of inputs"
"""
)

_TEST_MODEL = (
    '''"""Tests of model.Model on data.make_data's data, written by PaperCoder: the same for
every paper. They judge the method by what it does: its objective is one finite number, the
same for the same parameters; a step returns it and changes the method's output; and
training lowers it."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from data import make_data
from model import Model

'''
    + _CONFIG.format(up=1)
    + "STEPS = 20\n"
    + _HELPERS
    + _NUMBER
    + """

def fresh() -> tuple[Model, Any, Any]:
    np.random.seed(0)
    inputs, targets = data()
    return Model(CONFIG, inputs, targets), inputs, targets


def test_the_loss_is_one_finite_number_the_same_each_time() -> None:
    model, inputs, targets = fresh()
    first = number(model.loss(inputs, targets), "Model.loss")
    assert np.isfinite(first)
    assert number(model.loss(inputs, targets), "Model.loss") == first


def test_the_predictions_are_finite_numbers() -> None:
    model, inputs, _ = fresh()
    found = arrays(model.predict(inputs))
    assert found, "Model.predict must return an array of numbers"
    assert all(np.isfinite(a).all() for a in found)


def test_a_step_returns_the_loss_and_changes_the_predictions() -> None:
    model, inputs, targets = fresh()
    before = [a.copy() for a in arrays(model.predict(inputs))]
    loss = number(model.loss(inputs, targets), "Model.loss")
    stepped = number(model.step(inputs, targets), "Model.step")
    assert stepped == pytest.approx(loss, rel=1e-6, abs=1e-9), "step returns the loss before it"
    after = arrays(model.predict(inputs))
    assert any(a.shape != b.shape or not np.allclose(a, b) for a, b in zip(before, after))


def test_training_lowers_the_loss() -> None:
    model, inputs, targets = fresh()
    first = number(model.loss(inputs, targets), "Model.loss")
    for _ in range(STEPS):
        model.step(inputs, targets)
    last = number(model.loss(inputs, targets), "Model.loss")
    assert np.isfinite(last)
    assert last < first
"""
)

_TEXTS = {
    DATA: _DATA,
    MODEL: _MODEL,
    MAIN: _MAIN,
    TEST_DATA: _TEST_DATA,
    TEST_MODEL: _TEST_MODEL,
    TESTS_INIT: "",
    CONFTEST: "",
    TESTS_CONFTEST: "",
}
