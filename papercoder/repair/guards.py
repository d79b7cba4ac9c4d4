"""Guards on repair edits: an edit may change the code, never the rules that judge it.

An edit is judged on its whole file, before and after. Python is compared by its syntax
tree: per test function the checks that can fail (asserts that are not tautologies, not
swallowed, not after a return; assert-helper calls; `pytest.raises`) must not decrease; no
test may vanish; nothing that skips, deselects or exits may be added (marks, calls,
imports, hooks, `__test__`, `pytestmark`, environment variables read by pytest). Comments
are not in the tree, so suppression comments (`noqa`, `type: ignore`, `mypy:`) are found by
regular expression. Files that configure the checks or run code at interpreter start are
refused outright. These guards are the first line of defence; the verifier's counts of
tests run and skipped are the second.
"""

from __future__ import annotations

import ast
import configparser
import io
import re
import tokenize
import tomllib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import PurePosixPath

from papercoder.repair.testchecks import dotted, empty, module_rebinds, tests_of
from papercoder.verify.checks import pinned_in

WHOLE_FILE_MAX_LINES = 200

CONFIG_FILES = {
    "pytest.ini",
    ".pytest.ini",
    "pytest.toml",
    ".pytest.toml",
    "tox.ini",
    "mypy.ini",
    ".mypy.ini",
    "ruff.toml",
    ".ruff.toml",
    ".flake8",
    "pyrightconfig.json",
}
STARTUP_FILES = {"sitecustomize.py", "usercustomize.py"}
SETUP_CFG_SECTIONS = re.compile(r"^(metadata|options(\..*)?)$")

COMMENT_DIRECTIVES = {
    "noqa": re.compile(r"\bnoqa\b", re.I),
    "type: ignore": re.compile(r"\btype:\s*ignore"),
    "mypy:": re.compile(r"\bmypy\s*:"),
    "pyright:": re.compile(r"\bpyright\s*:"),
}
# Names whose appearance (called, decorating, imported, assigned or spelt as a string)
# skips, deselects or stops tests, or turns the type check off.
SILENCERS = {
    "skip": "skip",
    "skipif": "skip",
    "skipIf": "skip",
    "skipUnless": "skip",
    "skipTest": "skip",
    "SkipTest": "skip",
    "importorskip": "skip",
    "xfail": "xfail",
    "expectedFailure": "xfail",
    "no_type_check": "no_type_check",
    "no_type_check_decorator": "no_type_check",
    "_exit": "os._exit",
    "__test__": "__test__",
    "pytestmark": "pytestmark",
    "collect_ignore": "collect_ignore",
    "collect_ignore_glob": "collect_ignore",
    "pytest_plugins": "pytest_plugins",
    "PYTEST_ADDOPTS": "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS": "PYTEST_ADDOPTS",
    "PYTHONSTARTUP": "PYTHONSTARTUP",
}
SILENCER_REASONS = {
    "skip": "adding `skip` (pytest.skip, a skip mark, unittest.skip, SkipTest) silences tests",
    "xfail": "adding `xfail` (or expectedFailure) silences a failing test",
    "no_type_check": "adding `no_type_check` turns the type check off",
    "os._exit": "adding `os._exit` ends the checks before they report",
    "__test__": "setting `__test__` stops pytest from collecting tests",
    "pytestmark": "adding `pytestmark` marks (or skips) every test of a module",
    "collect_ignore": "adding `collect_ignore` deselects tests",
    "pytest_plugins": "adding `pytest_plugins` changes how the tests run",
    "PYTEST_ADDOPTS": "setting PYTEST_ADDOPTS or PYTEST_PLUGINS changes how the tests run",
    "PYTHONSTARTUP": "setting PYTHONSTARTUP runs code before the checks",
    "pytest.exit": "adding `pytest.exit` ends the tests before they report",
    "sys.exit": "adding an exit to a test module ends the tests before they report",
    "empty parametrize": "an empty `parametrize` list skips the test",
    "swallowed": "adding an `except` that does not raise hides the error instead of fixing it",
}
RUNNERS = {"pytest", "_pytest", "unittest"}


