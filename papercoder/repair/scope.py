"""The smallest piece of code a failure asks to be rewritten: one function (pure).

Asked to rewrite a 40-line file for `"MLP" has no attribute "backward"` on line 22, a 1.5B
model sends the file back unchanged, or the prompt's example; line-numbered edits land on the
wrong lines. Shown the one function with the failing line marked by the error itself, it
answers with that function corrected, which is a short reply. A method comes with its class's
`__init__`, where the shapes and attributes it uses are made. A failing assertion in a test
marks nothing in the test: the function the test is about is the one to fix, shown with the
test beside it.
"""

from __future__ import annotations

import ast
import re
import textwrap

from pydantic import BaseModel, ConfigDict, Field

from papercoder.repair.digest import failing_diagnostics, is_test_file, shown_message
from papercoder.repair.guards import pinned_paths
from papercoder.repair.hints import MATMUL, matmul_sizes, suggested_fix
from papercoder.repo import parse
from papercoder.verify.diagnostics import Diagnostic
from papercoder.verify.report import VerifyReport

MARK = "# <-- error: "
_WRITE = "; write `"  # a mark's end: the code that fixes the line, when a tool can tell
_MARKED = re.compile(r"[ \t]*" + re.escape(MARK) + r".*$", re.M)
_ASSERTION_CODES = ("test-failure", "AssertionError")
_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class Span(BaseModel):
    """Lines `start`..`end` (1-based, inclusive): the function `name`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    start: int
    end: int
    line: int | None = Field(default=None, description="the failing line, when inside")


class Scope(BaseModel):
    """The functions of `path` to show and take back: the first is the one to fix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    spans: list[Span] = Field(min_length=1)
    failure: str = Field(description="the failure, as the prompt states it")
    test: str = Field(default="", description="the failing test's source, when one is")

    @property
    def name(self) -> str:
        return self.spans[0].name

    def names(self) -> list[str]:
        return [span.name for span in self.spans]

    def code(self, files: dict[str, str], span: Span) -> str:
        rows = files[self.path].splitlines(keepends=True)[span.start - 1 : span.end]
        return "".join(rows)

    def marked_line(self, files: dict[str, str]) -> str:
        """The failing line alone, marked by the error it raises (and what to write, when a
        tool can tell)."""
        span = self.spans[0]
        row = files[self.path].splitlines()[(span.line or span.start) - 1]
        return f"{row}  {MARK}{_one_line(self.failure)}"

    def marked(self, files: dict[str, str]) -> str:
        """The functions in file order, the failing line marked by the error it raises."""
        shown = []
        for span in sorted(self.spans, key=lambda s: s.start):
            rows = self.code(files, span).splitlines()
            if span.line is not None:
                at = span.line - span.start
                rows[at] = f"{rows[at]}  {MARK}{_one_line(self.failure)}"
            shown.append("\n".join(rows))
        return "\n\n".join(shown) + "\n"


def find_scope(report: VerifyReport, files: dict[str, str]) -> Scope | None:
    """The function the first failure (in repair order) points into, or None when it points
    at no function: a syntax error, module-level code, a missing file. A failure raised in
    a file pyproject.toml pins (the tool's gradients.py) is the code's that called it: no
    edit may change a pinned file."""
    pinned = pinned_paths(files)
    for diag in failing_diagnostics(report):
        if not diag.file or not diag.line or diag.file not in files:
            continue
        if diag.file in pinned and not is_test_file(diag.file):
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
        elsewhere = (
            _made_here(diag.file, files[diag.file], tree, diag),
            _emptied_here(diag.file, tree, diag),
            _grown_here(diag.file, tree, diag),
            _named_here(diag.file, tree, diag),
        )
        if (cause := next((s for s in elsewhere if s is not None), None)) is not None:
            return cause  # the line that caused the failure, not the one that raised it
        scope = _scope(diag.file, tree, node, diag, line=diag.line)
        if fix := suggested_fix(diag, files):  # the mark says what to write, not what is missing
            return scope.model_copy(update={"failure": f"{scope.failure}{_WRITE}{fix}`"})
        return scope
    return None


