"""The repair prompt's digest (pure): diagnostics deduplicated and ordered syntax → import →
type → test → smoke, the implicated files with line numbers, the interfaces of what they
import and their plan entries, cut to a token budget. Not the whole repo, not the whole paper."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from papercoder.repair.hints import hint
from papercoder.repo import interfaces, parse
from papercoder.tokens import estimate_tokens
from papercoder.verify.diagnostics import Diagnostic
from papercoder.verify.report import VerifyReport

FULL_FILE_LINES = 40
WINDOW = 6
_IMPORT_CODES = {
    "import-not-found",
    "import",
    "ModuleNotFoundError",
    "ImportError",
    "F821",
    "name-defined",
    "attr-defined",
}


class Digest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    files: list[str]
    diagnostics: int


def rank(diag: Diagnostic) -> int:
    """Syntax first, then imports and names, types, tests, smoke."""
    if diag.check == "install":
        return 0
    if diag.code in ("syntax", "invalid-syntax", "SyntaxError", "IndentationError", "E999") or (
        diag.code or ""
    ).startswith("E9"):
        return 1
    if diag.code in _IMPORT_CODES:
        return 2
    return {"lint": 3, "types": 4, "tests": 5, "smoke": 6}.get(diag.check, 7)


def describe(diag: Diagnostic, files: dict[str, str]) -> str:
    """One failure as the repair prompt lists it, with what exists where a name is missing."""
    line = f"- [{diag.check}] {diag.location()} {diag.code or ''}: {shown_message(diag)}"
    found = hint(diag, files)
    return line + (f"\n    hint: {found}" if found else "")


_WHERE = re.compile(r" \(where .*\)$", re.S)


def shown_message(diag: Diagnostic) -> str:
    """The message as a prompt shows it: without pytest's where-row, which a hint reads (the
    values of both sides) and which, shown raw, a 1.5B model took as the thing to fix."""
    return _WHERE.sub("", diag.message)


def failing_diagnostics(report: VerifyReport) -> list[Diagnostic]:
    seen: set[tuple[object, ...]] = set()
    found = []
    for check in report.failing():
        for diag in check.diagnostics:
            key = (diag.check, diag.file, diag.line, diag.code, diag.message)
            if key not in seen:
                seen.add(key)
                found.append(diag)
    return sorted(found, key=lambda d: (rank(d), d.file or "", d.line or 0))


def local_imports(source: str, known: set[str]) -> list[str]:
    try:
        tree = parse(source)
    except SyntaxError:
        return []
    modules = []
    for node in ast.walk(tree):
        names = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom) and node.module
            else []
        )
        for name in names:
            path = name.replace(".", "/") + ".py"
            if path in known and path not in modules:
                modules.append(path)
    return modules


def numbered(text: str, lines: set[int]) -> str:
    rows = text.splitlines()
    if len(rows) <= FULL_FILE_LINES or not lines:
        keep = set(range(1, len(rows) + 1))
    else:
        keep = {n for line in lines for n in range(line - WINDOW, line + WINDOW + 1)}
    out, last = [], 0
    for number, row in enumerate(rows, 1):
        if number in keep:
            if number != last + 1:
                out.append("     ...")
            out.append(f"{number:4d} | {row}")
            last = number
    if last < len(rows):
        out.append("     ...")
    return "\n".join(out)


def build_digest(
    report: VerifyReport, files: dict[str, str], plan_entries: dict[str, str], max_tokens: int
) -> Digest:
    """The digest of `report` over the repo `files` (path → text), within `max_tokens`."""
    diagnostics = failing_diagnostics(report)
    listed = [
        describe(d, files) + (f"\n    > {d.snippet}" if d.snippet and d.file not in files else "")
        for d in diagnostics  # a shown file's snippet would be said twice
    ]
    implicated: list[str] = []
    lines: dict[str, set[int]] = {}
    for diag in diagnostics:
        if diag.file and diag.file in files:
            if diag.file not in implicated:
                implicated.append(diag.file)
            if diag.line:
                lines.setdefault(diag.file, set()).add(diag.line)
    parts = ["## Failing checks", *listed]
    budget = max_tokens - estimate_tokens("\n".join(parts))
    shown: list[str] = []
    explained: set[str] = set(implicated)  # each interface once, never for a shown file
    for path in implicated:
        section = [f"\n## {path}"]
        if path in plan_entries:
            section.append(f"Plan: {plan_entries[path]}")
        section.append(f"```python\n{numbered(files[path], lines.get(path, set()))}\n```")
        deps = [d for d in local_imports(files[path], set(files)) if d not in explained]
        for dep in deps:
            section.append(f"Interface of {dep}:\n```python\n{interfaces(files[dep])}\n```")
        text = "\n".join(section)
        cost = estimate_tokens(text)
        if cost > budget:
            continue
        parts.append(text)
        shown.append(path)
        explained.update(deps)
        budget -= cost
    return Digest(text="\n".join(parts), files=shown, diagnostics=len(diagnostics))


def read_repo(repo: Path) -> dict[str, str]:
    """The repo's Python and config text files, by relative path."""
    out = {}
    for path in sorted(repo.rglob("*")):
        relative = path.relative_to(repo).as_posix()
        if ".git" in path.parts or not path.is_file() or "__pycache__" in path.parts:
            continue
        if path.suffix in (".py", ".yaml", ".yml", ".txt", ".toml", ".cfg", ".md"):
            try:
                out[relative] = path.read_text("utf-8")
            except UnicodeDecodeError:
                continue
    return out


