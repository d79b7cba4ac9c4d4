"""Linking the coded files into one program, mechanically (pure).

Each file is written in its own call, seeing only the interfaces of the files it depends on.
A 1.5B model, writing `main.py` for Adam, defined `load_data` and `adam` again (as stubs)
instead of importing them from `data.py` and `model.py`; `train.py` called `load_data`
without importing it, and `data.py` ran its own test at import. None of that takes thought:
a function defined twice keeps one owner (a real body over a stub, the file written first
over a later one) and the others import it; a name used and never bound is imported from the
one module that defines it; a bare call at a module's top level (not the entry point's) runs
only under `if __name__ == "__main__":`; a settings key config.yaml lacks is read under the
one key it has of that meaning. Each change is returned with its reason for the
run's record of fixes; the verification judges the result like any other code.
"""

from __future__ import annotations

import ast
import builtins
import itertools
import json
import re
from collections.abc import Callable, Collection, Iterator
from typing import Any, TypeGuard

import yaml
from pydantic import BaseModel, ConfigDict

from papercoder.agents.stubs import Stub, is_stub
from papercoder.grounding import canonical, carried_key
from papercoder.repair.autofix import add_imports, import_for, module_name
from papercoder.repair.digest import is_test_file
from papercoder.repair.hints import (
    binds,
    filled_call,
    local_names,
    required_parameters,
    trimmed_call,
)
from papercoder.repo import parse, parsed, source_lines, syntax_problem

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
    steps = (
        _config_imports, _config_keys, _own_once, _wrong_origin, _guard_calls, _import_undefined,
        _fit_calls,
    )  # fmt: skip
    for step in steps:
        files, links = step(files, order, entry)
        done += links
    return files, done


