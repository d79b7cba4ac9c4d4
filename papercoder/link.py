"""Linking the coded files into one program, mechanically (pure).

Each file is written in its own call, seeing only the interfaces of the files it depends on.
A 1.5B model, writing `main.py` for Adam, defined `load_data` and `adam` again (as stubs)
instead of importing them from `data.py` and `model.py`; `train.py` called `load_data`
without importing it, and `data.py` ran its own test at import. None of that takes thought:
a function defined twice keeps one owner (a real body over a stub, the file written first
over a later one) and the others import it; a name used and never bound is imported from the
one module that defines it; a bare call at a module's top level (not the entry point's) runs
only under `if __name__ == "__main__":`. Each change is returned with its reason for the
run's record of fixes; the verification judges the result like any other code.
"""

from __future__ import annotations

import ast
import builtins

from pydantic import BaseModel, ConfigDict

from papercoder.repair.autofix import add_imports, import_for, imported_modules, module_name
from papercoder.repair.digest import is_test_file
from papercoder.repo import parse

_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_KEEP_APART = {"main"}  # every script may have its own


class Link(BaseModel):
    """One change the linker made, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    fix: str
    why: str


def link(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    """`files` with duplicate definitions owned once, top-level calls guarded and undefined
    names imported; `order` is the order the files were written in, `entry` the entry point."""
    files = dict(files)
    done: list[Link] = []
    for step in (_config_imports, _own_once, _guard_calls, _import_undefined):
        files, links = step(files, order, entry)
        done += links
    return files, done


def _modules(files: dict[str, str]) -> dict[str, ast.Module]:
    """The repository's Python files that parse, tests included."""
    found = {}
    for path, source in files.items():
        if path.endswith(".py"):
            try:
                found[path] = parse(source)
            except SyntaxError:
                continue
    return found


