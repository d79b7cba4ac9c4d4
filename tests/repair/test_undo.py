"""Undoing the changed lines of a repair that new failures point at."""

from __future__ import annotations

from papercoder.repair.undo import undo_blamed, units
from papercoder.verify.diagnostics import Diagnostic

OLD = "def forward(x, w1, w2):\n    hidden = x @ w1\n    return hidden @ w2\n"
NEW = "def forward(x, w1, w2):\n    hidden = x @ w1.T\n    return hidden @ w2.T\n"


def at(line: int, path: str = "model.py") -> Diagnostic:
    return Diagnostic(check="tests", file=path, line=line, message="ValueError: matmul")


def test_a_block_of_replaced_lines_is_one_change_per_line() -> None:
    assert units(OLD, NEW) == [(1, 2, 1, 2), (2, 3, 2, 3)]
    assert units("a\nb\n", "a\nx\ny\nz\nb\n") == [(1, 1, 1, 4)]


def test_the_line_a_new_failure_points_at_is_undone_and_the_rest_kept() -> None:
    found = undo_blamed({"model.py": OLD}, {"model.py": NEW}, [at(3)])
    assert found is not None
    files, undone = found
    assert files == {
        "model.py": "def forward(x, w1, w2):\n    hidden = x @ w1.T\n    return hidden @ w2\n"
    }
    assert [(u.path, u.line, u.repaired, u.restored) for u in undone] == [
        ("model.py", 3, ["    return hidden @ w2.T"], ["    return hidden @ w2"])
    ]
    assert "ValueError" in undone[0].because


def test_nothing_to_undo() -> None:
    old, new = {"model.py": OLD}, {"model.py": NEW}
    assert undo_blamed(old, new, []) is None
    assert undo_blamed(old, new, [at(1)]) is None  # a line the repair left alone
    assert undo_blamed(old, new, [at(3, "other.py")]) is None
    # every change blamed: that is the state before the repair, already verified
    assert undo_blamed(old, new, [at(2), at(3)]) is None
    one = {"model.py": OLD.replace("w2\n", "w2.T\n")}
    assert undo_blamed(old, one, [at(3)]) is None


def test_an_undo_that_would_not_parse_is_not_proposed() -> None:
    old = "def f(x):\n    if x:\n        return 1\n    return 0\n"
    new = "def f(x):\n    if x:\n        return 2\n    return 0\n\n\ndef g():\n    return f(1)\n"
    assert undo_blamed({"m.py": old}, {"m.py": new}, [at(8, "m.py")]) is not None
    broken = "def f(x):\n    if x:\n    return 0\n"
    fixed = "def f(x):\n    if x:\n        return 1\n    return 0\n\n\ndef g():\n    return f(1)\n"
    # undoing the inserted body of `if` alone would bring back the syntax error
    assert undo_blamed({"m.py": broken}, {"m.py": fixed}, [at(3, "m.py")]) is None
