"""Fixes a tool makes without a model (pure): the ones whose right answer the failure names.

`Undefined name 'np'` has one fix, `import numpy as np`; a name another module of the
repository defines is imported from it; `No module named 'yaml'` means requirements.txt
lacks `pyyaml`. A 1.5B model told so still sends the file back unchanged; a tool cannot get
it wrong, costs no tokens, and leaves the model the failures that need thought. Each fix is
an ordinary edit: the guards check it and the next verification judges it.
"""

from __future__ import annotations

import ast
import re
import sys

from pydantic import BaseModel, ConfigDict, Field

from papercoder.repair.digest import failing_diagnostics, is_test_file
from papercoder.repair.hints import ATTRIBUTE
from papercoder.repair.patch import Edit
from papercoder.repair.testchecks import own_nodes
from papercoder.repo import parse
from papercoder.requirements import missing_requirements, pip_name, with_requirements
from papercoder.verify.diagnostics import Diagnostic
from papercoder.verify.report import VerifyReport

# names code uses by convention, and the import that defines each
CONVENTIONAL = {
    "np": "import numpy as np",
    "pd": "import pandas as pd",
    "plt": "import matplotlib.pyplot as plt",
    "torch": "import torch",
    "nn": "from torch import nn",
    "F": "import torch.nn.functional as F",
    "optim": "from torch import optim",
    "yaml": "import yaml",
    "scipy": "import scipy",
    "sp": "import scipy as sp",
    "tf": "import tensorflow as tf",
    "Path": "from pathlib import Path",
    "dataclass": "from dataclasses import dataclass",
    "field": "from dataclasses import field",
    "partial": "from functools import partial",
    "defaultdict": "from collections import defaultdict",
    "Counter": "from collections import Counter",
    "OrderedDict": "from collections import OrderedDict",
    "deque": "from collections import deque",
    "namedtuple": "from collections import namedtuple",
}
TYPING = {
    "Any", "Callable", "ClassVar", "Dict", "Iterable", "Iterator", "List", "Literal",
    "Mapping", "Optional", "Sequence", "Set", "Tuple", "Type", "TypeVar", "Union",
}  # fmt: skip

_UNDEFINED = re.compile(
    r"Undefined name `(?P<a>\w+)`"
    r"|Name \"(?P<b>\w+)\" is not defined"
    r"|name '(?P<c>\w+)' is not defined"
)
_NO_MODULE = re.compile(r"No module named '(?P<module>[\w.]+)'")
_NONE = re.compile(r"'NoneType' object|Missing return statement")


class Fix(BaseModel):
    """One mechanical fix: the edit and why it is right."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    edit: Edit = Field(description="a whole-file rewrite (empty SEARCH)")
    reason: str


def autofix(report: VerifyReport, files: dict[str, str]) -> list[Fix]:
    """The fixes `report`'s failures name, at most one per file and missing name."""
    fixes: dict[str, Fix] = {}
    imports: dict[str, list[tuple[str, str]]] = {}  # file → (import line, name) to add
    for diag in failing_diagnostics(report):
        found = _UNDEFINED.search(diag.message)
        if found and diag.file in files and diag.file.endswith(".py"):
            name = found["a"] or found["b"] or found["c"]
            line = import_for(name, diag.file, files)
            wanted = imports.setdefault(diag.file, [])
            if line is not None and all(n != name for _, n in wanted):
                wanted.append((line, name))
        if (missing := _missing_package(diag, files)) and "requirements.txt" not in fixes:
            current = files.get("requirements.txt", "")
            fixes["requirements.txt"] = Fix(
                edit=Edit(
                    path="requirements.txt", search="", replace=with_requirements(current, missing)
                ),
                reason=f"requirements.txt lacks {', '.join(missing)}, which the code imports",
            )
    for path, wanted in imports.items():
        updated: str | None = files[path]
        done: list[str] = []
        added: list[str] = []
        for line, name in wanted:
            # `from model import cross_entropy_loss` and `cross_entropy` undefined: a wrong name
            renamed = _renamed_import(updated, line, name, path, files) if updated else None
            if renamed is not None:
                updated, what = renamed
                done.append(what)
            else:
                added.append(line)
        if added and updated is not None:
            updated = add_imports(updated, added)
            done += [f"added `{line}`" for line in added]
        if updated is None:
            continue
        names = ", ".join(f"`{name}`" for _, name in wanted)
        fixes[path] = Fix(
            edit=Edit(path=path, search="", replace=updated),  # the whole file
            reason=f"{path} uses {names} without importing it: " + "; ".join(done),
        )
    if any(_NONE.search(d.message) for d in failing_diagnostics(report)):
        _return_fixes(files, fixes)
    _kept_parameter_fixes(report, files, fixes)
    return list(fixes.values())