def _own_once(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    trees = {p: t for p, t in _modules(files).items() if not is_test_file(p)}
    places: dict[str, list[tuple[str, _Definition]]] = {}
    for path, tree in trees.items():
        for node in tree.body:
            if not isinstance(node, _Definition) or node.name.startswith("_"):
                continue
            if node.name not in _KEEP_APART:
                places.setdefault(node.name, []).append((path, node))
    rank = {path: i for i, path in enumerate(order)}
    drops: dict[str, list[tuple[_Definition, str]]] = {}
    links = []
    for name, found in places.items():
        if len(found) < 2:
            continue
        owner, _ = min(
            found,
            key=lambda pn: (_is_stub(pn[1]), pn[0] == entry, rank.get(pn[0], len(rank)), pn[0]),
        )
        for path, node in found:
            if path == owner or _reaches(trees, owner, path):
                continue  # the owner imports this file: importing back would be a cycle
            drops.setdefault(path, []).append((node, module_name(owner)))
            links.append(
                Link(
                    path=path,
                    fix=f"{path}: dropped its copy of `{name}`, imported from {owner}",
                    why=f"{owner} defines `{name}` too"
                    + (" (this copy was a stub)" if _is_stub(node) else ""),
                )
            )
    for path, dropped in drops.items():
        files[path] = _drop(files[path], dropped)
    return files, links


def _drop(source: str, dropped: list[tuple[_Definition, str]]) -> str:
    """`source` without the `dropped` definitions (and the comments introducing them),
    importing from each definition's owner module the ones the file still uses."""
    rows = source.splitlines(keepends=True)
    for node, _ in sorted(dropped, key=lambda d: -d[0].lineno):
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        while start > 1 and rows[start - 2].lstrip().startswith("#"):
            start -= 1
        rows[start - 1 : node.end_lineno] = []
    text = _tidy("".join(rows))
    used = _read_names(parse(text))
    # an unused import would fail the lint
    lines = [f"from {owner} import {node.name}" for node, owner in dropped if node.name in used]
    return with_imports(text, lines)


def with_imports(source: str, lines: list[str]) -> str:
    """`source` with the import `lines`: a name joins the file's own one-line
    `from M import ...` of its module when there is one, the rest are added after the imports."""
    rows = source.splitlines(keepends=True)
    try:
        tree = parse(source)
    except SyntaxError:
        return source
    rest = []
    for line in merged(lines):
        parts = line.split(" import ", 1)
        module = parts[0].removeprefix("from ") if line.startswith("from ") else None
        same = [
            node
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            and module is not None
            and node.module == module
            and not node.level
            and node.lineno == node.end_lineno
            and all(a.asname is None for a in node.names)
        ]
        if not same:
            rest.append(line)
            continue
        node = same[0]
        names = sorted({a.name for a in node.names} | set(parts[1].split(", ")))
        rows[node.lineno - 1] = f"from {module} import {', '.join(names)}\n"
    text = "".join(rows)
    return (add_imports(text, rest) or text) if rest else text


def merged(lines: list[str]) -> list[str]:
    """Import lines with each module's `from M import a` lines made one, sorted."""
    names: dict[str, list[str]] = {}
    others = []
    for line in lines:
        parts = line.split()
        if len(parts) == 4 and parts[0] == "from" and parts[2] == "import":
            names.setdefault(parts[1], []).append(parts[3])
        else:
            others.append(line)
    joined = [f"from {m} import {', '.join(sorted(set(n)))}" for m, n in names.items()]
    return sorted(set(others)) + sorted(joined)


def _tidy(text: str) -> str:
    """`text` with runs of blank lines cut to two, as after a definition was taken out."""
    out: list[str] = []
    for row in text.splitlines(keepends=True):
        if not row.strip() and len(out) >= 2 and not out[-1].strip() and not out[-2].strip():
            continue
        out.append(row)
    return "".join(out).rstrip("\n") + "\n"


def _read_names(tree: ast.Module) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _is_stub(node: _Definition) -> bool:
    """A function whose body does nothing (`pass`, `...`, a docstring, raising
    NotImplementedError); a class whose methods all are."""
    if isinstance(node, ast.ClassDef):
        methods = [n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        return bool(methods) and all(_is_stub(m) for m in methods)
    for statement in node.body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # a docstring, or `...`
        if isinstance(statement, ast.Raise) and "NotImplementedError" in ast.unparse(statement):
            continue
        return False
    return True


def _reaches(trees: dict[str, ast.Module], start: str, target: str) -> bool:
    """Whether module `start` imports `target`, directly or through other repository files."""
    by_name = {module_name(p): p for p in trees}
    seen, todo = {start}, [start]
    while todo:
        for name in imported_modules(trees[todo.pop()]):
            path = by_name.get(name)
            if path == target:
                return True
            if path is not None and path not in seen:
                seen.add(path)
                todo.append(path)
    return False


def _config_imports(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    """`from config import config` (or `import config`) where the repository has a
    config.yaml and no config.py: the code means the settings, and would otherwise import an
    unrelated package of that name. The statement becomes the settings, read from the file."""
    if "config.yaml" not in files or "config.py" in files or "config/__init__.py" in files:
        return files, []
    links = []
    for path, tree in _modules(files).items():
        found = [
            node
            for node in tree.body
            if (isinstance(node, ast.Import) and [a.name for a in node.names] == ["config"])
            or (
                isinstance(node, ast.ImportFrom)
                and node.module == "config"
                and [(a.name, a.asname) for a in node.names] == [("config", None)]
            )
        ]
        if not found:
            continue
        depth = path.count("/")
        where = f"Path(__file__).resolve().parents[{depth}]"
        load = f'config = yaml.safe_load(({where} / "config.yaml").read_text(encoding="utf-8"))'
        rows = files[path].splitlines(keepends=True)
        for node in reversed(found):
            rows[node.lineno - 1 : node.end_lineno] = []
        text = "".join(rows)
        needed = [line for line in ("import yaml", "from pathlib import Path") if line not in text]
        files[path] = add_imports(text, [*needed, load]) or files[path]  # after every import
        links.append(
            Link(
                path=path,
                fix=f"{path}: `{ast.unparse(found[0])}` reads config.yaml instead",
                why="the repository has config.yaml and no config module",
            )
        )
    return files, links


def _guard_calls(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    links = []
    for path, tree in _modules(files).items():
        if path == entry or is_test_file(path):
            continue
        calls = [
            node
            for node in tree.body
            if isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and not hasattr(builtins, node.value.func.id)
        ]
        if not calls:
            continue
        rows = files[path].splitlines(keepends=True)
        moved: list[str] = []
        for node in reversed(calls):
            moved.insert(0, "".join(rows[node.lineno - 1 : node.end_lineno]))
            rows[node.lineno - 1 : node.end_lineno] = []
        body = "".join(moved)
        guarded = "".join(f"    {row}" if row.strip() else row for row in body.splitlines(True))
        text = "".join(rows).rstrip("\n") + '\n\n\nif __name__ == "__main__":\n' + guarded
        files[path] = text if text.endswith("\n") else text + "\n"
        names = ", ".join(f"`{ast.unparse(n.value).split('(')[0]}()`" for n in calls)
        links.append(
            Link(
                path=path,
                fix=f"{path}: {names} at the top level now runs only under __main__",
                why="importing the module ran it",
            )
        )
    return files, links


def _import_undefined(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    links = []
    for path, tree in _modules(files).items():
        lines = []
        for name in sorted(_undefined(tree)):
            line = import_for(name, path, files)
            if line is not None:
                lines.append(line)
                links.append(Link(path=path, fix=f"{path}: added `{line}`", why=f"it uses {name}"))
        if lines:
            files[path] = with_imports(files[path], lines)
    return files, links


def _undefined(tree: ast.Module) -> set[str]:
    """Names the module reads and binds nowhere, builtins aside (a cautious reading: a name
    bound anywhere in the file counts as defined)."""
    read: set[str] = set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, _Definition):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            bound.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            bound.add(node.name)
    return {n for n in read - bound if not hasattr(builtins, n) and n != "__file__"}
