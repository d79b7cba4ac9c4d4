"""The repair guards, edit by edit: every trick in `tricks` is refused, honest fixes are not."""

from __future__ import annotations

import pytest

from papercoder.agents.repairer import apply_line_edits
from papercoder.repair.formats import LineEdit
from papercoder.repair.guards import edit_problem
from papercoder.repair.patch import Edit, apply_edits, parse_edits
from papercoder.verify.checks import pinned
from tests.repair.tricks import ALL, REPOS, TEST, TEST_FILE, Trick


@pytest.mark.parametrize("trick", ALL, ids=[t.name for t in ALL])
def test_every_trick_is_refused_with_its_reason(trick: Trick) -> None:
    files = REPOS[trick.repo]
    edits = parse_edits(trick.reply())
    assert [e.path for e in edits] == [trick.path], "the scripted reply parses as one edit"
    result = apply_edits(files, edits)
    assert result.applied == [], f"{trick.name} was applied"
    [rejection] = result.rejected
    assert trick.reason in rejection.reason
    assert result.files == files


def test_a_trick_spread_over_two_edits_is_still_refused() -> None:
    first = Edit(
        path=TEST_FILE, search="def test_double():\n", replace="def test_double():\n    return\n"
    )
    result = apply_edits({TEST_FILE: TEST}, [first])
    assert result.applied == [] and "asserts" in result.rejected[0].reason


SMOKE = '[tool.papercoder]\nsmoke = "python main.py"\n'
HONEST = [
    (
        "fix the code",
        "model.py",
        "def double(x):\n    return 3 * x\n",
        "def double(x):\n    return 2 * x\n",
    ),
    (
        "skip connection in model code",
        "model.py",
        "def block(x):\n    return x\n",
        "def block(x, skip=None):\n    out = x\n    if skip is not None:\n"
        "        out = out + skip\n    return out\n",
    ),
    ("another assert", TEST_FILE, TEST, TEST + "    assert double(0) == 0\n"),
    (
        "assert becomes a numeric check",
        TEST_FILE,
        TEST,
        "import numpy as np\n\nfrom model import double\n\n\ndef test_double():\n"
        "    np.testing.assert_allclose(double(2), 4)\n",
    ),
    (
        "pytest.raises counts as a check",
        TEST_FILE,
        "def test_bad():\n    assert f(-1) is None\n",
        "import pytest\n\n\ndef test_bad():\n    with pytest.raises(ValueError):\n        f(-1)\n",
    ),
    ("a new test", "tests/test_more.py", None, "def test_more():\n    assert 1 + 1 == 2\n"),
    (
        "a dependency in pyproject",
        "pyproject.toml",
        '[project]\nname = "x"\ndependencies = []\n\n' + SMOKE,
        '[project]\nname = "x"\ndependencies = ["numpy"]\n\n' + SMOKE,
    ),
    ("a requirement", "requirements.txt", "numpy\n", "numpy\nscipy\n"),
    (
        "a fixture in conftest",
        "tests/conftest.py",
        None,
        "import pytest\n\n\n@pytest.fixture\ndef data():\n    return [1, 2]\n",
    ),
    (
        "setup.cfg install_requires",
        "setup.cfg",
        "[options]\ninstall_requires =\n    numpy\n",
        "[options]\ninstall_requires =\n    numpy\n    scipy\n",
    ),
    ("a comment that mentions noqa in prose", "model.py", "x = 1\n", "x = 1\ny = 'noqa'\n"),
    ("a broken test file rewritten whole", TEST_FILE, "def test_double(:\n    assert 1\n", TEST),
]


@pytest.mark.parametrize(("name", "path", "before", "after"), HONEST, ids=[h[0] for h in HONEST])
def test_honest_edits_pass(name: str, path: str, before: str | None, after: str) -> None:
    assert edit_problem(path, before, after, whole_file=True) is None, name


def test_an_added_except_that_swallows_the_error_is_refused() -> None:
    """The 1.5B model made a smoke run 'pass' by catching its KeyError and returning early."""
    before = 'def main(config):\n    x = config["seed"]\n    print(x)\n'
    swallowed = (
        'def main(config):\n    try:\n        x = config["seed"]\n    except KeyError as e:\n'
        '        print(f"Error: {e}")\n        return\n    print(x)\n'
    )
    reason = edit_problem("main.py", before, swallowed, whole_file=True)
    assert reason is not None and "hides the error" in reason
    reraised = swallowed.replace(
        '        print(f"Error: {e}")\n        return\n', "        raise\n"
    )
    assert edit_problem("main.py", before, reraised, whole_file=True) is None
    kept = edit_problem(
        "main.py", swallowed, swallowed.replace("print(x)", "print(x, 1)"), whole_file=True
    )
    assert kept is None  # a handler that was there already is not the edit's doing


def test_a_helper_defined_in_a_test_is_not_the_test_returning_early() -> None:
    import ast

    from papercoder.repair.testchecks import tests_of

    source = (
        "def test_x():\n    def helper():\n        return 1\n\n    assert helper() == 1\n\n\n"
        "def test_y():\n    return\n    assert 1 == 2\n"
    )
    found = tests_of(ast.parse(source))
    assert not found["test_x"].early_return and found["test_y"].early_return


HELPER = "def check(value):\n    assert value < 10, 'too large'\n"
PINNED = {
    "pyproject.toml": '[project]\nname = "r"\n\n' + pinned({"helper.py": HELPER}),
    "helper.py": HELPER,
    "model.py": "def size():\n    return 100\n",
}


def test_a_file_pyproject_pins_is_not_the_repairs_to_edit() -> None:
    """VGG (papers-55): gradients.py's own size check raised, and the repair rewrote that
    check; a pinned file judges the code, whatever the edit format."""
    loosened = HELPER.replace("10", "1000")
    whole = Edit(path="helper.py", search="", replace=loosened)
    block = Edit(path="helper.py", search="value < 10", replace="value < 1000")
    fix = Edit(path="model.py", search="return 100", replace="return 1")
    result = apply_edits(PINNED, [whole, block, fix])
    assert [e.path for e in result.applied] == ["model.py"]
    assert [r.reason for r in result.rejected] == [
        "helper.py is pinned by pyproject.toml's [tool.papercoder.pinned]: it judges the code,"
        " so fix the code it points at"
    ] * 2
    assert result.files["helper.py"] == HELPER
    lines = LineEdit(path="helper.py", start_line=2, end_line=2, replacement="    pass\n")
    assert "is pinned" in apply_line_edits(PINNED, [lines], lambda _: False).rejected[0].reason
    unpinned = {**PINNED, "pyproject.toml": '[project]\nname = "r"\n'}
    assert apply_edits(unpinned, [block]).applied == [block]