def _own_once(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    places = _definitions(files)
    rank = {path: i for i, path in enumerate(order)}
    graph = import_graph(files)
    importers = _importers(files)
    redirects: dict[str, list[tuple[str, str, str]]] = {}
    drops: dict[str, list[tuple[_Definition, str]]] = {}
    links = []
    for name, found in places.items():
        if len(found) < 2:
            continue
        owner, _ = min(
            found,
            key=lambda pn: (is_stub(pn[1]), pn[0] == entry, rank.get(pn[0], len(rank)), pn[0]),
        )
        for path, node in found:
            if path == owner or reaches(graph, owner, path):
                continue  # the owner imports this file: importing back would be a cycle
            users = importers.get((path, name), [])
            if any(u is None or u == owner or reaches(graph, owner, u) for u in users):
                continue  # imported from here in a way not rewritten, or by the owner: it stays
            for user in users:
                assert user is not None
                redirects.setdefault(user, []).append((module_name(path), name, owner))
                graph.setdefault(user, set()).add(owner)
            graph.setdefault(path, set()).add(owner)
            drops.setdefault(path, []).append((node, module_name(owner)))
            links.append(
                Link(
                    path=path,
                    fix=f"{path}: dropped its copy of `{name}`, imported from {owner}",
                    why=f"{owner} defines `{name}` too"
                    + (" (this copy was a stub)" if is_stub(node) else ""),
                )
            )
    for path, dropped in drops.items():
        files[path] = _drop(files[path], dropped)
    for user, moved in redirects.items():
        files[user] = _redirect(files[user], moved)
    return files, links


def _wrong_origin(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    """`from data import GCN` where data.py has no GCN and one other module defines it:
    imported from that module instead (distillation's test did `from main import
    load_data` of data.py's function). No cycle is made and the entry point is never the
    source; a name no module or several define is left for the checks."""
    places = _definitions(files)
    graph = import_graph(files)
    modules = {module_name(p): p for p in files if p.endswith(".py")}
    trees = dict(parsed(files))
    links = []
    for path, tree in trees.items():
        moved = []
        for node in tree.body:
            if (
                not isinstance(node, ast.ImportFrom)
                or node.level
                or node.module not in modules
                or node.lineno != node.end_lineno
            ):
                continue
            source = modules[node.module]
            bound = _top_bound(trees[source]) if source in trees else None
            if bound is None:
                continue  # unreadable, or a star import: what it binds is not known
            for alias in node.names:
                if alias.asname or alias.name in bound:
                    continue
                owners = {p for p, _ in places.get(alias.name, []) if p not in (entry, source)}
                submodule = f"{node.module}.{alias.name}" in modules
                if not (places.get(alias.name) or submodule or alias.name in _read_names(tree)):
                    moved.append((node.module, alias.name, ""))  # a test class's name, say
                    links.append(
                        Link(
                            path=path,
                            fix=f"{path}: dropped the import of `{alias.name}` from {source}",
                            why=f"no module defines {alias.name} and {path} never uses it:"
                            " the import only failed",
                        )
                    )
                    continue
                if len(owners) != 1:
                    continue
                owner = owners.pop()
                if owner == path or reaches(graph, owner, path):
                    continue
                moved.append((node.module, alias.name, owner))
                graph.setdefault(path, set()).add(owner)
                links.append(
                    Link(
                        path=path,
                        fix=f"{path}: imports `{alias.name}` from {owner}, not {source}",
                        why=f"{source} does not define {alias.name}; {owner} does",
                    )
                )
        if moved:
            files[path] = _redirect(files[path], moved)
    return files, links


def _top_bound(tree: ast.Module) -> set[str] | None:
    """The names a module binds at its top level; None when a star import hides them."""
    bound: set[str] = set()
    for node in tree.body:
        if isinstance(node, _Definition):
            bound.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            if any(a.name == "*" for a in node.names):
                return None
            bound |= {a.asname or a.name.split(".")[0] for a in node.names}
        else:
            bound |= {
                n.id
                for n in ast.walk(node)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
    return bound


def _definitions(files: dict[str, str]) -> dict[str, list[tuple[str, _Definition]]]:
    """Each public top-level function and class of the non-test modules, where it is."""
    places: dict[str, list[tuple[str, _Definition]]] = {}
    for path, tree in list(parsed(files)):
        if is_test_file(path):
            continue
        for node in tree.body:
            if not isinstance(node, _Definition) or node.name.startswith("_"):
                continue
            if node.name not in _KEEP_APART:
                places.setdefault(node.name, []).append((path, node))
    return places


def _redirect(source: str, moved: list[tuple[str, str, str]]) -> str:
    """`source` importing each (module, name) of `moved` from its owner file instead, or
    not at all where the owner is ""."""
    rows = source_lines(source)
    lines = []
    for node in parse(source).body:
        if not isinstance(node, ast.ImportFrom) or node.level:
            continue
        going = {(n, o) for m, n, o in moved if m == node.module}
        names = {n for n, _ in going}
        kept = [a.name for a in node.names if a.name not in names]
        if len(kept) == len(node.names):
            continue
        rows[node.lineno - 1] = f"from {node.module} import {', '.join(kept)}\n" if kept else ""
        lines += [
            f"from {module_name(o)} import {n}"
            for n, o in going
            if o and n in {a.name for a in node.names}
        ]
    return with_imports("".join(rows), lines)


def import_graph(files: dict[str, str]) -> dict[str, set[str]]:
    """Which repository files each Python file imports (relative imports resolved, and
    `from pkg import mod` counted as importing pkg/mod.py)."""
    paths = {module_name(p): p for p in files if p.endswith(".py")}
    graph: dict[str, set[str]] = {}
    for path, tree in list(parsed(files)):
        package = module_name(path).split(".")[:-1]
        if path.endswith("__init__.py"):
            package = module_name(path).split(".")
        found: set[str] = set()
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                names = [module, *(f"{module}.{a.name}" if module else a.name for a in node.names)]
            for name in names:
                parts = name.split(".")
                found.update(
                    paths[".".join(parts[:i])]
                    for i in range(1, len(parts) + 1)
                    if ".".join(parts[:i]) in paths
                )
        graph[path] = found - {path}
    return graph


def reaches(graph: dict[str, set[str]], start: str, target: str) -> bool:
    """Whether `start` imports `target`, directly or through other repository files."""
    seen, todo = {start}, [start]
    while todo:
        for path in graph.get(todo.pop(), set()):
            if path == target:
                return True
            if path not in seen:
                seen.add(path)
                todo.append(path)
    return False


def _importers(files: dict[str, str]) -> dict[tuple[str, str], list[str | None]]:
    """(file, name) → the files that do `from <file's module> import name`; None for one whose
    statement cannot be rewritten here (over several lines, or the name imported `as`)."""
    paths = {module_name(p): p for p in files if p.endswith(".py")}
    found: dict[tuple[str, str], list[str | None]] = {}
    for user, tree in list(parsed(files)):
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and not node.level and node.module in paths:
                simple = node.lineno == node.end_lineno
                for alias in node.names:
                    ok = simple and alias.asname is None
                    found.setdefault((paths[node.module], alias.name), []).append(
                        user if ok else None
                    )
    return found


def _drop(source: str, dropped: list[tuple[_Definition, str]]) -> str:
    """`source` without the `dropped` definitions (and the comments introducing them),
    importing from each definition's owner module the ones the file still uses."""
    rows = source_lines(source)
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
    rows = source_lines(source)
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
    for row in source_lines(text):
        if not row.strip() and len(out) >= 2 and not out[-1].strip() and not out[-2].strip():
            continue
        out.append(row)
    return "".join(out).rstrip("\n") + "\n"


def _read_names(tree: ast.Module) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _config_imports(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    """`from config import config` (or sections of it, `from config import training`) where
    the repository has a config.yaml and no config.py: the code means the settings, and would
    otherwise import an unrelated package of that name. The statement becomes the settings,
    read from the file, and each section a name for its part of them."""
    if "config.yaml" not in files or "config.py" in files or "config/__init__.py" in files:
        return files, []
    try:
        settings = yaml.safe_load(files["config.yaml"])
    except yaml.YAMLError:
        settings = None
    sections = set(settings) if isinstance(settings, dict) else set()
    links = []
    for path, tree in list(parsed(files)):
        found = [
            node
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            and _SETTINGS_MODULE.match(node.module or "")
            and not node.level
            and all(
                (a.name == "config" and a.asname in (None, "config"))
                or (a.name in sections and a.name != "config" and a.asname != "config")
                or (_LOADER.match(a.name) and _only_called(tree, a.asname or a.name))
                for a in node.names
            )
        ]
        if not found:
            continue
        depth = path.count("/")
        read = f'yaml.safe_load((Path(__file__).resolve().parents[{depth}] / "config.yaml")' + (
            '.read_text(encoding="utf-8"))'
        )
        names = [a for node in found for a in node.names]
        loaders = [a.asname or a.name for a in names if _LOADER.match(a.name)]
        parts = [a for a in names if a.name != "config" and not _LOADER.match(a.name)]
        load = [f"config = {read}"] if len(loaders) < len(names) else []
        load += [
            f"{a.asname or a.name} = config[{json.dumps(a.name, ensure_ascii=False)}]"
            for a in parts
        ]
        load += [
            f"\n\ndef {name}(*_args, **_kwargs):\n"
            f'    """The settings in config.yaml, whatever the call passes."""\n'
            f"    return {read}"
            for name in loaders
        ]
        rows = source_lines(files[path])
        for node in reversed(found):
            rows[node.lineno - 1 : node.end_lineno] = []
        bound = {
            a.asname or a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in n.names
        }
        needed = [
            line
            for line, name in (("import yaml", "yaml"), ("from pathlib import Path", "Path"))
            if name not in bound
        ]
        text = add_imports("".join(rows), needed) or "".join(rows) if needed else "".join(rows)
        files[path] = _after_imports(text, "\n".join(load))
        links.append(
            Link(
                path=path,
                fix=f"{path}: `{ast.unparse(found[0])}` reads config.yaml instead",
                why="the repository has config.yaml and no config module",
            )
        )
    return files, links


# what the code calls the settings when it imports them: `config`, or the file itself as a
# module path (gcn's test: `from tests.config.yaml import smoke`)
_SETTINGS_MODULE = re.compile(r"^(?:config|(?:\w+\.)*config\.ya?ml)$")
# what a settings loader is called (`from config import load_config`)
_LOADER = re.compile(
    r"^(?:load|get|read|parse|open)_?(?:the_)?"
    r"(?:config|configuration|settings|cfg|conf|params|hparams|hyperparameters)(?:_file|_yaml)?$"
)


def _only_called(tree: ast.Module, name: str) -> bool:
    """Whether `tree` uses `name` only to call it, and at least once."""
    called = {
        id(n.func)
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]
    return bool(uses) and all(id(u) in called for u in uses)


def _after_imports(source: str, line: str) -> str:
    """`source` with `line` after its last top-level import."""
    tree = parse(source)
    last = max(
        (n.end_lineno or n.lineno for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)),
        default=0,
    )
    rows = source_lines(source)
    rows[last:last] = [f"{line}\n"]
    return "".join(rows)


def _guard_calls(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    links = []
    for path, tree in list(parsed(files)):
        if path == entry or is_test_file(path):
            continue
        calls = _trailing_calls(tree)
        if not calls:
            continue
        rows = source_lines(files[path])
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


def _trailing_calls(tree: ast.Module) -> list[ast.Expr]:
    """The module's bare calls of its own functions (`test_data()`) that nothing after them
    at the top level needs: only definitions, imports and other such calls follow. A call
    sharing its line with another statement is left alone."""
    calls: list[ast.Expr] = []
    lines: dict[int, int] = {}
    for node in tree.body:
        for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
            lines[line] = lines.get(line, 0) + 1
    for node in reversed(tree.body):
        if isinstance(node, _Definition | ast.Import | ast.ImportFrom):
            continue
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and not hasattr(builtins, node.value.func.id)
        ):
            if any(lines[n] > 1 for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)):
                break
            calls.insert(0, node)
            continue
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
            continue  # the module's own main guard
        break
    return calls


def _fit_calls(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    """A call of a repository function (or class) that cannot bind to its one definition is
    made to: the parameters it misses filled from the caller's variables of those names, or
    what it passes that the function has no parameter for left out (gcn's main.py passed five
    arguments to `def train_model()`). Such a call raises TypeError every time, so no working
    call is changed; only calls on one line of a plain name imported from, or defined in, the
    repository's one definition of it."""
    definitions: dict[str, list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]] = {}
    for path, tree in parsed(files):
        for node in tree.body:
            function = _callable(node)
            if function is not None and isinstance(node, _Definition) and not is_test_file(path):
                definitions.setdefault(node.name, []).append((path, function))
    unique = {name: found[0] for name, found in definitions.items() if len(found) == 1}
    modules = {module_name(p): p for p in files if p.endswith(".py")}
    links = []
    for path, tree in list(parsed(files)):
        known = {
            alias.asname or alias.name: unique[alias.name][1]
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and not node.level and node.module in modules
            for alias in node.names
            if alias.name in unique and unique[alias.name][0] == modules[node.module]
        }
        known |= {name: f for name, (where, f) in unique.items() if where == path}
        rows = source_lines(files[path])
        made = []
        for caller, call in sorted(_calls(tree), key=lambda c: -c[1].col_offset):
            name = call.func.id if isinstance(call.func, ast.Name) else ""
            function = known.get(name)
            if function is None or call.lineno != call.end_lineno or binds(call, function):
                continue
            names = local_names(caller) if caller is not None else set()
            new = filled_call(call, required_parameters(function), names) or trimmed_call(
                call, function
            )
            fitted = _call_of(new) if new is not None else None
            if new is None or fitted is None or not binds(fitted, function):
                continue
            row = rows[call.lineno - 1].encode("utf-8")
            start, end = call.col_offset, call.end_col_offset or 0
            old = row[start:end].decode("utf-8")
            rows[call.lineno - 1] = (row[:start] + new.encode("utf-8") + row[end:]).decode("utf-8")
            shown = ast.unparse(function.args)
            made.append(
                Link(
                    path=path,
                    fix=f"{path}:{call.lineno}: `{old}` is now `{new}`",
                    why=f"{name} takes ({shown}): the call raised TypeError",
                )
            )
        text = "".join(rows)
        if made and syntax_problem(text, path) is None:
            files[path] = text
            links += sorted(made, key=lambda k: k.fix)
    return files, links


def _callable(node: ast.stmt) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """What calling a top-level definition calls: the function, or a class's `__init__`."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node
    if isinstance(node, ast.ClassDef):
        return next(
            (n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
            None,
        )
    return None


def _calls(
    tree: ast.Module,
) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef | None, ast.Call]]:
    """Each call, with the function it is made in (None at the top level); a call inside a
    nested function counts for the innermost one."""
    seen: set[int] = set()
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    for function in sorted(functions, key=lambda f: -f.col_offset):  # innermost first
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and id(node) not in seen:
                seen.add(id(node))
                yield function, node
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and id(node) not in seen:
            yield None, node


def _call_of(text: str) -> ast.Call | None:
    try:
        body = parse(text).body
    except SyntaxError:
        return None
    if len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call):
        return body[0].value
    return None


def _import_undefined(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    links = []
    graph = import_graph(files)
    paths = {module_name(p): p for p in files if p.endswith(".py")}
    for path, tree in list(parsed(files)):
        if any(isinstance(n, ast.ImportFrom) and n.names[0].name == "*" for n in ast.walk(tree)):
            continue  # what the star brings in is not known here
        lines = []
        for name in sorted(undefined_names(tree)):
            line = import_for(name, path, files)
            source = paths.get(line.split()[1]) if line and line.startswith("from ") else None
            if source is not None and (source == entry or reaches(graph, source, path)):
                continue  # importing the entry point runs the program; or a cycle
            if line is not None:
                if source is not None:
                    graph.setdefault(path, set()).add(source)
                lines.append(line)
                links.append(Link(path=path, fix=f"{path}: added `{line}`", why=f"it uses {name}"))
        if lines:
            files[path] = with_imports(files[path], lines)
    return files, links


def undefined_names(tree: ast.Module) -> set[str]:
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


def called_undefined(source: str) -> list[tuple[str, list[str]]]:
    """The functions `source` calls by a plain lower-case name that nothing binds and no
    module defines (what linking left undefined), each with parameter names read from its
    first call: `save_model(model, path=out)` → ("save_model", ["model", "path"])."""
    try:
        tree = parse(source)
    except SyntaxError:
        return []
    undefined = {n for n in undefined_names(tree) if n[:1].islower() or n[:1] == "_"}
    calls = sorted(
        (
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in undefined
        ),
        key=lambda n: (n.lineno, n.col_offset),
    )
    found: dict[str, list[str]] = {}
    for call in calls:
        name = call.func.id  # type: ignore[attr-defined]
        if name in found or any(isinstance(a, ast.Starred) for a in call.args):
            continue
        found[name] = _call_words(call)
    return list(found.items())


def with_functions(source: str, functions: list[tuple[str, list[str]]]) -> str:
    """`source` with a stub of each of `functions` after its imports, to be written out."""
    block = "\n\n\n".join(
        f"def {name}({', '.join(params)}):\n    raise NotImplementedError"
        for name, params in functions
    )
    return _after_imports(source, f"\n\n{block}")


_CONFIG_ROOTS = ("conf", "cfg", "settings", "hparams")


def _config_keys(
    files: dict[str, str], order: list[str], entry: str | None
) -> tuple[dict[str, str], list[Link]]:
    """A key path read from the settings (`config["training"]["layers"]`) that config.yaml
    does not have becomes the one key it has under a name that means the same
    (`config["paper"]["num_layers"]`). Each file is written apart from config.yaml's final
    shape, and a small model spells the keys as it likes; a key with no such match, or more
    than one, is left for the repair loop."""
    try:
        settings = yaml.safe_load(files.get("config.yaml", "")) if "config.yaml" in files else None
    except yaml.YAMLError:
        return files, []
    if not isinstance(settings, dict):
        return files, []
    paths = set(_key_paths(settings))
    leaves = [p for p in paths if not isinstance(_at(settings, p), dict)]
    links = []
    for path, tree in list(parsed(files)):
        edits: list[tuple[ast.Subscript, ast.expr, tuple[str, ...]]] = []
        for node, root, keys in _key_reads(tree):
            if keys in paths:
                continue
            found = _meaning(keys, leaves)
            if found is not None:
                edits.append((node, root, found))
        rows = source_lines(files[path])
        made = []
        for node, root, found in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset))[::-1]:
            row = rows[node.lineno - 1].encode("utf-8")
            start, end = root.end_col_offset or 0, node.end_col_offset or 0
            old = row[start:end].decode("utf-8")
            quote = old[1] if old[1:2] in ("'", '"') else '"'  # an f-string's inner quote stays
            if any(quote in k or "\\" in k for k in found):
                continue
            new = "".join(f"[{quote}{k}{quote}]" for k in found)
            rows[node.lineno - 1] = (row[:start] + new.encode("utf-8") + row[end:]).decode("utf-8")
            made.append(
                Link(
                    path=path,
                    fix=f"{path}:{node.lineno}: {ast.unparse(root)}{old} reads "
                    f"{ast.unparse(root)}{new}",
                    why=f"config.yaml has no {'.'.join(_keys(node)[1])}; "
                    f"{'.'.join(found)} is its one key of that meaning",
                )
            )
        text = "".join(rows)
        if made and syntax_problem(text, path) is None:
            files[path] = text
            links += made[::-1]
    return files, links


def _key_paths(settings: dict[Any, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, value in settings.items():
        path = (*prefix, str(key))
        yield path
        if isinstance(value, dict):
            yield from _key_paths(value, path)


def _at(settings: dict[Any, Any], path: tuple[str, ...]) -> Any:
    value: Any = settings
    for key in path:
        value = value[key]
    return value


def _keys(node: ast.Subscript) -> tuple[ast.expr, tuple[str, ...]]:
    """The root of a chain of string subscripts and its keys, outermost last."""
    keys: list[str] = []
    current: ast.expr = node
    while (
        isinstance(current, ast.Subscript)
        and isinstance(current.slice, ast.Constant)
        and isinstance(current.slice.value, str)
    ):
        keys.append(current.slice.value)
        current = current.value
    return current, tuple(keys[::-1])


def _key_reads(tree: ast.Module) -> Iterator[tuple[ast.Subscript, ast.expr, tuple[str, ...]]]:
    """Each whole chain of string keys read, on one line, from a name that holds the whole
    settings (see `_settings_names`)."""
    names = _settings_names(tree)
    inner = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Subscript)
    }
    for node in ast.walk(tree):
        if (
            not isinstance(node, ast.Subscript)
            or id(node) in inner
            or not isinstance(node.ctx, ast.Load)
            or node.lineno != node.end_lineno
        ):
            continue
        root, keys = _keys(node)
        if keys and isinstance(root, ast.Name) and root.id in names:
            yield node, root, keys


def _settings_names(tree: ast.Module) -> set[str]:
    """The names that hold the whole settings in this file: every binding of each loads them
    (`config = yaml.safe_load(...)`, `cfg = load_config()`) or imports a settings object
    (`from utils import config`). A name also bound another way (a parameter, a section
    `cfg = config["model"]`, `.get`, a dict of its own) or whose keys the file sets may hold
    a section or keys config.yaml never had, and is left alone."""
    parents = {id(c): n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
    good: set[str] = set()
    bad: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            parent = parents.get(id(node))
            loaded = (
                (isinstance(parent, ast.Assign) and node in parent.targets)
                or (isinstance(parent, ast.AnnAssign) and parent.target is node)
            ) and _loads(getattr(parent, "value", None))
            (good if loaded else bad).add(node.id)
        elif isinstance(node, ast.arg):
            bad.add(node.arg)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                ours = isinstance(node, ast.ImportFrom) and any(
                    w in alias.name.lower() for w in _CONFIG_ROOTS
                )
                (good if ours else bad).add(name)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bad.add(node.name)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
            root, _ = _keys(node)
            if isinstance(root, ast.Name):
                bad.add(root.id)
    return good - bad


def _loads(value: ast.expr | None) -> bool:
    """Whether `value` reads the whole settings: a call that loads or reads them."""
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name != "get" and any(word in name.lower() for word in ("load", "read"))


def _meaning(keys: tuple[str, ...], leaves: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The one leaf whose name means what the last key says: the same name, or a name of the
    same known hyperparameter (dropout_rate and Pdrop are dropout; head_dim is not heads); a
    tie goes to the leaf in the section the keys name."""
    wanted = carried_key(keys[-1])
    best: list[tuple[int, tuple[str, ...]]] = []
    for leaf in leaves:
        if canonical(leaf[-1]) == canonical(keys[-1]):
            score = 2
        elif wanted is not None and carried_key(leaf[-1]) == wanted:
            score = 1
        else:
            continue
        best.append((score * 2 + (leaf[:-1] == keys[:-1]), leaf))
    if not best:
        return None
    top = max(score for score, _ in best)
    winners = [leaf for score, leaf in best if score == top]
    return winners[0] if len(winners) == 1 else None


_Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef


def missing_methods(files: dict[str, str]) -> dict[str, list[tuple[str, str, list[str]]]]:
    """Methods the code calls on an instance of a repository class that the class lacks
    (train.py's `model.update_weights(grads)` on a GCN that defines no update_weights), by
    the file that defines the class: (class, method, parameter names read from the first
    call, `self` first). Only where the reading is sure: the variable is assigned nothing
    but that class's instances in its scope and is no parameter there, and the class and
    its bases are the repository's own, with no `__getattr__`."""
    classes: dict[str, list[tuple[str, ast.ClassDef]]] = {}
    for path, tree in parsed(files):
        if not is_test_file(path):
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    classes.setdefault(node.name, []).append((path, node))
    own = {name: places[0] for name, places in classes.items() if len(places) == 1}
    found: dict[tuple[str, str], list[str]] = {}
    for path, tree in parsed(files):
        made = _constructors(path, tree, own)
        for scope in [tree, *(n for n in ast.walk(tree) if isinstance(n, _Function))]:
            for cls, call in _instance_calls(scope, own, made):
                members = _all_members(cls, own)
                if members is None or call.func.attr in members:  # type: ignore[attr-defined]
                    continue
                if any(isinstance(a, ast.Starred) for a in call.args):
                    continue
                found.setdefault((cls, call.func.attr), ["self", *_call_words(call)])  # type: ignore[attr-defined]
    for cls, call in _missing_self_calls(own):
        found.setdefault((cls, call.func.attr), ["self", *_call_words(call)])  # type: ignore[attr-defined]
    by_file: dict[str, list[tuple[str, str, list[str]]]] = {}
    for (cls, method), params in found.items():
        by_file.setdefault(own[cls][0], []).append((cls, method, params))
    return by_file


_Function = ast.FunctionDef | ast.AsyncFunctionDef


def _missing_self_calls(own: dict[str, tuple[str, ast.ClassDef]]) -> Iterator[tuple[str, ast.Call]]:
    """(class, call) for each `self.method(...)` in a repository class that lacks `method`."""
    for cls, (_, node) in own.items():
        members = _all_members(cls, own)
        if members is not None:
            yield from ((cls, c) for c in _self_calls(node) if c.func.attr not in members)  # type: ignore[attr-defined]


def _self_calls(node: ast.ClassDef) -> Iterator[ast.Call]:
    """Each `self.method(...)` in the methods of `node` (adam's loss calling the
    `self.softmax` no method of its Model wrote), `self` being the method's first parameter;
    not in a static or class method, nor in a function or class nested in a method."""
    for method in node.body:
        if not isinstance(method, _Function) or not method.args.args:
            continue
        if _static(method):
            continue
        me = method.args.args[0].arg
        todo: list[ast.AST] = list(method.body)  # a lambda's body counts: it sees self
        calls = []
        while todo:
            child = todo.pop()
            if not isinstance(child, _Definition):
                todo.extend(ast.iter_child_nodes(child))
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and isinstance(child.func.value, ast.Name)
                and child.func.value.id == me
                and not any(isinstance(a, ast.Starred) for a in child.args)
            ):
                calls.append(child)
        yield from sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _instance_calls(
    scope: _Scope,
    own: dict[str, tuple[str, ast.ClassDef]],
    made: Callable[[ast.expr], str | None],
) -> Iterator[tuple[str, ast.Call]]:
    """(class, call) for each `variable.method(...)` in `scope` (its nested functions and
    classes aside) where `variable` holds an instance of the repository class `class` and
    nothing else there."""
    nodes = sorted(
        _scope_nodes(scope), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))
    )
    typed = _typed_variables(nodes, made)
    if isinstance(scope, _Function):
        args = scope.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        for a in every:
            if a is not None:
                typed.pop(a.arg, None)
    for node in nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and typed.get(node.func.value.id) in own
        ):
            yield typed[node.func.value.id], node