def replace_scope(files: dict[str, str], scope: Scope, reply_code: str) -> str | None:
    """`scope.path` with each of its functions that `reply_code` defines replaced by the
    reply's version, marks stripped, indented as the one it replaces; None when the reply
    defines none of them or does not parse."""
    dedented = textwrap.dedent(strip_marks(reply_code))
    try:
        tree = ast.parse(dedented)
    except SyntaxError:
        return None
    given: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, _FunctionNode) and node.name in scope.names():
            segment = _segment(dedented, node)
            given.setdefault(node.name, segment)
    if not given:
        return None
    rows = files[scope.path].splitlines(keepends=True)
    for span in sorted(scope.spans, key=lambda s: -s.start):  # bottom-up: numbers stay valid
        if span.name not in given:
            continue
        original = scope.code(files, span)
        indent = original[: len(original) - len(original.lstrip())]
        body = textwrap.indent(textwrap.dedent(given[span.name]).strip("\n") + "\n", indent)
        rows[span.start - 1 : span.end] = [body]
    return "".join(rows)


def strip_marks(code: str) -> str:
    return _MARKED.sub("", code)


def _segment(source: str, node: _FunctionNode) -> str:
    """The source of `node`, decorators included."""
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    rows = source.splitlines(keepends=True)[start - 1 : node.end_lineno]
    return "".join(rows)


def _scope(
    path: str, tree: ast.Module, node: _FunctionNode, diag: Diagnostic, *, line: int | None
) -> Scope:
    spans = [_span(node, line)]
    owner = _owner(tree, node)
    if owner is not None and node.name != "__init__":
        init = next(
            (n for n in owner.body if isinstance(n, _FunctionNode) and n.name == "__init__"), None
        )
        if init is not None:
            spans.append(_span(init, None))
    return Scope(
        path=path,
        spans=spans,
        failure=f"{diag.code + ': ' if diag.code else ''}{shown_message(diag)}",
    )


def _span(node: _FunctionNode, line: int | None) -> Span:
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    end = node.end_lineno or node.lineno
    inside = line if line is not None and start <= line <= end else None
    return Span(name=node.name, start=start, end=end, line=inside)


def _owner(tree: ast.Module, node: _FunctionNode) -> ast.ClassDef | None:
    for candidate in ast.walk(tree):
        if isinstance(candidate, ast.ClassDef) and node in candidate.body:
            return candidate
    return None


def _innermost_function(tree: ast.AST, line: int) -> _FunctionNode | None:
    around = [
        node
        for node in ast.walk(tree)
        if isinstance(node, _FunctionNode) and node.lineno <= line <= (node.end_lineno or 0)
    ]
    return max(around, key=lambda node: node.lineno, default=None)


def _tested(diag: Diagnostic, tree: ast.Module, files: dict[str, str]) -> Scope | None:
    """The repository function a failing test is about: the one its name names
    (`test_gradient_matches…` → `gradients`; of several, the one named first:
    `test_steps_of_training_lower_the_loss` is about `step`, not the `loss` it also calls,
    distillation, papers-55), else one called on the failing line, else the last one called
    before it."""
    test = _innermost_function(tree, diag.line or 0)
    if test is None:
        return None
    calls = sorted(
        (node.lineno, node.col_offset, name)
        for node in ast.walk(test)
        if isinstance(node, ast.Call) and (name := _called_name(node)) is not None
    )
    named = sorted(
        (name for _, _, name in calls if _names(test.name, name)),
        key=lambda name: _named_at(test.name, name),
    )
    on_line = [name for lineno, _, name in calls if lineno == diag.line]
    before = [name for lineno, _, name in reversed(calls) if lineno < (diag.line or 0)]
    for name in dict.fromkeys([*named, *on_line, *before]):
        defined = _definitions(name, files)
        if len(defined) == 1:
            path, module, node = defined[0]
            scope = _scope(path, module, node, diag, line=None)
            source = ast.get_source_segment(files[diag.file or ""], test) or ""
            return scope.model_copy(update={"test": source})
    return None


def _names(test_name: str, function: str) -> bool:
    """Whether a test's name names `function` (singular or plural, a word of it)."""
    return _named_at(test_name, function) >= 0