def path_problem(path: str, is_link: Callable[[str], bool]) -> str | None:
    """Why no edit may touch `path` (outside the repository, through a link), or None."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts:
        return "the path leaves the repository"
    if is_link(path):
        return "the path goes through a symbolic link"
    return None


def edit_problem(
    path: str,
    before: str | None,
    after: str,
    *,
    whole_file: bool,
    pinned: Collection[str] = (),
) -> str | None:
    """Why changing `path` from `before` (None: a new file) to `after` must be refused;
    `pinned`: the files pyproject.toml pins (pinned_paths)."""
    if path in pinned:
        return (
            f"{path} is pinned by pyproject.toml's [tool.papercoder.pinned]: it judges the"
            " code, so fix the code it points at"
        )
    if whole_file and before is not None and before.count("\n") > WHOLE_FILE_MAX_LINES:
        return (
            f"whole-file rewrites are allowed for files under {WHOLE_FILE_MAX_LINES} lines;"
            " use SEARCH/REPLACE blocks"
        )
    return config_problem(path, before or "", after) or python_problem(path, before, after)


def config_problem(path: str, before: str, after: str) -> str | None:
    """Files that configure the checks, or run code when Python starts, stay as they are."""
    name = PurePosixPath(path).name
    if name in CONFIG_FILES:
        return f"{name} configures the checks; fix the code instead"
    if name in STARTUP_FILES or name.endswith(".pth"):
        return f"{name} runs code whenever Python starts; fix the code instead"
    if name.endswith(".pyi"):
        return f"{name} is a type stub, which hides the module from the type check"
    if _plugins(after) - _plugins(before) and (name.endswith(".txt") or name == "pyproject.toml"):
        return "a pytest plugin changes how the tests run; fix the code instead"
    if name == "pyproject.toml" and _toml_tool(before) != _toml_tool(after):
        return "pyproject.toml's [tool] table configures the checks; fix the code instead"
    if name == "setup.cfg" and _cfg_tool(before) != _cfg_tool(after):
        return "setup.cfg's tool section configures the checks; fix the code instead"
    return None


def pinned_paths(files: Mapping[str, str]) -> frozenset[str]:
    """The files pyproject.toml's ``[tool.papercoder.pinned]`` pins by content (the small
    profile's tests and tool files): they judge the code, and the checks fail when they
    change (verify.checks.changed_pins), so no edit may touch them. VGG (papers-55): a
    failure raised in gradients.py was answered by an edit of gradients.py's size check."""
    return pinned_in(files.get("pyproject.toml", ""))


def _plugins(text: str) -> set[str]:
    """pytest plugins a requirements file or pyproject.toml names (pytest loads them all)."""
    return {m.lower().replace("_", "-") for m in re.findall(r"\bpytest[-_][\w.-]+", text, re.I)}


def _toml_tool(text: str) -> object:
    try:
        return tomllib.loads(text).get("tool")
    except tomllib.TOMLDecodeError:
        return text  # unreadable: any change counts as a change to the tools
    except UnicodeDecodeError:  # pragma: no cover - text is already str
        return text


def _cfg_tool(text: str) -> object:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return text
    return {
        section: dict(parser.items(section))
        for section in parser.sections()
        if not SETUP_CFG_SECTIONS.match(section)
    }


def python_problem(path: str, before: str | None, after: str) -> str | None:
    if not path.endswith(".py"):
        return None
    old, new = before or "", after
    for name, pattern in COMMENT_DIRECTIVES.items():
        if _count_comments(pattern, new) > _count_comments(pattern, old):
            return f"adding `{name}` weakens the checks; fix the cause instead"
    new_tree = _parse(new)
    if new_tree is None:
        return None  # it does not parse: the checks fail on it, it cannot pass them
    old_tree = _parse(old)
    is_test = _is_test(path)
    found = _silencer_problem(old_tree, new_tree, old, is_test)
    if found is None and is_test:
        found = _test_problem(old_tree, new_tree, old)
    return found


def _parse(text: str) -> ast.Module | None:
    from papercoder.repo import parse

    try:
        return parse(text)
    except (SyntaxError, ValueError):
        return None


def _is_test(path: str) -> bool:
    name = PurePosixPath(path).name
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or "tests" in path.split("/")
        or "test" in path.split("/")
    )


def _comments(text: str) -> Iterator[str]:
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token.string
    except (tokenize.TokenError, SyntaxError):
        yield from (line[line.index("#") :] for line in text.splitlines() if "#" in line)


def _count_comments(pattern: re.Pattern[str], text: str) -> int:
    return sum(len(pattern.findall(comment)) for comment in _comments(text))