def _typed_variables(
    nodes: list[ast.AST], made: Callable[[ast.expr], str | None]
) -> dict[str, str]:
    """The variables among `nodes` assigned nothing but instances of one class, and it."""
    kinds: dict[str, set[str | None]] = {}
    direct = set()
    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    direct.add(id(target))
                    kinds.setdefault(target.id, set()).add(made(node.value))
    for node in nodes:
        if isinstance(node, ast.Global | ast.Nonlocal):
            for bound in node.names:
                kinds.setdefault(bound, set()).add(None)
        elif (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Store)
            and id(node) not in direct
        ):  # bound another way: unpacking, for, with, :=
            kinds.setdefault(node.id, set()).add(None)
    return {
        var: str(next(iter(made)))
        for var, made in kinds.items()
        if len(made) == 1 and None not in made
    }


def _scope_nodes(scope: _Scope) -> Iterator[ast.AST]:
    """Every node of `scope` but those of the functions and classes it defines."""
    todo: list[ast.AST] = list(scope.body)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, _Definition | ast.Lambda):
            todo.extend(ast.iter_child_nodes(node))


def _constructors(
    path: str, tree: ast.Module, own: dict[str, tuple[str, ast.ClassDef]]
) -> Callable[[ast.expr], str | None]:
    """What tells, in the file `path`, which repository class an expression makes: `C(...)`
    with `C` imported from the class's own file (or defined in this one), `module.C(...)`
    with `module` that file; torch's `optim.Adam(...)` makes no repository Adam."""
    names: dict[str, str] = {}
    modules: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                if a.name in own and module_name(own[a.name][0]) == node.module:
                    names[a.asname or a.name] = a.name
        elif isinstance(node, ast.Import):
            modules.update({a.asname or a.name: a.name for a in node.names})
        elif isinstance(node, ast.ClassDef) and own.get(node.name, ("",))[0] == path:
            names[node.name] = node.name

    def made(value: ast.expr) -> str | None:
        if not isinstance(value, ast.Call):
            return None
        func = value.func
        if isinstance(func, ast.Name):
            return names.get(func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module = modules.get(func.value.id)
            if module and func.attr in own and module_name(own[func.attr][0]) == module:
                return func.attr
        return None

    return made


def _all_members(cls: str, own: dict[str, tuple[str, ast.ClassDef]]) -> set[str] | None:
    """What `cls` and its bases define, or None when a base is not the repository's own (a
    torch Module has methods no file shows), or a `__getattr__` answers anything."""
    members: set[str] = set()
    seen: set[str] = set()
    todo = [cls]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name == "object":
            continue
        if name not in own:
            return None
        node = own[name][1]
        if node.keywords or any(not isinstance(b, ast.Name) for b in node.bases):
            return None  # a metaclass, or a base from another module
        body = members_of(node)
        if body & {"__getattr__", "__getattribute__"}:
            return None
        members |= body
        todo += [b.id for b in node.bases if isinstance(b, ast.Name)]
    return members


def members_of(node: ast.ClassDef) -> set[str]:
    """What an instance of `node` has by name: its methods and class attributes, and each
    attribute a method sets on it (`self.act = np.tanh`, which may hold a callable)."""
    names: set[str] = set()
    for item in node.body:
        if isinstance(item, _Definition):
            names.add(item.name)
        elif isinstance(item, ast.Assign | ast.AnnAssign):
            targets = item.targets if isinstance(item, ast.Assign) else [item.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    for each in ast.walk(node):  # self.x = ... anywhere: an attribute that may hold a callable
        if isinstance(each, ast.Attribute) and isinstance(each.ctx, ast.Store):
            names.add(each.attr)
    return names


def _call_words(call: ast.Call) -> list[str]:
    """Parameter names for a function written from its call: an argument's own name where it
    has one, `argN` where not, then the keywords."""
    params: list[str] = []
    for i, arg in enumerate(call.args):
        word = arg.id if isinstance(arg, ast.Name) else getattr(arg, "attr", "")
        if word in params or not word.isidentifier() or word == "self":
            word = next(f"arg{n}" for n in itertools.count(i) if f"arg{n}" not in params)
        params.append(word)
    params += [k.arg for k in call.keywords if k.arg is not None and k.arg not in params]
    return params


def unset_attributes(source: str) -> list[tuple[str, list[str]]]:
    """For each class of `source` whose methods read attributes of self (not call them)
    that nothing sets first (adam's step reading `self.t` and `self.m[name]`, its moments,
    which __init__ never made): the class and those attributes, in the order first read.
    An attribute is set by __init__, or by a method that does not read it (`self.v =
    self.v * b` reads v before it sets it, as does `self.t += 1`). Only where the reading
    is sure: a class with no bases and no `__getattr__`, `__slots__`, `setattr`, `hasattr`
    or `__dict__`."""
    try:
        tree = parse(source)
    except SyntaxError:
        return []
    found = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.bases or node.keywords:
            continue
        defined = {n.name for n in node.body if isinstance(n, _Definition)}
        defined |= _members_of_class_body(node)
        if defined & {"__getattr__", "__getattribute__", "__slots__"} or re.search(
            r"\b(setattr|hasattr)\(|__dict__", ast.unparse(node)
        ):
            continue
        set_first: set[str] = set()
        read: list[tuple[int, int, str]] = []
        for method in node.body:
            if isinstance(method, _Function) and method.args.args and not _static(method):
                stored, reads = _self_attributes(method)
                set_first |= stored
                read += reads
        missing = [a for _, _, a in sorted(read) if a not in set_first | defined]
        if missing:
            found.append((node.name, list(dict.fromkeys(missing))))
    return found


def _self_attributes(method: _Function) -> tuple[set[str], list[tuple[int, int, str]]]:
    """The attributes of self `method` sets before it reads them, and those it reads (not
    calls), with where. An assignment sets its targets where it ends: `self.v = self.v * b`
    reads v first, as `self.t += 1` reads t."""
    me = method.args.args[0].arg
    called = {id(c.func) for c in ast.walk(method) if isinstance(c, ast.Call)}
    augmented = {id(n.target) for n in ast.walk(method) if isinstance(n, ast.AugAssign)}
    stores: dict[str, tuple[int, int]] = {}
    for statement in ast.walk(method):
        targets: list[ast.expr | None] = []
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = (
                [*statement.targets] if isinstance(statement, ast.Assign) else [statement.target]
            )
            end = (statement.end_lineno or 0, statement.end_col_offset or 0)
        elif isinstance(statement, ast.For | ast.With):
            targets = (
                [statement.target]
                if isinstance(statement, ast.For)
                else [i.optional_vars for i in statement.items]
            )
            end = (statement.lineno, statement.col_offset + 1)  # before its body
        for target in filter(None, targets):
            for child in ast.walk(target):
                if _on(child, me) and isinstance(child.ctx, ast.Store):
                    name = child.attr
                    stores[name] = min(stores.get(name, end), end)
    read = [
        (child.lineno, child.col_offset, child.attr)
        for child in ast.walk(method)
        if _on(child, me)
        and id(child) not in called  # a method: missing_methods' to find
        and (not isinstance(child.ctx, ast.Store) or id(child) in augmented)
    ]
    first = {name: min((r, c) for r, c, n in read if n == name) for _, _, name in read}
    stored = {name for name, at in stores.items() if name not in first or at < first[name]}
    return stored, read


def _static(method: _Function) -> bool:
    """Whether `method` is a static or class method (its first parameter is no instance)."""
    return bool({ast.unparse(d) for d in method.decorator_list} & {"staticmethod", "classmethod"})


def _on(node: ast.AST, me: str) -> TypeGuard[ast.Attribute]:
    """Whether `node` is an attribute of the name `me` (`self.x`)."""
    return (
        isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == me
    )


def unset_in_init(source: str) -> list[Stub]:
    """Each `__init__` of a class whose methods read attributes none of them sets
    (unset_attributes), as a function to write again: set them, keeping what it sets."""
    try:
        tree = parse(source)
    except SyntaxError:
        return []
    found = []
    for name, attributes in unset_attributes(source):
        node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)
        init = next(
            (n for n in node.body if isinstance(n, _Function) and n.name == "__init__"), None
        )
        if init is None:
            continue
        listed = ", ".join(f"self.{a}" for a in attributes)
        why = (
            f"does not set {listed}, which the class's other methods read before anything"
            " sets them; keep all it sets now, and set each of these to its starting value"
        )
        found.append(
            Stub(
                name="__init__",
                qualname=f"{name}.__init__",
                line=init.lineno,
                why=why,
                faults=len(attributes),
            )
        )
    return found


def undefined_reads(source: str) -> list[Stub]:
    """The functions and methods of `source` that read a name nothing binds (adam's
    `__init__` drawing its weights from an `rng` it never made), as functions to write
    again; a name only called is `called_undefined`'s, and a file with a star import is
    passed over (what the star brings in is not known)."""
    try:
        tree = parse(source)
    except SyntaxError:
        return []
    if any(isinstance(n, ast.ImportFrom) and n.names[0].name == "*" for n in ast.walk(tree)):
        return []
    undefined = undefined_names(tree)
    found = []
    for node, owner in _functions_with_owner(tree):
        names = read_undefined(node, undefined)
        if names:
            listed = ", ".join(f"`{n}`" for n in names)
            why = f"reads {listed}, which nothing defines; define each before it is used"
            found.append(
                Stub(
                    name=node.name,
                    qualname=owner + node.name,
                    line=node.lineno,
                    why=why,
                    faults=len(names),
                )
            )
    return found


def read_undefined(function: ast.AST, undefined: Collection[str]) -> list[str]:
    """The names of `undefined` that `function` reads, not only calls, sorted."""
    called = {id(c.func) for c in ast.walk(function) if isinstance(c, ast.Call)}
    return sorted(
        {
            n.id
            for n in ast.walk(function)
            if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)
            and n.id in undefined
            and id(n) not in called
        }
    )


