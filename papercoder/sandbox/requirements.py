"""The dependencies a repo declares, the standard ways: ``requirements.txt`` (its ``-r``
includes; without it, every ``requirements*.txt``), ``pyproject.toml`` ``[project]
dependencies``, ``setup.cfg`` ``[options] install_requires`` and ``setup.py``.

Everything here reads data; nothing runs the repo's code. ``setup.py`` is code: pip reads it
inside the sandbox (`metadata_argv`, `from_pip_report`), and only if that fails is its
``install_requires`` taken from a literal list in its source (`from_setup_py`).
"""

from __future__ import annotations

import ast
import configparser
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from papercoder.errors import InputError

SELF = {".", "./", "-e .", "-e ./", "--editable ."}  # the project itself: already on the path


@dataclass
class Declared:
    """Requirement specifiers (each once), the files that declared them, the first refusal."""

    lines: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # files, relative to the repo
    bad: str | None = None  # the first line the sandbox cannot install offline
    bad_source: str | None = None

    def add(self, lines: list[str], source: str) -> None:
        new = [line for line in lines if line not in self.lines]
        self.lines += new
        if lines and source not in self.sources:
            self.sources.append(source)

    def refuse(self, line: str, source: str) -> None:
        if self.bad is None:
            self.bad, self.bad_source = line, source


def normalise_requirements(text: str) -> tuple[list[str], str | None]:
    """Requirement lines without comments; the first line the sandbox cannot install offline."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-") or "://" in line or line.startswith((".", "/")):
            return lines, line
        lines.append(line)
    return lines, None


def declared(repo: Path) -> Declared:
    """What the repo's data files declare (setup.py aside: see the module's docstring)."""
    found = Declared()
    files = [repo / "requirements.txt"]
    if not files[0].is_file():
        files = sorted(repo.glob("requirements*.txt"))
    for path in files:
        _requirements_file(repo, path, found, set())
    found.add(pyproject_dependencies(repo) or [], "pyproject.toml")
    if not (repo / "setup.py").is_file():
        found.add(setup_cfg_requires(repo), "setup.cfg")
    return found


def _requirements_file(repo: Path, path: Path, found: Declared, seen: set[Path]) -> None:
    if path in seen or not path.is_file():
        return
    seen.add(path)
    name = path.relative_to(repo).as_posix()
    lines: list[str] = []
    for raw in _read(path).splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#") or line in SELF:
            continue
        for flag in ("-r ", "--requirement ", "--requirement="):
            if line.startswith(flag):
                included = (path.parent / line[len(flag) :].strip()).resolve()
                if included.is_relative_to(repo.resolve()):
                    _requirements_file(repo, included, found, seen)
                else:
                    found.refuse(line, name)
                break
        else:
            if line.startswith("-") or "://" in line or line.startswith((".", "/")):
                found.refuse(line, name)
            else:
                lines.append(line)
    found.add(lines, name)


def pyproject_dependencies(repo: Path) -> list[str] | None:
    """``[project] dependencies`` when declared statically, else None."""
    path = repo / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(_read(path))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path} is not valid TOML: {exc}", "fix the file") from exc
    project = data.get("project")
    if not isinstance(project, dict) or "dependencies" in project.get("dynamic", []):
        return None
    dependencies = project.get("dependencies")
    if not isinstance(dependencies, list):
        return None
    return [str(d).strip() for d in dependencies if str(d).strip()]


def setup_cfg_requires(repo: Path) -> list[str]:
    path = repo / "setup.cfg"
    if not path.is_file():
        return []
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_read(path))
    except configparser.Error:
        return []
    value = parser.get("options", "install_requires", fallback="")
    return [line.strip() for line in value.replace(";", "\n;").splitlines() if _spec(line)]


def _spec(line: str) -> bool:
    line = line.strip()
    return bool(line) and not line.startswith(("#", ";", "file:"))


def metadata_needed(repo: Path) -> bool:
    """Whether only pip can say what the repo needs: a setup.py and no static declaration."""
    return (repo / "setup.py").is_file() and pyproject_dependencies(repo) is None


def from_pip_report(text: str) -> list[str] | None:
    """``Requires-Dist`` of the project in pip's ``--report`` JSON, extras left out."""
    try:
        report = json.loads(text)
        requires = report["install"][0]["metadata"].get("requires_dist") or []
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    kept = []
    for item in requires:
        try:
            requirement = Requirement(str(item))
        except InvalidRequirement:
            continue
        if requirement.marker is None or "extra" not in str(requirement.marker):
            kept.append(str(requirement))
    return kept


def from_setup_py(repo: Path) -> list[str]:
    """``install_requires`` of a ``setup(...)`` call when it is a literal list (or a name bound
    to one at module level): the fallback when pip could not read setup.py."""
    try:
        tree = ast.parse(_read(repo / "setup.py"))
    except SyntaxError:
        return []
    names: dict[str, ast.expr] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                names[target.id] = statement.value
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "install_requires":
                    value = keyword.value
                    if isinstance(value, ast.Name):
                        value = names.get(value.id, value)
                    return _strings(value)
    return []


def _strings(node: ast.expr) -> list[str]:
    if not isinstance(node, ast.List | ast.Tuple):
        return []
    return [
        item.value.strip()
        for item in node.elts
        if isinstance(item, ast.Constant) and isinstance(item.value, str) and item.value.strip()
    ]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read {path}: {exc}", "make it a readable UTF-8 text file"
        ) from exc