def _named_at(test_name: str, function: str) -> int:
    """The place of the first word of a test's name that names `function`; -1 for none."""
    stem = function.strip("_").rstrip("s")
    words = test_name.removeprefix("test_").split("_")
    return next((i for i, w in enumerate(words) if stem and w.rstrip("s") == stem), -1)


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _definitions(name: str, files: dict[str, str]) -> list[tuple[str, ast.Module, _FunctionNode]]:
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
            (path, tree, node)
            for node in ast.walk(tree)
            if isinstance(node, _FunctionNode) and node.name == name
        ]
    return found


def _made_here(path: str, source: str, tree: ast.Module, diag: Diagnostic) -> Scope | None:
    """For a matrix product of mismatched shapes, `a @ b` on the failing line: the line where
    `b` is made (a weight made `size=(out, in)`), marked with what is wrong with it. The
    1.5B model, shown the product, sends it back unchanged: the cause is elsewhere."""
    found = MATMUL.search(diag.message)
    if found is None or diag.line is None:
        return None
    products = [
        (node.left, node.right)
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.MatMult)
        and node.lineno <= diag.line <= (node.end_lineno or node.lineno)
    ]
    if len(products) != 1:
        return None
    left, right = products[0]
    line = _maker_line(tree, right, diag.line)
    node = _innermost_function(tree, line) if line is not None else None
    if node is None or line is None:
        return None
    got, want = matmul_sizes(found)
    failure = (
        f"`{ast.unparse(right)}` made here has {got} rows where `{ast.unparse(left)}` has"
        f" {want} columns in `{ast.unparse(left)} @ {ast.unparse(right)}` (line {diag.line}):"
        f" make it with its dimensions swapped"
    )
    if (swapped := swapped_shape(source.splitlines()[line - 1])) is not None:
        failure += f"{_WRITE}{swapped}`"
    return _scope(path, tree, node, diag, line=line).model_copy(update={"failure": failure})


_PAIR = re.compile(r"\((\s*[\w.\[\]'\"]+\s*),(\s*[\w.\[\]'\"]+\s*)\)")


def swapped_shape(row: str) -> str | None:
    """`row` with its one pair `(a, b)` swapped and stripped: `size=(out, inp)` →
    `size=(inp, out)`, `np.zeros((a, b))`, `torch.randn(a, b)`; None when the row holds no
    such pair or several."""
    pairs = list(_PAIR.finditer(row))
    if len(pairs) != 1:
        return None
    first, second = pairs[0].group(1), pairs[0].group(2)
    swapped = f"({second.strip()}, {first.strip()})"
    return (row[: pairs[0].start()] + swapped + row[pairs[0].end() :]).strip()


_PAST_THE_END = re.compile(
    r"index out of range|out of bounds for (?:axis|dimension) \d+ with size 0"
)


def _emptied_here(path: str, tree: ast.Module, diag: Diagnostic) -> Scope | None:
    """For an index past the end, `losses[-1]` on the failing line: the line of the same
    function that last made `losses`, when an expression made it there (a slice, a
    comprehension) rather than a call this function cannot change. The 1.5B model, shown
    the `print` that indexed `losses` marked, sent it back unchanged: the slice above it
    had emptied the list."""
    if diag.line is None or not _PAST_THE_END.search(diag.message):
        return None
    indexed = sorted(
        {
            node.value.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.lineno <= diag.line <= (node.end_lineno or node.lineno)
        }
    )
    makers = []
    for name in indexed:
        line = _maker_line(tree, ast.Name(id=name, ctx=ast.Load()), diag.line)
        values = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and node.lineno == line
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
        ]
        if line is not None and values and not isinstance(values[0], ast.Call):
            makers.append((name, line))
    node = _innermost_function(tree, makers[0][1]) if len(makers) == 1 else None
    if node is None:
        return None
    name, line = makers[0]
    failure = (
        f"`{name}` made here is empty or too short for line {diag.line}, which indexes it:"
        f" {shown_message(diag)}"
    )
    return _scope(path, tree, node, diag, line=line).model_copy(update={"failure": failure})


_NAMED = re.compile(r"\b(?P<name>\w+)\(\) (?:returned|must return|does not change)")


