"""Whether a repository's green proves something: the signs, read from its code, that it
does not.

The checks say that the code runs, that its tests pass and that the smoke run ends well;
they cannot say that the code is the paper's method. Three signs that it is not are plain in
the code, and a build names them beside its verdict:

- a test that asserts nothing, or calls nothing of the repository, passes whatever the
  repository does (`count_tests_on_repo`);
- a setting the method reads from config and keeps, and no method ever uses, is a part of
  the paper left out: adam's "Adam" kept beta1, beta2 and epsilon and stepped by plain
  gradient descent, and every check passed (`unused_settings`);
- a setting config.yaml states from the paper (its comment cites where) that no code reads
  at all: papers-21's "Adam" read only the learning rate, kept nothing else, and stepped by
  plain gradient descent; beta1, beta2 and epsilon stood in config.yaml, cited from
  Algorithm 1, unread (`unread_settings`).

None is a failure (a setting may be kept for a later use); each is a warning the user reads
before trusting the green.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from papercoder.repair.digest import is_test_file
from papercoder.repo import SNAPSHOT_SKIP, parse
from papercoder.verify.checks import pinned_files

FIDELITY = "fidelity.json"  # in the run directory of a verification


class UnusedSetting(BaseModel):
    """A setting a class reads from config in `__init__`, keeps on self, and never uses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    cls: str
    name: str
    line: int


class Fidelity(BaseModel):
    """What a repository's code says of whether its green means anything."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tests: int = Field(0, description="test functions in tests/")
    tests_on_repo: int = Field(0, description="of them, those that call the repository and assert")
    unused_settings: list[UnusedSetting] = Field(default_factory=list)
    unread_settings: list[str] = Field(
        default_factory=list, description="config.yaml's settings from the paper no code reads"
    )

    def warnings(self) -> list[str]:
        """One line per sign that the green may be hollow."""
        found = []
        if self.tests and self.tests_on_repo < self.tests:
            found.append(
                f"{self.tests - self.tests_on_repo} of {self.tests} tests call nothing of the"
                " repository or assert nothing: they pass whatever the code does"
            )
        by_class: dict[tuple[str, str], list[str]] = {}
        for unused in self.unused_settings:
            by_class.setdefault((unused.path, unused.cls), []).append(unused.name)
        for (path, cls), names in by_class.items():
            listed = ", ".join(f"self.{name}" for name in names)
            them = "it" if len(names) == 1 else "them"
            found.append(
                f"{path}: {cls} keeps {listed} from config and never uses {them}: the method"
                f" may leave out what the paper does with {them}"
            )
        if self.unread_settings:
            listed = ", ".join(self.unread_settings)
            them = "it" if len(self.unread_settings) == 1 else "them"
            found.append(
                f"config.yaml states {listed} from the paper, and no code reads {them}: the"
                f" method may leave {them} out"
            )
        return found


def assess(repo: Path) -> Fidelity:
    """Read `repo`'s Python (not its pinned files for settings: those are the tool's), and
    its config.yaml. What cannot be read is left out: these are warnings, never a failure."""
    files = python_files(repo)
    pinned = pinned_files(repo)
    total, good = count_tests_on_repo(files)
    code = {
        p: t
        for p, t in files.items()
        if p not in pinned and not is_test_file(p) and p.rsplit("/", 1)[-1] != "conftest.py"
    }
    unused = [found for path, text in sorted(code.items()) for found in unused_settings(path, text)]
    read = attributes_read(list(code.values()))  # kept by one class, used by other code
    unused = [u for u in unused if u.name not in read]
    config = read_repo_file(repo, CONFIG)
    unread = unread_settings(config, list(code.values())) if config is not None else []
    return Fidelity(tests=total, tests_on_repo=good, unused_settings=unused, unread_settings=unread)


def python_files(repo: Path) -> dict[str, str]:
    """The repository's Python files by relative path, without what is not part of it
    (virtual environments, caches, .git: SNAPSHOT_SKIP)."""
    found = {}
    for path in sorted(repo.rglob("*.py")):
        relative = path.relative_to(repo)
        if SNAPSHOT_SKIP.intersection(relative.parts) or not path.is_file():
            continue
        try:
            found[relative.as_posix()] = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return found


def attributes_read(code: list[str]) -> set[str]:
    """The names of the attributes any of `code` reads (`model.lr` in main.py)."""
    return {
        n.attr
        for tree in _trees(code)
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load) and _root(n) != "self"
    }


def _trees(code: list[str]) -> Iterator[ast.Module]:
    """The syntax trees of those of `code` that parse."""
    for text in code:
        try:
            yield parse(text)
        except (SyntaxError, ValueError):  # ValueError: a null byte
            continue


def read_repo_file(repo: Path, path: str) -> str | None:
    """The text of `repo`'s file at `path`, or None when it has none."""
    try:
        return (repo / path).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


