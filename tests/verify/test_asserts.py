"""Asserts per test, counted statically: what can fail counts, what cannot does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from papercoder.verify.asserts import count_asserts

BASE = """\
import pytest
import numpy as np


def test_double():
    assert double(2) == 4
    assert double(0) == 0
"""


def counts(tmp_path: Path, body: str, name: str = "tests/test_model.py") -> dict[str, int]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return count_asserts(tmp_path)


def test_plain_asserts_count(tmp_path: Path) -> None:
    assert counts(tmp_path, BASE) == {"tests/test_model.py::test_double": 2}


@pytest.mark.parametrize(
    "body",
    [
        "    assert True\n    assert double(0) == 0\n",
        "    assert double(2) == 4 or True\n    assert double(0) == 0\n",
        "    return\n    assert double(2) == 4\n    assert double(0) == 0\n",
        "    pytest.skip('later')\n    assert double(2) == 4\n    assert double(0) == 0\n",
        "    skip('later')\n    assert double(2) == 4\n",
        "    raise unittest.SkipTest('later')\n    assert double(2) == 4\n",
        "    assert 1\n    assert 'yes'\n",
    ],
    ids=["assert-true", "or-true", "early-return", "pytest-skip", "bare-skip", "skiptest", "const"],
)
def test_tricks_lower_the_count(tmp_path: Path, body: str) -> None:
    found = counts(tmp_path, "def test_double():\n" + body)
    assert found["tests/test_model.py::test_double"] < 2


@pytest.mark.parametrize(
    "decorator",
    [
        "@pytest.mark.skip",
        "@pytest.mark.skipif(True, reason='x')",
        "@pytest.mark.xfail",
        "@unittest.skip('later')",
    ],
)
def test_a_skipped_test_counts_nothing(tmp_path: Path, decorator: str) -> None:
    body = BASE.replace("def test_double", f"{decorator}\ndef test_double")
    assert counts(tmp_path, body) == {"tests/test_model.py::test_double": 0}


def test_other_kinds_of_check_count(tmp_path: Path) -> None:
    body = (
        "import unittest\n\n\nclass TestModel(unittest.TestCase):\n"
        "    def test_a(self):\n        self.assertEqual(double(2), 4)\n"
        "        with self.assertRaises(ValueError):\n            double(None)\n\n\n"
        "def test_b():\n    with pytest.raises(ValueError):\n        double(None)\n"
        "    np.testing.assert_allclose(double(np.ones(2)), 2)\n"
        "    if np:\n        assert double(1) == 2\n    else:\n        return\n"
        "    for x in range(3):\n        assert double(x) == 2 * x\n"
    )
    assert counts(tmp_path, body) == {
        "tests/test_model.py::TestModel::test_a": 2,
        "tests/test_model.py::test_b": 4,
    }


def test_only_test_files_and_test_functions(tmp_path: Path) -> None:
    counts(tmp_path, "def test_x():\n    assert f()\n", "model.py")
    counts(tmp_path, "def helper():\n    assert f()\n\n\ndef test_y():\n    assert f()\n")
    counts(tmp_path, "def test_z():\n    assert f()\n", "pkg/model_test.py")
    counts(tmp_path, "def test_broken(:\n", "tests/test_broken.py")
    assert count_asserts(tmp_path) == {
        "pkg/model_test.py::test_z": 1,
        "tests/test_model.py::test_y": 1,
    }