def _named_here(path: str, tree: ast.Module, diag: Diagnostic) -> Scope | None:
    """For a failure whose message names the function at fault (`gradients: loss()
    returned nan`), raised in a function that handed it to a checker: the named function
    of the same class (or module), its last `return` marked. Shown `step`, where its call to
    gradients was located, the 1.5B model rewrote step; the nan came from `loss`."""
    found = _NAMED.search(diag.message)
    here = _innermost_function(tree, diag.line) if found and diag.line else None
    if found is None or here is None or here.name == found["name"]:
        return None
    owner = _owner(tree, here)
    target = next(
        (
            node
            for node in (owner.body if owner else tree.body)
            if isinstance(node, _FunctionNode) and node.name == found["name"]
        ),
        None,
    )
    if target is None:
        return None
    returns = [node.lineno for node in ast.walk(target) if isinstance(node, ast.Return)]
    line = max(returns, default=target.end_lineno or target.lineno)
    failure = f"`{target.name}` returns what fails at line {diag.line}: {shown_message(diag)}"
    return _scope(path, tree, target, diag, line=line).model_copy(update={"failure": failure})


_NOT_FINITE = re.compile(r"params\['(?P<name>\w+)'\] holds (?P<value>-?inf|nan)")


def _grown_here(path: str, tree: ast.Module, diag: Diagnostic) -> Scope | None:
    """For parameters that are no longer finite when the loss is taken (`gradients:
    params['w1'] holds inf`): the line of the failing function that last changed that
    array before the failing line (else its last such line: the previous step's), marked.
    t-SNE (papers-55): step grew `w1 += lr * w1 * w1` fifty times before taking gradients;
    told `loss() returned nan`, the 1.5B model sent the loss back unchanged three times."""
    found = _NOT_FINITE.search(diag.message)
    here = _innermost_function(tree, diag.line) if found and diag.line else None
    if found is None or here is None or diag.line is None:
        return None
    changed = sorted(
        node.lineno
        for node in ast.walk(here)
        if isinstance(node, ast.Assign | ast.AugAssign)
        and any(
            _is_entry(target, found["name"])
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
    )
    before = [line for line in changed if line < diag.line]
    if not changed:
        return None
    line = (before or changed)[-1]
    failure = (
        f"this line makes `params['{found['name']}']` {found['value']}, which fails at line"
        f" {diag.line}: change the array by its gradient times the learning rate alone"
    )
    return _scope(path, tree, here, diag, line=line).model_copy(update={"failure": failure})


def _is_entry(target: ast.expr, name: str) -> bool:
    """Whether `target` is an entry of a params dict: `self.params["w1"]`, `params[name]`."""
    if not isinstance(target, ast.Subscript) or not ast.unparse(target.value).endswith("params"):
        return False
    key = target.slice
    return not isinstance(key, ast.Constant) or key.value == name


def _maker_line(tree: ast.Module, operand: ast.expr, used: int) -> int | None:
    """The line that assigns `operand` (a name, an attribute, or a dict entry such as
    `self.params["w1"]` made in a dict literal): the last one before `used` in the same
    function, else the first in the file."""
    text = ast.unparse(operand)
    base, key = None, None
    if isinstance(operand, ast.Subscript) and isinstance(operand.slice, ast.Constant):
        base, key = ast.unparse(operand.value), operand.slice.value
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {ast.unparse(t) for t in targets}
            if text in names:
                lines.append(node.lineno)
            elif base in names and isinstance(node.value, ast.Dict):
                lines += [
                    value.lineno
                    for k, value in zip(node.value.keys, node.value.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == key
                ]
    if not lines:
        return None
    here = _innermost_function(tree, used)
    before = [
        n for n in lines if n < used and here is not None and _innermost_function(tree, n) is here
    ]
    if before:
        return before[-1]
    if isinstance(operand, ast.Name):
        return None  # a local name made nowhere before its use here: a parameter
    owner = _owner(tree, here) if here is not None else None
    if owner is not None:  # `self.W` is the W of this class, not another's
        lines = [n for n in lines if owner.lineno <= n <= (owner.end_lineno or owner.lineno)]
    return min(lines, default=None)


def _one_line(text: str) -> str:
    """`text` on one line, the failure shortened to 160 characters; what to write, when the
    text ends with it, is kept whole."""
    failure, write, code = " ".join(text.split()).partition(_WRITE)
    short = failure if len(failure) <= 160 else failure[:157] + "..."
    return short + write + code