CONFIG = "config.yaml"
# settings the training loop governs (PaperCoder's main.py, in the small profile), which the
# method need not read: how long, in what batches, from what seed
_LOOP = {"batch", "minibatch", "epoch", "epochs", "seed", "iteration", "iterations", "steps"}
_LOOP |= {"split", "metric", "metrics", "device", "workers", "log", "logging", "verbose", "smoke"}
HEADER = "# Hyperparameters of the paper"  # the first line of the config.yaml PaperCoder writes
_ENTRY = re.compile(
    r"^(?P<indent> *)(?P<key>[^\s#:][^:#]*?)\s*:\s*(?P<value>[^#]*?)\s*(?:#\s*(?P<note>.*))?$"
)
_GREEK = dict(
    zip(
        "\u03b1\u03b2\u03b3\u03b4\u03b5\u03f5\u03b7\u03b8\u03bb\u03bc\u03c1\u03c3\u03c4\u03c9",
        (
            "alpha",
            "beta",
            "gamma",
            "delta",
            "epsilon",
            "epsilon",
            "eta",
            "theta",
            "lambda",
            "mu",
            "rho",
            "sigma",
            "tau",
            "omega",
        ),
        strict=True,
    )
)


def plain(name: str) -> str:
    """A setting's name as the small profile's settings.py matches it: lower case, letters
    and digits, a Greek letter as its name (ϵ is epsilon)."""
    text = "".join(_GREEK.get(c, c) for c in name.lower())
    return "".join(c for c in text if c.isalnum())


def unread_settings(config_yaml: str, code: list[str]) -> list[str]:
    """The settings of `config_yaml` whose comment cites the paper (not `assumption`), outside
    a smoke section and not the training loop's (`_LOOP`), that no string in `code` names
    (`config["paper"]["beta1"]`, `cfg.get("beta1")`), matched as settings.py matches them.
    Only a config.yaml PaperCoder wrote (HEADER) says where each value stands in the paper:
    any other has none."""
    if not config_yaml.startswith(HEADER):
        return []
    read = set()
    for tree in _trees(code):
        for n in ast.walk(tree):
            if isinstance(n, ast.Constant) and isinstance(n.value, str):
                read.add(plain(n.value))
            elif isinstance(n, ast.Attribute):
                read.add(plain(n.attr))
    unread: list[str] = []
    sections: list[tuple[int, str]] = []  # the sections the line is in: (indent, name)
    for line in config_yaml.splitlines():
        found = _ENTRY.match(line)
        if not found:
            continue
        indent, key = len(found["indent"]), found["key"].strip().strip("'\"")
        while sections and sections[-1][0] >= indent:
            sections.pop()
        if not found["value"]:
            sections.append((indent, key))
            continue
        note = (found["note"] or "").strip()
        if (
            not note
            or note.lower().startswith("assumption")
            or any(plain(name) == "smoke" for _, name in sections)
            or key.startswith("-")
            or _LOOP.intersection(re.split(r"[^a-z0-9]+", key.lower()))
            or plain(key) in read
            or key in unread
        ):
            continue
        unread.append(key)
    return unread