def _functions_with_owner(tree: ast.Module) -> Iterator[tuple[_Function, str]]:
    """The module's functions and its classes' methods, with `Class.` for a method."""
    for node in tree.body:
        if isinstance(node, _Function):
            yield node, ""
        elif isinstance(node, ast.ClassDef):
            yield from ((m, f"{node.name}.") for m in node.body if isinstance(m, _Function))


def unfinished(source: str, *more: Callable[[str], list[Stub]]) -> list[Stub]:
    """The functions of `source` to write again, once each: an `__init__` that leaves unset
    what the other methods read (unset_in_init), a function reading names nothing defines
    (undefined_reads), and what `more` finds, said in one `why` when several hold, asked
    afresh with the first start of a body one of them shows (gcn's predict, told beside its
    own body of the `W1` it never read, came back as it was, twice, while the start that
    reads each array was another finding's, papers-48)."""
    merged: dict[str, Stub] = {}
    found = [*unset_in_init(source), *undefined_reads(source)]
    for stub in [*found, *(stub for find in more for stub in find(source))]:
        if (known := merged.get(stub.qualname)) is not None:
            why, faults = f"{known.why}; and it {stub.why}", known.faults + stub.faults
            shown = {"afresh": True, "shown": stub.shown} if stub.shown and not known.shown else {}
            stub = known.model_copy(update={"why": why, "faults": faults, **shown})
        merged[stub.qualname] = stub
    return sorted(merged.values(), key=lambda s: s.line)


