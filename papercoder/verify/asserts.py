"""Asserts per test function, counted statically (AST), so the verdict can compare iterations.

A check counts when it can fail: an ``assert`` whose condition is not constant (``assert True``
and ``assert x or True`` count nothing), a ``raises``/``warns``/``deprecated_call`` context, or a
call to an ``assert*`` function (``assertEqual``, ``np.testing.assert_allclose``, ...). Checks
after an unconditional ``return``, ``raise`` or ``skip(...)`` in the same block are unreachable
and count nothing; so does every check of a test marked skip, skipif or xfail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SKIP_PARTS = {".git", "__pycache__", ".venv", "venv", "node_modules", "site-packages"}
CONTEXT_CHECKS = {"raises", "warns", "deprecated_call"}
ENDS_A_TEST = {"skip", "xfail", "fail", "exit", "_exit", "SkipTest", "importorskip"}
SKIP_MARKS = {"skip", "skipif", "xfail", "expectedFailure", "skipIf", "skipUnless"}


def is_test_file(path: Path) -> bool:
    """pytest's default file pattern: ``test_*.py`` or ``*_test.py``."""
    return path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))


def test_files(repo: Path) -> list[Path]:
    return sorted(
        path
        for path in repo.rglob("*.py")
        if is_test_file(path) and not SKIP_PARTS.intersection(path.relative_to(repo).parts)
    )


def count_asserts(repo: Path) -> dict[str, int]:
    """``file::test`` (or ``file::Class::test``) → checks in its body, for every test function
    of the repo's test files; a file that does not parse contributes nothing."""
    counts: dict[str, int] = {}
    for path in test_files(repo):
        relative = path.relative_to(repo).as_posix()
        try:
            tree = ast.parse(path.read_text("utf-8"), filename=relative)
        except (SyntaxError, ValueError, UnicodeDecodeError, OSError):
            continue
        for name, function, skipped in _tests(tree):
            skipped = skipped or _skipped(function)
            counts[f"{relative}::{name}"] = 0 if skipped else _block(function.body)
    return counts


Function = ast.FunctionDef | ast.AsyncFunctionDef


def _tests(tree: ast.Module) -> Iterator[tuple[str, Function, bool]]:
    """Test functions with their names, and whether their class is marked skipped."""
    for node in tree.body:
        if isinstance(node, Function) and node.name.startswith("test"):
            yield node.name, node, False
        elif isinstance(node, ast.ClassDef) and _test_class(node):
            for item in node.body:
                if isinstance(item, Function) and item.name.startswith("test"):
                    yield f"{node.name}::{item.name}", item, _skipped(node)


def _test_class(node: ast.ClassDef) -> bool:
    bases = {_name(base) for base in node.bases}
    return node.name.startswith("Test") or any(b.endswith("TestCase") for b in bases)


def _name(node: ast.expr) -> str:
    """The last part of a dotted name or call (``pytest.mark.skip(...)`` → ``skip``)."""
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _skipped(node: Function | ast.ClassDef) -> bool:
    return any(_name(decorator) in SKIP_MARKS for decorator in node.decorator_list)


def _block(statements: list[ast.stmt]) -> int:
    total = 0
    for statement in statements:
        total += _statement(statement)
        if _ends(statement):
            break
    return total


def _ends(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Return | ast.Raise | ast.Continue | ast.Break):
        return True
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and _name(statement.value) in ENDS_A_TEST
    )


def _statement(statement: ast.stmt) -> int:
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return 0  # a nested helper counts where a test calls it, which we cannot see
    if isinstance(statement, ast.Assert):
        return 0 if _constant(statement.test) else 1
    own = sum(_calls(child) for child in _expressions(statement))
    if isinstance(statement, ast.With | ast.AsyncWith):
        own += sum(_name(item.context_expr) in CONTEXT_CHECKS for item in statement.items)
    nested = 0
    for field in ("body", "orelse", "finalbody"):
        block = getattr(statement, field, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            nested += _block(block)
    for handler in getattr(statement, "handlers", []):
        nested += _block(handler.body)
    for case in getattr(statement, "cases", []):
        nested += _block(case.body)
    return own + nested


def _expressions(statement: ast.stmt) -> Iterator[ast.expr]:
    """The expressions of a statement itself, not of the statements nested in it."""
    for _, value in ast.iter_fields(statement):
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, ast.expr):
                yield item
            elif isinstance(item, ast.withitem):
                yield item.context_expr


def _calls(expression: ast.expr) -> int:
    """Calls to ``assert*`` functions within an expression."""
    return sum(
        isinstance(node, ast.Call) and _name(node.func).lower().startswith("assert")
        for node in ast.walk(expression)
    )


def _constant(test: ast.expr) -> bool:
    """A condition that cannot fail: only constants, or an ``or`` with a true constant."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(_constant(value) and _truthy(value) for value in test.values)
    return not any(
        isinstance(node, ast.Name | ast.Attribute | ast.Call | ast.Subscript | ast.Starred)
        for node in ast.walk(test)
    )


def _truthy(test: ast.expr) -> bool:
    try:
        return bool(ast.literal_eval(test))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return True  # constant but not a literal (e.g. an f-string): do not count it
