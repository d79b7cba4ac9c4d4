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

ATTRIBUTE = re.compile(
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
    r'|Too (?:many|few) arguments for "(?P<name3>\w+)"'
    r'|keyword argument "\w+" for "(?P<name4>\w+)"'
)
MATMUL = re.compile(
    r"matmul: Input operand 1 has a mismatch in its core dimension 0.*?"
    r"\(size (?P<got>\d+) is different from (?P<want>\d+)\)"
    r"|shapes \((?P<a>\d+),(?P<want2>\d+)\) and \((?P<got2>\d+),\d+\) not aligned"
    r"|mat1 and mat2 shapes cannot be multiplied \(\d+x(?P<want3>\d+) and (?P<got3>\d+)x\d+\)",
    re.S,
)
_BROADCAST = re.compile(
    r"operands could not be broadcast together with shapes"
    r" \((?P<rows>\d+),(?P<cols>\d+)\) \((?P=rows),\)"
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
    if found := ATTRIBUTE.search(text):
        return _attribute_hint(found["cls"] or found["cls2"], found["name"], files)
    if found := MATMUL.search(text):
        got, want = matmul_sizes(found)
        return (
            f"in `a @ b`, b has {got} rows where a has {want} columns: b was made with its"
            f" dimensions swapped (e.g. size=(out, in) where (in, out) is meant); fix it where"
            f" b is made"
        )
    if found := _CALL.search(text):
        signature = _signature(called_name(found), files)
        if signature is None:
            return None
        call = suggested_fix(diag, files)
        return f"it is defined as `{signature}`" + (f"; did you mean `{call}`?" if call else "")
    if (factor := _factor(text)) is not None:
        return factor
    if found := _BROADCAST.search(text):
        rows, cols = found["rows"], found["cols"]
        return (
            f"a ({rows}, {cols}) array meets a ({rows},) one: the ({rows},) one lost its second"
            f" axis in a reduction (e.g. `.sum(axis=1)`); `keepdims=True` keeps it, as"
            f" ({rows}, 1)"
        )
    if found := _KEY.search(text):
        nested = _nested_key(files.get("config.yaml"), found["key"])
        if nested:
            return nested
        keys = _config_keys(files.get("config.yaml"))
        return _say("config.yaml has the keys", keys, found["key"]) if keys else None
    return None


def matmul_sizes(found: re.Match[str]) -> tuple[str, str]:
    """The rows of b and the columns of a, from a MATMUL match of `a @ b`."""
    got = found["got"] or found["got2"] or found["got3"]
    want = found["want"] or found["want2"] or found["want3"]
    return got, want


def suggested_fix(diag: Diagnostic, files: dict[str, str]) -> str | None:
    """The code that fixes the failing line, when a tool can tell (a call's missing
    arguments); the repair marks the line with it."""
    found = _CALL.search(diag.message)
    return suggested_call(called_name(found), diag, files) if found else None


def called_name(found: re.Match[str]) -> str:
    """The function a _CALL match names."""
    return str(found["name"] or found["name2"] or found["name3"] or found["name4"])


def _say(what: str, names: list[str], missing: str) -> str:
    close = difflib.get_close_matches(missing, names, n=1, cutoff=0.3)
    listed = ", ".join(names[:20])
    return f"{what} {listed}" + (f" (did you mean `{close[0]}`?)" if close else "")


def _signature(name: str, files: dict[str, str]) -> str | None:
    """`def name(...)` as the repository defines it, when exactly one definition has that name
    (a class: its constructor)."""
    found = _definition(name, files)
    if found is None:
        return None
    shown, function = found
    return f"{shown}({ast.unparse(function.args)})"


def _definition(
    name: str, files: dict[str, str]
) -> tuple[str, ast.FunctionDef | ast.AsyncFunctionDef] | None:
    """The one function named `name` (a class: its `__init__`), with how to show it."""
    found: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for _, tree in parsed(files):
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
                found.append((f"def {name}", node))
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
                    found.append((name, init))
    return found[0] if len(found) == 1 else None


def suggested_call(name: str, diag: Diagnostic, files: dict[str, str]) -> str | None:
    """The failing call with its missing arguments filled in, when the calling function has a
    variable named like each missing parameter that the call does not pass yet:
    `train(model, x, training)` for `def train(model, x, y, cfg)` → `train(model, x, y, training)`.
    """
    params = _parameters(name, files)
    tree = _tree_of(files.get(diag.file or ""))
    if params is None or tree is None or diag.line is None:
        return None
    for caller in ast.walk(tree):
        if not isinstance(caller, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for call in ast.walk(caller):
            if isinstance(call, ast.Call) and call.lineno == diag.line and _called(call) == name:
                definition = _definition(name, files)
                return filled_call(call, params, local_names(caller)) or (
                    trimmed_call(call, definition[1]) if definition else None
                )
    return None


def trimmed_call(call: ast.Call, function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The call without what the function has no parameter for: positional arguments past
    its last (Python binds the first ones the same way) and keywords it does not name;
    `train_model(model, data, epochs, lr)` for `def train_model(model, data)` →
    `train_model(model, data)`."""
    args = function.args
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return None
    positional = [a.arg for a in [*args.posonlyargs, *args.args] if a.arg not in ("self", "cls")]
    named = set(positional) | {a.arg for a in args.kwonlyargs}
    keep = call.args if args.vararg is not None else call.args[: len(positional)]
    keywords = [k for k in call.keywords if args.kwarg is not None or k.arg in named]
    if len(keep) == len(call.args) and len(keywords) == len(call.keywords):
        return None
    shown = [ast.unparse(a) for a in keep] + [ast.unparse(k) for k in keywords]
    return f"{ast.unparse(call.func)}({', '.join(shown)})"


def filled_call(call: ast.Call, params: list[ast.arg], names: set[str]) -> str | None:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return None
    given = [ast.unparse(a) for a in call.args]
    keywords = {k.arg for k in call.keywords}
    unfilled = [p for p in params if p.arg not in keywords]
    missing = [p.arg for p in unfilled if p.arg not in given and p.arg in names]
    if not missing or len(given) + len(missing) > len(unfilled):
        return None
    queue, args = list(given), []
    for param in unfilled:
        if param.arg in missing:
            args.append(param.arg)
        elif queue:
            args.append(queue.pop(0))
    if queue:
        return None
    args += [ast.unparse(k) for k in call.keywords]
    return f"{ast.unparse(call.func)}({', '.join(args)})"


def _parameters(name: str, files: dict[str, str]) -> list[ast.arg] | None:
    """The positional parameters without a default of the one definition named `name`,
    `self` and `cls` left out."""
    found = _definition(name, files)
    return required_parameters(found[1]) if found is not None else None


def required_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    """`function`'s positional parameters without a default, `self` and `cls` left out."""
    args = [*function.args.posonlyargs, *function.args.args]
    required = args[: len(args) - len(function.args.defaults)]
    return [a for a in required if a.arg not in ("self", "cls")]


def binds(call: ast.Call, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether `call` can bind to `function`'s parameters (`self` and `cls` left out), as far
    as a reading of the two tells: not too many positional arguments, no keyword it does not
    name, every parameter without a default given. A starred argument could be anything."""
    args = function.args
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return True
    positional = [a.arg for a in [*args.posonlyargs, *args.args] if a.arg not in ("self", "cls")]
    if len(call.args) > len(positional) and args.vararg is None:
        return False
    by_name = set(positional[len(call.args) :]) - {a.arg for a in args.posonlyargs}
    by_name |= {a.arg for a in args.kwonlyargs}
    given = {k.arg for k in call.keywords}
    if args.kwarg is None and not given <= by_name:
        return False
    covered = set(positional[: len(call.args)]) | given
    kw_required = {
        a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None
    }
    return {a.arg for a in required_parameters(function)} | kw_required <= covered


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def local_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = {a.arg for a in [*function.args.posonlyargs, *function.args.args]}
    names |= {a.arg for a in function.args.kwonlyargs}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _tree_of(source: str | None) -> ast.Module | None:
    if source is None:
        return None
    try:
        return parse(source)
    except SyntaxError:
        return None


def _attribute_hint(owner: str, name: str, files: dict[str, str]) -> str | None:
    """Why `owner` lacks `name`, when its own code tells; else the members it has."""
    if (unset := _unset_attribute(owner, name, files)) is not None:
        return unset
    names = _class_members(owner, files)
    return _say(f"{owner} has", names, name) if names else None


def _unset_attribute(owner: str, name: str, files: dict[str, str]) -> str | None:
    """Why class `owner` lacks `self.name` when its own code names it: `__init__` takes a
    parameter `name` and does not keep it (adam's step read `self.config`), or only another
    method sets it, after reading it (`self.t += 1`). Told "did you mean `t`?" for a
    missing `t`, the 1.5B model changed nothing."""
    for _, tree in parsed(files):
        node = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner), None)
        if node is None:
            continue
        init = next(
            (
                n
                for n in node.body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == "__init__"
            ),
            None,
        )
        if init is not None and name in {a.arg for a in init.args.args[1:]}:
            return (
                f"`__init__` takes `{name}` and does not keep it: add `self.{name} = {name}` there"
            )
        setters = sorted(
            {
                method.name
                for method in node.body
                if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef)
                for target in ast.walk(method)
                if isinstance(target, ast.Attribute)
                and isinstance(target.ctx, ast.Store)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and target.attr == name
            }
        )
        if setters and "__init__" not in setters:
            where = ", ".join(f"`{m}`" for m in setters)
            return (
                f"only {where} sets `self.{name}`, after it is read: set its starting value in"
                f" `__init__`"
            )
    return None


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


_WHERE_ABS = re.compile(r"\(where .*? = (?P<expr>abs\(.*\))\)$")
_NUMBER_CALLS = {"float", "int", "float64", "float32", "int64", "int32", "tensor", "array"}


def _factor(text: str) -> str | None:
    """For a closeness assertion that pytest expanded as `abs(a - b)`: the two values and, when
    one is a whole multiple of the other, the factor (a sum where a mean is meant, a count
    divided twice)."""
    found = _WHERE_ABS.search(text)
    if found is None:
        return None
    try:
        tree = ast.parse(found["expr"], mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(tree, ast.Call) and len(tree.args) == 1):
        return None
    inner = tree.args[0]
    if not (isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Sub)):
        return None
    left, right = _number(inner.left), _number(inner.right)
    if left is None or right is None:
        return None
    said = f"the two sides are {left:.6g} and {right:.6g}"
    small, large = sorted((abs(left), abs(right)))
    if small == 0 or large / small < 1.5:
        return said
    ratio = large / small
    if abs(ratio - round(ratio)) > 0.02 * ratio:
        return said
    return (
        f"{said}: one is {round(ratio)} times the other (a sum where a mean is meant, or a"
        f" division by a count missing or made twice?)"
    )


def _number(node: ast.expr) -> float | None:
    """The value of an arithmetic expression of literals, as pytest prints it (numbers wrapped
    in `np.float64(...)` and the like), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else None
        name = name or (node.func.id if isinstance(node.func, ast.Name) else "")
        return _number(node.args[0]) if name in _NUMBER_CALLS else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _number(node.operand)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp):
        a, b = _number(node.left), _number(node.right)
        if a is None or b is None:
            return None
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div) and b != 0:
            return a / b
    return None