def is_test_file(path: str) -> bool:
    name = Path(path).name
    return name.startswith("test_") or name.endswith("_test.py") or path.startswith("tests/")


_MISSING_MODULE = re.compile(r"No module named '([\w.]+)'")


def _missing_package(diag: Diagnostic, files: dict[str, str]) -> bool:
    found = _MISSING_MODULE.search(diag.message)
    if not found:
        return False
    top = found.group(1).split(".")[0]
    return f"{top}.py" not in files and f"{top}/__init__.py" not in files


def repair_targets(report: VerifyReport, files: dict[str, str]) -> list[str]:
    """The files to change, in the order of the failures that point at them. A failing
    assertion in a test points at the code under test; a module that is not installed
    points at requirements.txt."""
    targets: list[str] = []
    for diag in failing_diagnostics(report):
        chosen: list[str] = []
        if diag.check == "install" or _missing_package(diag, files):
            chosen = ["requirements.txt"]
        elif diag.check == "smoke" and diag.file is None:  # killed: timeout, out of memory
            chosen = [entry] if (entry := smoke_entry(files)) else []
        elif diag.file and diag.file in files:
            chosen = [diag.file]
            if is_test_file(diag.file) and diag.code in ("test-failure", "AssertionError"):
                tested = local_imports(files[diag.file], set(files))
                chosen = [*tested, diag.file] if tested else chosen
        for path in chosen:
            if path not in targets:
                targets.append(path)
    return targets


_SMOKE = re.compile(r"""^\s*smoke\s*=\s*["'](?:python3?\s+)?(?P<file>[\w./-]+\.py)""", re.M)


def smoke_entry(files: dict[str, str]) -> str | None:
    """The file the smoke run starts: pyproject.toml's `[tool.papercoder] smoke`, else
    main.py. A smoke run killed for time or memory points at no line; this is where to look."""
    found = _SMOKE.search(files.get("pyproject.toml", ""))
    entry = found["file"] if found else "main.py"
    return entry if entry in files else None


def build_file_digest(
    report: VerifyReport,
    files: dict[str, str],
    target: str,
    plan_entries: dict[str, str],
    max_tokens: int,
) -> str:
    """What a whole-file rewrite of `target` needs: the failures, the file as it is,
    unnumbered, since the reply repeats it, the interfaces of the repository files it imports,
    and the failing lines of the other files the failures name."""
    diagnostics = failing_diagnostics(report)
    listed = [describe(d, files) for d in diagnostics]
    parts = ["## Failing checks", *listed[:12]]
    if len(listed) > 12:
        parts.append(f"- … and {len(listed) - 12} more")
    text = files.get(target, "")
    plan = f"\nPlan: {plan_entries[target]}" if target in plan_entries else ""
    parts.append(f"\n## {target}{plan}")
    fence = "python" if target.endswith(".py") else ""
    parts.append(f"```{fence}\n{text.rstrip()}\n```" if text else "(the file does not exist yet)")
    budget = max_tokens - estimate_tokens("\n".join(parts))
    related = [d.file for d in diagnostics if d.file and d.file != target and d.file in files]
    imported = local_imports(text, set(files)) if target.endswith(".py") else []
    context = [*imported, *related]
    for path in dict.fromkeys(context):
        source = files[path]
        shown = (
            numbered(source, {d.line for d in diagnostics if d.file == path and d.line})
            if path in related
            else interfaces(source)
        )
        label = f"{path} (for reference: do not rewrite it)" if path in related else path
        section = f"\nInterface of {label}:\n```python\n{shown}\n```"
        if path in related:
            section = f"\n{label}:\n```python\n{shown}\n```"
        cost = estimate_tokens(section)
        if cost <= budget:
            parts.append(section)
            budget -= cost
    return "\n".join(parts)