def _silencers(tree: ast.Module | None, is_test: bool) -> Counter[str]:
    counts: Counter[str] = Counter()
    if tree is None:
        return counts
    runners = _runner_aliases(tree)
    for node in ast.walk(tree):
        for word in _words(node, is_test, runners):
            if word in SILENCERS:
                counts[SILENCERS[word]] += 1
        if isinstance(node, ast.ExceptHandler) and not any(
            isinstance(inner, ast.Raise) for inner in ast.walk(node)
        ):  # a smoke run that catches its own error and returns early is not a green
            counts["swallowed"] += 1
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            if name.rsplit(".", 1)[-1] == "exit" and name.split(".", 1)[0] in runners:
                counts["pytest.exit"] += 1
            if is_test and name in ("sys.exit", "exit", "quit", "os.abort"):
                counts["sys.exit"] += 1
            if name.endswith("parametrize") and len(node.args) > 1 and empty(node.args[1]):
                counts["empty parametrize"] += 1
    return counts


def _runner_aliases(tree: ast.Module) -> set[str]:
    """Names the test runners are imported as (`import pytest as pt` gives pt)."""
    names = {"pytest", "unittest", "mark"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {
                alias.asname or alias.name.split(".")[0]
                for alias in node.names
                if alias.name.split(".")[0] in RUNNERS
            }
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in RUNNERS:
            names |= {alias.asname or alias.name for alias in node.names if alias.name == "mark"}
    return names


def _words(node: ast.AST, is_test: bool, runners: set[str]) -> Iterable[str]:
    """The silencer words `node` spells. "skip" is also a skip connection in model code, so
    outside tests it counts only when it comes from a test runner."""
    words: tuple[str, ...] = ()
    if isinstance(node, ast.Name):
        words = (node.id,)
    elif isinstance(node, ast.Attribute):
        words = (node.attr,)
        if node.attr == "skip" and not is_test and dotted(node.value).split(".")[0] in runners:
            return ("skip",)
    elif isinstance(node, ast.ImportFrom):
        if (node.module or "").split(".")[0] in RUNNERS:
            return tuple(alias.name for alias in node.names)
        words = tuple(alias.name for alias in node.names)
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        words = (node.name,)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
        words = tuple(re.findall(r"\bPYTEST_\w+|\bPYTHONSTARTUP\b", node.value))
        if node.value.isidentifier():
            words += (node.value,)
    return words if is_test else tuple(w for w in words if w != "skip")


def _silencer_problem(
    old_tree: ast.Module | None, new_tree: ast.Module, old: str, is_test: bool
) -> str | None:
    before = _silencers(old_tree, is_test)
    if old_tree is None and old.strip():  # the old file did not parse: count its words
        before = Counter(
            {SILENCERS[w]: n for w, n in Counter(re.findall(r"\w+", old)).items() if w in SILENCERS}
        )
        before["swallowed"] = len(re.findall(r"^\s*except\b", old, re.M))
    after = _silencers(new_tree, is_test)
    for kind, count in after.items():
        if count > before[kind]:
            return f"{SILENCER_REASONS[kind]}; fix the cause instead"
    old_hooks = _hooks(old_tree) if old_tree is not None else {}
    for name, dump in _hooks(new_tree).items():
        if old_hooks.get(name) != dump:
            return f"the pytest hook {name} changes which tests run; fix the code instead"
    return None


def _hooks(tree: ast.Module) -> dict[str, str]:
    return {
        node.name: ast.dump(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("pytest_")
    }


def _test_problem(old_tree: ast.Module | None, new_tree: ast.Module, old: str) -> str | None:
    if old_tree is None:  # the old file did not parse: compare what its text shows
        names = set(re.findall(r"^\s*(?:async\s+)?def (test\w*)", old, re.M))
        asserts = len(re.findall(r"\bassert", old))
        new_tests = tests_of(new_tree)
        gone = sorted(names - {n.rsplit(".", 1)[-1] for n in new_tests})
        if gone:
            return f"deleting tests weakens the checks: {gone[0]} is gone"
        if sum(t.checks for t in new_tests.values()) < asserts:
            return "deleting asserts weakens the checks"
        return None
    before, after = tests_of(old_tree), tests_of(new_tree)
    for name, old_test in before.items():
        new_test = after.get(name)
        if new_test is None:
            return f"deleting tests weakens the checks: {name} is gone (or renamed)"
        if new_test.checks < old_test.checks:
            return (
                f"deleting asserts weakens the checks: {name} has {new_test.checks} that can"
                f" fail instead of {old_test.checks} (tautologies and swallowed asserts do not"
                " count)"
            )
        if new_test.early_return and not old_test.early_return:
            return f"a return before the first assert of {name} skips its checks"
    hidden = module_rebinds(new_tree, after) - module_rebinds(old_tree, before)
    if hidden:
        return f"rebinding or deleting {sorted(hidden)[0]} at module level hides the test"
    return None