def _members_of_class_body(node: ast.ClassDef) -> set[str]:
    """The names the body of class `node` assigns (class attributes)."""
    names: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.Assign | ast.AnnAssign):
            targets = item.targets if isinstance(item, ast.Assign) else [item.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def with_methods(source: str, methods: list[tuple[str, str, list[str]]]) -> str:
    """`source` with a stub of each of `methods` (class, name, parameters) at the end of its
    class, to be written out."""
    tree = parse(source)
    rows = source_lines(source)
    for node in sorted(
        (n for n in tree.body if isinstance(n, ast.ClassDef)), key=lambda n: -n.lineno
    ):
        wanted = [(m, p) for c, m, p in methods if c == node.name]
        if not wanted:
            continue
        first = node.body[0]
        if first.lineno == node.lineno:
            continue  # `class A: pass`: no indentation to follow
        indent = rows[first.lineno - 1][: first.col_offset]
        end = node.end_lineno or node.lineno
        body = f"{indent}{indent}raise NotImplementedError"
        block = "".join(
            f"\n{indent}def {name}({', '.join(params)}):\n{body}\n" for name, params in wanted
        )
        if end and not rows[end - 1].endswith("\n"):
            rows[end - 1] += "\n"
        rows[end:end] = [block]
    written = "".join(rows)
    return written if syntax_problem(written, "") is None else source
