"""Hints a tool can add to a failure (pure): the names that do exist where a name is missing.

A small model told `"MLP" has no attribute "backward"` rewrites the file unchanged; told also
that MLP has `forward`, `gradients` and `predict`, it picks `gradients`. The same for a name
imported from a module that lacks it, and for a config key that config.yaml does not have.
"""

from __future__ import annotations

import ast
import difflib
import re

import yaml

from papercoder.repo import parse, parsed
from papercoder.requirements import pip_name
from papercoder.verify.diagnostics import Diagnostic

_ATTRIBUTE = re.compile(
    r"""(?:"(?P<cls>\w+)" has no attribute|'(?P<cls2>\w+)' object has no attribute)"""
    r"""\s+["'](?P<name>\w+)["']"""
)
_MODULE = re.compile(
    r"""(?:Module "(?P<mod>[\w.]+)" has no attribute "(?P<name>\w+)")"""
    r"""|(?:cannot import name '(?P<name2>\w+)' from '(?P<mod2>[\w.]+)')"""
    r"""|(?:module '(?P<mod3>[\w.]+)' has no attribute '(?P<name3>\w+)')"""
)
_CALL = re.compile(
    r"""in call to "(?P<name>\w+)"|(?P<name2>\w+)\(\) (?:missing|takes|got an unexpected)"""
)
_MATMUL = re.compile(
    r"matmul: Input operand 1 has a mismatch in its core dimension 0.*?"
    r"\(size (?P<got>\d+) is different from (?P<want>\d+)\)"
    r"|shapes \((?P<a>\d+),(?P<want2>\d+)\) and \((?P<got2>\d+),\d+\) not aligned"
    r"|mat1 and mat2 shapes cannot be multiplied \(\d+x(?P<want3>\d+) and (?P<got3>\d+)x\d+\)",
    re.S,
)
_KEY = re.compile(r"KeyError: '(?P<key>[^']+)'")
_NO_MODULE = re.compile(
    r"No module named '(?P<module>[\w.]+)'"
    r"|Cannot find implementation or library stub for module named \"(?P<module2>[\w.]+)\""
)


def hint(diag: Diagnostic, files: dict[str, str]) -> str | None:
    """What exists instead of the missing name `diag` reports, or None."""
    text = diag.message
    if found := _NO_MODULE.search(text):
        module = (found["module"] or found["module2"]).split(".")[0]
        if f"{module}.py" not in files and f"{module}/__init__.py" not in files:
            listed = ", ".join(files.get("requirements.txt", "").split()) or "nothing"
            return (
                f"{module} is a package to install: add `{pip_name(module)}` to"
                f" requirements.txt (it lists {listed})"
            )
    if found := _MODULE.search(text):
        module = found["mod"] or found["mod2"] or found["mod3"]
        missing = found["name"] or found["name2"] or found["name3"]
        source = files.get(module.replace(".", "/") + ".py")
        names = _module_names(source) if source is not None else []
        return _say(f"{module} defines", names, missing) if names else None
    if found := _ATTRIBUTE.search(text):
        owner = found["cls"] or found["cls2"]
        names = _class_members(owner, files)
        return _say(f"{owner} has", names, found["name"]) if names else None
    if found := _MATMUL.search(text):
        got = found["got"] or found["got2"] or found["got3"]
        want = found["want"] or found["want2"] or found["want3"]
        return (
            f"in `a @ b`, b has {got} rows where a has {want} columns: b was made with its"
            f" dimensions swapped (e.g. size=(out, in) where (in, out) is meant); fix it where"
            f" b is made"
        )
    if found := _CALL.search(text):
        signature = _signature(found["name"] or found["name2"], files)
        return f"it is defined as `{signature}`" if signature else None
    if found := _KEY.search(text):
        nested = _nested_key(files.get("config.yaml"), found["key"])
        if nested:
            return nested
        keys = _config_keys(files.get("config.yaml"))
        return _say("config.yaml has the keys", keys, found["key"]) if keys else None
    return None


def _say(what: str, names: list[str], missing: str) -> str:
    close = difflib.get_close_matches(missing, names, n=1, cutoff=0.3)
    listed = ", ".join(names[:20])
    return f"{what} {listed}" + (f" (did you mean `{close[0]}`?)" if close else "")


def _signature(name: str, files: dict[str, str]) -> str | None:
    """`def name(...)` as the repository defines it, when exactly one definition has that name
    (a class: its constructor)."""
    found = []
    for _, tree in parsed(files):
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
                found.append(f"def {name}({ast.unparse(node.args)})")
            elif isinstance(node, ast.ClassDef) and node.name == name:
                init = next(
                    (
                        item
                        for item in node.body
                        if isinstance(item, ast.FunctionDef) and item.name == "__init__"
                    ),
                    None,
                )
                if init is not None:
                    found.append(f"{name}({ast.unparse(init.args)})")
    return found[0] if len(found) == 1 else None


def _class_members(owner: str, files: dict[str, str]) -> list[str]:
    for _, tree in parsed(files):
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == owner:
                return sorted(_members(node))
    return []


def _members(node: ast.ClassDef) -> set[str]:
    names = set()
    for item in ast.walk(node):
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and not item.name.startswith(
            "__"
        ):
            names.add(item.name)
        if (
            isinstance(item, ast.Attribute)
            and isinstance(item.ctx, ast.Store)
            and isinstance(item.value, ast.Name)
            and item.value.id == "self"
        ):
            names.add(item.attr)
    return {n for n in names if not n.startswith("_")}


def _module_names(source: str) -> list[str]:
    try:
        tree = parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return [n for n in names if not n.startswith("_")]


def _nested_key(text: str | None, key: str) -> str | None:
    """Where config.yaml holds `key` below its top level: the dict that was indexed is
    probably the whole config where a section was meant (or the other way round)."""
    data = _load(text)
    if not isinstance(data, dict) or key in data:
        return None
    paths = [section for section, value in data.items() if isinstance(value, dict) and key in value]
    if not paths:
        return None
    where = " and ".join(f"`{p}`" for p in paths)
    first = paths[0]
    return (
        f"config.yaml has `{key}` inside the section {where}, not at the top:"
        f' pass config["{first}"] where the section is expected, or read'
        f' config["{first}"]["{key}"]'
    )


def _load(text: str | None) -> object:
    if not text:
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


def _config_keys(text: str | None) -> list[str]:
    data = _load(text)
    keys: list[str] = []

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                keys.append(str(key))
                walk(value, f"{prefix}{key}.")

    walk(data, "")
    return sorted(set(keys))
