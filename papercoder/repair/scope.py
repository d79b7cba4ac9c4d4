"""The smallest piece of code a failure asks to be rewritten: one function (pure).

Asked to rewrite a 40-line file for `"MLP" has no attribute "backward"` on line 22, a 1.5B
model sends the file back unchanged, or the prompt's example; line-numbered edits land on the
wrong lines. Shown the one function with the failing line marked by the error itself, it
answers with that function corrected, which is a short reply. A failing assertion in a test
marks nothing in the test: the function it calls on the failing line is the one to fix, shown
with the test beside it.
"""

from __future__ import annotations

import ast
import re
import textwrap

from pydantic import BaseModel, ConfigDict, Field

from papercoder.repair.digest import failing_diagnostics, is_test_file
from papercoder.repo import parse
from papercoder.verify.diagnostics import Diagnostic
from papercoder.verify.report import VerifyReport

MARK = "# <-- error: "
_MARKED = re.compile(r"[ \t]*" + re.escape(MARK) + r".*$", re.M)
_ASSERTION_CODES = ("test-failure", "AssertionError")
_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class Scope(BaseModel):
    """Lines `start`..`end` (1-based, inclusive) of `path`: the function `name`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    name: str
    start: int
    end: int
    failure: str = Field(description="the failure, as the prompt states it")
    line: int | None = Field(default=None, description="the failing line, when inside")
    test: str = Field(default="", description="the failing test's source, when one is")

    def code(self, files: dict[str, str]) -> str:
        rows = files[self.path].splitlines(keepends=True)[self.start - 1 : self.end]
        return "".join(rows)

    def marked(self, files: dict[str, str]) -> str:
        """The function with the failing line marked by the error it raises."""
        rows = self.code(files).splitlines()
        if self.line is not None:
            at = self.line - self.start
            rows[at] = f"{rows[at]}  {MARK}{_one_line(self.failure)}"
        return "\n".join(rows) + "\n"


def find_scope(report: VerifyReport, files: dict[str, str]) -> Scope | None:
    """The function the first failure (in repair order) points into, or None when it points
    at no function: a syntax error, module-level code, a missing file."""
    for diag in failing_diagnostics(report):
        if not diag.file or not diag.line or diag.file not in files:
            continue
        if not diag.file.endswith(".py"):
            return None
        try:
            tree = parse(files[diag.file])
        except SyntaxError:
            return None
        if is_test_file(diag.file):
            if diag.check == "tests" and diag.code in _ASSERTION_CODES:
                return _tested(diag, tree, files)
            continue  # a test's own code is never the first thing to rewrite
        node = _innermost_function(tree, diag.line)
        if node is None:
            return None
        return _scope(diag.file, node, diag, line=diag.line)
    return None


def replace_scope(files: dict[str, str], scope: Scope, reply_code: str) -> str:
    """`scope.path` with the function replaced by `reply_code`: marks stripped, indented
    as the function it replaces."""
    code = _MARKED.sub("", reply_code)
    original = scope.code(files)
    indent = original[: len(original) - len(original.lstrip())]
    body = textwrap.indent(textwrap.dedent(code).strip("\n") + "\n", indent)
    rows = files[scope.path].splitlines(keepends=True)
    return "".join([*rows[: scope.start - 1], body, *rows[scope.end :]])


def strip_marks(code: str) -> str:
    return _MARKED.sub("", code)


def _scope(path: str, node: _FunctionNode, diag: Diagnostic, *, line: int | None) -> Scope:
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    end = node.end_lineno or node.lineno
    inside = line if line is not None and start <= line <= end else None
    return Scope(
        path=path,
        name=node.name,
        start=start,
        end=end,
        failure=f"{diag.code + ': ' if diag.code else ''}{diag.message}",
        line=inside,
    )


def _innermost_function(tree: ast.AST, line: int) -> _FunctionNode | None:
    around = [
        node
        for node in ast.walk(tree)
        if isinstance(node, _FunctionNode) and node.lineno <= line <= (node.end_lineno or 0)
    ]
    return max(around, key=lambda node: node.lineno, default=None)


def _tested(diag: Diagnostic, tree: ast.Module, files: dict[str, str]) -> Scope | None:
    """The repository function a failing test calls: on its failing line first, else the
    last one called before it."""
    test = _innermost_function(tree, diag.line or 0)
    if test is None:
        return None
    calls = sorted(
        (
            (node.lineno, name)
            for node in ast.walk(test)
            if isinstance(node, ast.Call) and (name := _called_name(node)) is not None
        ),
    )
    on_line = [name for lineno, name in calls if lineno == diag.line]
    before = [name for lineno, name in reversed(calls) if lineno < (diag.line or 0)]
    for name in [*on_line, *before]:
        defined = _definitions(name, files)
        if len(defined) == 1:
            path, node = defined[0]
            scope = _scope(path, node, diag, line=None)
            source = ast.get_source_segment(files[diag.file or ""], test) or ""
            return scope.model_copy(update={"test": source})
    return None


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _definitions(name: str, files: dict[str, str]) -> list[tuple[str, _FunctionNode]]:
    """The functions and methods called `name` in the repository's non-test modules."""
    found = []
    for path, source in files.items():
        if not path.endswith(".py") or is_test_file(path):
            continue
        try:
            tree = parse(source)
        except SyntaxError:
            continue
        found += [
            (path, node)
            for node in ast.walk(tree)
            if isinstance(node, _FunctionNode) and node.name == name
        ]
    return found


def _one_line(text: str) -> str:
    first = " ".join(text.split())
    return first if len(first) <= 160 else first[:157] + "..."