def _kept_parameter_fixes(
    report: VerifyReport, files: dict[str, str], fixes: dict[str, Fix]
) -> None:
    """A class that lacks `self.config` where its `__init__` takes `config` and never keeps
    it (adam's step reading `self.config["paper"]["beta1"]`): `__init__` keeps it, as its
    first statement."""
    wanted: dict[str, set[str]] = {}
    for diag in failing_diagnostics(report):
        if found := ATTRIBUTE.search(diag.message):
            wanted.setdefault(found["cls"] or found["cls2"], set()).add(found["name"])
    for path, source in files.items():
        if path in fixes or not path.endswith(".py") or is_test_file(path) or not wanted:
            continue
        try:
            tree = parse(source)
        except SyntaxError:
            continue
        rows = source.splitlines(keepends=True)
        kept: list[str] = []
        for node in sorted(tree.body, key=lambda n: -n.lineno):  # bottom-up: lines stay valid
            if not isinstance(node, ast.ClassDef) or node.name not in wanted:
                continue
            init = next(
                (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
                None,
            )
            if init is None:
                continue
            params = [a.arg for a in init.args.args[1:]]
            names = [n for n in params if n in wanted[node.name] and not _keeps(init, n)]
            body = init.body
            first = body[1] if len(body) > 1 and _is_docstring(body[0]) else body[0]
            if not names or first.lineno == init.lineno:  # a one-line `def`: no row to add to
                continue
            indent = " " * first.col_offset
            block = "".join(f"{indent}self.{n} = {n}\n" for n in names)
            if _is_docstring(first):  # the docstring alone: after it
                rows.insert(first.end_lineno or first.lineno, block)
            else:
                rows.insert(first.lineno - 1, block)
            kept += [f"{node.name}.{n}" for n in names]
        if kept:
            fixes[path] = Fix(
                edit=Edit(path=path, search="", replace="".join(rows)),
                reason=f"{path}: __init__ took {', '.join(kept)} and did not keep it; it now does",
            )


def _keeps(init: ast.FunctionDef, name: str) -> bool:
    """Whether `init` sets `self.<name>`."""
    return any(
        isinstance(n, ast.Attribute)
        and isinstance(n.ctx, ast.Store)
        and isinstance(n.value, ast.Name)
        and n.value.id == "self"
        and n.attr == name
        for n in ast.walk(init)
    )


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _return_fixes(files: dict[str, str], fixes: dict[str, Fix]) -> None:
    """A None where a value was expected: the functions that drop their result return it."""
    for path, source in files.items():
        if path in fixes or not path.endswith(".py") or is_test_file(path):
            continue
        if (returned := _dropped_results(source)) is not None:
            updated, names = returned
            fixes[path] = Fix(
                edit=Edit(path=path, search="", replace=updated),
                reason=f"{path}: {', '.join(names)} computed a result in the last line and"
                " dropped it (no return, so None): that line now returns it",
            )


def _dropped_results(source: str) -> tuple[str, list[str]] | None:
    """`source` with `return` put before the last line of each function that promises a value
    (a return annotation other than None), returns nothing anywhere, and ends in a bare
    expression: the value it was meant to return. None when no function is like that."""
    try:
        tree = parse(source)
    except SyntaxError:
        return None
    rows = source.splitlines(keepends=True)
    names = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or not node.returns:
            continue
        last = node.body[-1]
        promised = not (isinstance(node.returns, ast.Constant) and node.returns.value is None)
        if (
            promised
            and isinstance(last, ast.Expr)
            and not isinstance(last.value, ast.Constant | ast.Yield | ast.YieldFrom | ast.Await)
            and last.lineno == last.end_lineno
            and not any(
                isinstance(n, ast.Return | ast.Yield | ast.YieldFrom) for n in own_nodes(node.body)
            )
        ):
            row = rows[last.lineno - 1]
            at = last.col_offset
            rows[last.lineno - 1] = f"{row[:at]}return {row[at:]}"
            names.append(f"`{node.name}`")
    return ("".join(rows), names) if names else None


def import_for(name: str, path: str, files: dict[str, str]) -> str | None:
    """The import line that defines `name` for `path`, when there is exactly one answer."""
    own = _defining_modules(name, path, files)
    if len(own) == 1:
        module = own[0]
        return f"from {module} import {name}"
    if own:
        return None  # defined in several modules: which one is meant takes thought
    if name in CONVENTIONAL:
        return CONVENTIONAL[name]
    if name in TYPING:
        return f"from typing import {name}"
    if name in sys.stdlib_module_names and not name.startswith("_"):
        return f"import {name}"
    return None


def _renamed_import(
    source: str, line: str, name: str, path: str, files: dict[str, str]
) -> tuple[str, str] | None:
    """`source` with a name its `from M import ...` asks of M and M does not define replaced by
    `name` (which M does define and the file uses), when that is the one such name; with the
    edit described for the fix's reason. None when the import is to be added instead."""
    found = re.fullmatch(r"from (?P<module>[\w.]+) import \w+", line)
    if found is None:
        return None
    try:
        tree = parse(source)
    except SyntaxError:
        return None
    module = found["module"]
    stale = [
        (node, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == module and not node.level
        for alias in node.names
        if alias.asname is None and module not in _defining_modules(alias.name, path, files)
    ]
    if len(stale) != 1:
        return None
    node, old = stale[0]
    rows = source.splitlines(keepends=True)
    start, end = node.lineno - 1, node.end_lineno or node.lineno
    statement = "".join(rows[start:end])
    rows[start:end] = [re.sub(rf"\b{re.escape(old)}\b", name, statement, count=1)]
    return "".join(rows), f"renamed `{old}` to `{name}` in `from {module} import`"


def _defining_modules(name: str, path: str, files: dict[str, str]) -> list[str]:
    """The repository modules other than `path` (tests excluded) that define `name` at top
    level and do not import `path` back (which would make an import cycle)."""
    this = module_name(path)
    found = []
    for other, source in files.items():
        if other == path or not other.endswith(".py") or is_test_file(other):
            continue
        try:
            tree = parse(source)
        except SyntaxError:
            continue
        if name in _top_level_names(tree) and this not in imported_modules(tree):
            found.append(module_name(other))
    return found


def module_name(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def imported_modules(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def add_imports(source: str, lines: list[str]) -> str | None:
    """`source` with `lines` added after its docstring, `__future__` and existing top-level
    imports; None when the file does not parse (then the failure is not only an import)."""
    try:
        tree = parse(source)
    except SyntaxError:
        return None
    after = 0  # the line the imports go after (1-based; 0 = top of the file)
    for index, node in enumerate(tree.body):
        docstring = (
            index == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )
        if docstring or isinstance(node, ast.Import | ast.ImportFrom):
            after = node.end_lineno or node.lineno
        else:
            break
    rows = source.splitlines(keepends=True)
    if rows and not rows[-1].endswith("\n"):
        rows[-1] += "\n"
    block = [line + "\n" for line in lines]
    if after == 0:
        return "".join([*block, "\n", *rows]) if rows else "".join(block)
    head, tail = rows[:after], rows[after:]
    gap = ["\n"] if tail and tail[0].strip() and not _is_import(head[-1]) else []
    lead = [] if _is_import(head[-1]) else ["\n"]
    return "".join([*head, *lead, *block, *gap, *tail])


def _is_import(row: str) -> bool:
    return row.startswith(("import ", "from "))


def _missing_package(diag: Diagnostic, files: dict[str, str]) -> list[str]:
    """The packages to add when `diag` says a third-party module is missing."""
    found = _NO_MODULE.search(diag.message)
    if not found:
        return []
    top = found["module"].split(".")[0]
    if f"{top}.py" in files or f"{top}/__init__.py" in files or top in sys.stdlib_module_names:
        return []
    missing = missing_requirements(files)
    return missing if pip_name(top) in missing else []
