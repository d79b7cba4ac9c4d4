"""benchmarks/papers.py's check that a green proves something: its tests call the repository."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.conftest import REPO
from tests.sandbox.repos import write


def papers() -> ModuleType:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("papers", REPO / "benchmarks" / "papers.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(REPO / "benchmarks"))


def test_only_tests_that_assert_on_a_call_of_repository_code_count(tmp_path: Path) -> None:
    repo = write(
        tmp_path / "repo",
        {
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
        },
    )
    assert papers().tests_on_repo(repo) == "2/4"
    assert papers().tests_on_repo(tmp_path / "missing") == "-"


def test_a_call_through_a_helper_of_the_test_file_counts(tmp_path: Path) -> None:
    """The small profile's tests make the model in a helper (`model, x = fresh()`) and call
    its methods on the name they bound; a helper that calls nothing of ours does not count."""
    repo = write(
        tmp_path / "repo",
        {
            "model.py": "class Model:\n    def loss(self, x):\n        return x\n",
            "tests/test_model.py": "from model import Model\n\n\n"
            "def make():\n    return Model()\n\n\n"
            "def fresh():\n    return make(), 2\n\n\n"
            "def two():\n    return 2, 3\n\n\n"
            "def test_through_helpers():\n"
            "    model, x = fresh()\n    assert model.loss(x) == 2\n\n\n"
            "def test_not_ours():\n    a, b = two()\n    assert a.bit_length() == 2\n",
        },
    )
    assert papers().tests_on_repo(repo) == "1/2"


def test_settings_kept_on_self_and_never_used_are_named(tmp_path: Path) -> None:
    """adam's hollow green read beta1, beta2 and epsilon, kept them, and stepped by plain
    gradient descent: the benchmark names them."""
    model = tmp_path / "model.py"
    model.write_text(
        "class Model:\n"
        "    def __init__(self, config, n):\n"
        "        self.lr = config['lr']\n"
        "        self.beta1 = config['beta1']\n"
        "        self.hidden = config.get('hidden', 4)\n"
        "        self.params = {'w': [0.0] * self.hidden}\n"
        "        self.n = n\n"
        "    def step(self, grads):\n"
        "        self.params['w'] = [w - self.lr * g for w, g in zip(self.params['w'], grads)]\n",
        "utf-8",
    )
    assert papers().settings_unused(model) == ["beta1"]
    assert papers().settings_unused(tmp_path / "absent.py") == []