def count_tests_on_repo(files: dict[str, str]) -> tuple[int, int]:
    """How many test functions there are, and how many check something (an assert, an
    `assert...` call such as np.testing's or unittest's, `pytest.raises`) and call a function
    or class of the repository itself: imported from one of its modules (directly, through
    a helper of the test file that does, or `*`), or given as a fixture."""
    modules = set()
    for path in files:
        name = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        modules |= {name, name.removeprefix("src.")}
    total = good = 0
    for path, text in sorted(files.items()):
        if not (is_test_file(path) and path.rsplit("/", 1)[-1].startswith("test")):
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        ours: set[str] = set()
        star = False
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in modules and not node.level:
                ours |= {a.asname or a.name for a in node.names}
                star |= any(a.name == "*" for a in node.names)
            elif isinstance(node, ast.Import):
                ours |= {a.asname or a.name.split(".")[0] for a in node.names if a.name in modules}
        ours |= _helpers(tree, ours)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                total += 1
                fixtures = {a.arg for a in node.args.args if a.arg != "self"}
                reach = ours | _bound(node, ours) | fixtures
                calls = any(
                    isinstance(n, ast.Call) and (star or _root(n.func) in reach)
                    for n in ast.walk(node)
                )
                good += _checks(node) and calls
    return total, good


def _checks(function: ast.FunctionDef) -> bool:
    """Whether a test checks something: an assert, an `assert...` call, `pytest.raises`."""
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            name = node.func.id if isinstance(node.func, ast.Name) else name
            if name.startswith("assert") or name in ("raises", "fail"):
                return True
    return False


def unused_settings(path: str, text: str) -> list[UnusedSetting]:
    """The attributes each class's `__init__` sets from its config (`self.beta1 =
    config["paper"]["beta1"]`) that no method reads, `__init__` included."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    found = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        methods = [n for n in cls.body if isinstance(n, ast.FunctionDef)]
        init = next((m for m in methods if m.name == "__init__"), None)
        if init is None:
            continue
        read = {
            n.attr
            for m in methods
            for n in ast.walk(m)
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load) and _root(n) == "self"
        }
        seen: set[str] = set()
        for node in ast.walk(init):
            if not isinstance(node, ast.Assign) or not _from_config(node.value):
                continue
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and _root(target) == "self"
                    and target.attr not in read | seen
                ):
                    seen.add(target.attr)
                    found.append(
                        UnusedSetting(path=path, cls=cls.name, name=target.attr, line=node.lineno)
                    )
    return found


def _from_config(value: ast.expr) -> bool:
    """Whether an expression reads a setting: a name with "config" or "cfg" in it."""
    return any(
        isinstance(n, ast.Name) and ("config" in n.id.lower() or "cfg" in n.id.lower())
        for n in ast.walk(value)
    )


def _helpers(tree: ast.Module, ours: set[str]) -> set[str]:
    """The test file's own top-level functions that call the repository's code, directly
    or through another such helper (`fresh()` making a `Model`)."""
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    found: set[str] = set()
    while True:
        more = {
            f.name
            for f in functions
            if not f.name.startswith("test")
            and f.name not in found
            and any(isinstance(n, ast.Call) and _root(n.func) in ours | found for n in ast.walk(f))
        }
        if not more:
            return found
        found |= more


def _bound(function: ast.FunctionDef, ours: set[str]) -> set[str]:
    """Names a test binds to what the repository's code returns (`model, x, y = fresh()`),
    so that `model.loss(x, y)` is a call of it."""
    bound: set[str] = set()
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and _root(node.value.func) in ours
        ):
            for target in node.targets:
                bound |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return bound


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""
