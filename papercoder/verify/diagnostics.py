"""A normalised `Diagnostic` and the parsers that make them: ruff JSON, mypy JSON lines,
JUnit XML and Python tracebacks (reduced to the deepest frame inside the repo).

Paths are made relative to the repo; a location outside it (site-packages, the sandbox's
own files) is never the place a repair should look.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

CheckName = Literal["install", "lint", "types", "tests", "smoke"]
ALL_CHECKS: tuple[CheckName, ...] = ("install", "lint", "types", "tests", "smoke")
Severity = Literal["error", "warning", "note"]

SANDBOX_ROOT = "/work"

# mypy codes that mean the code would crash, not that its annotations are loose
CRASH_CODES = frozenset(
    {
        "syntax",
        "name-defined",
        "attr-defined",
        "call-arg",
        "import-not-found",
        "import",
        "has-type",
        "used-before-def",
        "misc-syntax",
    }
)

_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
_EXC_LINE = re.compile(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)\b|"
    r"[A-Za-z_][\w.]*Error)(?::\s*(?P<msg>.*))?$"
)
_PYTEST_LOC = re.compile(r"^(?P<file>[^\s:]+\.py):(?P<line>\d+):(?: (?P<type>\w+))?")
# faulthandler's stack dump: a header per thread, then its frames (no comma before "in")
_DUMP_THREAD = re.compile(
    r"^(?:(?P<current>Current thread)|Thread|Stack)\b.*\(most recent call first\):$"
)
_DUMP_FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+) in \S')


class Diagnostic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    check: CheckName
    severity: Severity = "error"
    file: str | None = None
    line: int | None = None
    column: int | None = None
    code: str | None = None
    message: str
    snippet: str | None = None

    def location(self) -> str:
        if self.file is None:
            return "-"
        return f"{self.file}:{self.line}" if self.line else self.file


def in_repo(path: str, repo: Path | None = None) -> str | None:
    """`path` relative to the repo root (sandbox or host path), or None when outside it."""
    candidate = path.replace("\\", "/")
    for root in (SANDBOX_ROOT, str(repo) if repo else None):
        if root and candidate.startswith(root.rstrip("/") + "/"):
            candidate = candidate[len(root.rstrip("/")) + 1 :]
            break
    else:
        if candidate.startswith("/"):
            return None
    if candidate.startswith("./"):
        candidate = candidate[2:]
    parts = candidate.split("/")
    if ".." in parts or "site-packages" in parts or "dist-packages" in parts or not candidate:
        return None
    return candidate


def with_snippets(diagnostics: list[Diagnostic], repo: Path) -> list[Diagnostic]:
    """Each diagnostic with the source line it points at (from the host's copy of the repo)."""
    cache: dict[str, list[str]] = {}
    result = []
    for diag in diagnostics:
        if diag.file and diag.line and diag.snippet is None:
            if diag.file not in cache:
                try:
                    cache[diag.file] = (repo / diag.file).read_text("utf-8").splitlines()
                except (OSError, UnicodeDecodeError):
                    cache[diag.file] = []
            lines = cache[diag.file]
            if 0 < diag.line <= len(lines):
                diag = diag.model_copy(update={"snippet": lines[diag.line - 1].strip()})
        result.append(diag)
    return result


def parse_ruff(text: str) -> list[Diagnostic]:
    try:
        items = json.loads(text or "[]")
    except json.JSONDecodeError:
        return []
    found = []
    for item in items if isinstance(items, list) else []:
        location = item.get("location") or {}
        found.append(
            Diagnostic(
                check="lint",
                file=in_repo(str(item.get("filename", ""))),
                line=location.get("row"),
                column=location.get("column"),
                code=item.get("code") or "syntax",
                message=str(item.get("message", "")).strip(),
            )
        )
    return found


def parse_mypy(text: str, crash_only: bool = True) -> list[Diagnostic]:
    """mypy's JSON lines; by default only errors that mean a crash (see `CRASH_CODES`)."""
    found = []
    for line in text.splitlines():
        try:
            item: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            continue
        code = item.get("code") or "misc"
        if item.get("severity") != "error" or (crash_only and code not in CRASH_CODES):
            continue
        file = in_repo(str(item.get("file", "")))
        if file is None:
            continue
        message = str(item.get("message", "")).strip()
        if item.get("hint"):
            message += f" ({item['hint']})"
        found.append(
            Diagnostic(
                check="types",
                file=file,
                line=item.get("line"),
                column=_one_based(item.get("column")),
                code=code,
                message=message,
            )
        )
    return found


def _one_based(column: object) -> int | None:
    """mypy's JSON column counts from 0 (-1: unknown); ruff's, and a Diagnostic's, from 1."""
    return column + 1 if isinstance(column, int) and column >= 0 else None


def parse_traceback(
    text: str, check: CheckName, repo: Path | None = None, pinned: Collection[str] = ()
) -> Diagnostic | None:
    """The last traceback in `text`, located at its deepest frame inside the repo and outside
    its `pinned` files (a pinned helper's assertion is about the code that called it, which
    the repair may change), or at its deepest frame when every frame is pinned."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call")]
    syntax = _syntax_error(lines, check)
    if not starts:
        return syntax
    block = lines[starts[-1] :]
    frames = []
    for line in block:
        match = _FRAME.match(line)
        if match and (rel := _repo_frame(match["file"], repo)) is not None:
            frames.append((rel, int(match["line"])))
    frame_file, frame_line = deepest(frames, pinned)
    exc_type, exc_msg = "Exception", ""
    for line in block[1:]:
        match = _EXC_LINE.match(line.strip())
        if match and not line.startswith(" "):
            exc_type, exc_msg = match["type"], (match["msg"] or "").strip()
    return Diagnostic(
        check=check,
        file=frame_file,
        line=frame_line,
        code=exc_type,
        message=f"{exc_type}: {exc_msg}" if exc_msg else exc_type,
    )


def deepest(
    frames: list[tuple[str, int]], pinned: Collection[str]
) -> tuple[str | None, int | None]:
    """The last of `frames` (file, line) outside the `pinned` files, else the last one."""
    free = [frame for frame in frames if frame[0] not in pinned]
    if not (free or frames):
        return None, None
    return (free or frames)[-1]


def _repo_frame(path: str, repo: Path | None) -> str | None:
    """A traceback frame's file inside the repo: a compiled module's frame names its source
    relative to its package (`numpy/random/bit_generator.pyx`), which is not the repo's."""
    rel = in_repo(path, repo)
    if rel is None or not rel.endswith(".py"):
        return None
    return rel if repo is None or (repo / rel).is_file() else None


def is_memory_error(diag: Diagnostic) -> bool:
    """An allocation that failed: Python's MemoryError (numpy's is a subclass), torch's
    allocator's RuntimeError."""
    return bool(diag.code and diag.code.endswith("MemoryError")) or (
        "can't allocate memory" in diag.message
    )


def parse_stack_dump(text: str, repo: Path | None = None) -> tuple[str, int] | None:
    """Where a process was when its Python stacks were dumped (faulthandler's format, as the
    sandbox writes them before killing a command that ran out of time): the innermost repo
    frame of a thread that was running repo code itself, else of the current thread, else of
    the first thread with a repo frame. A thread waiting in a library (a parent in
    ``subprocess.run``, a join) is the last place to look when another one is busy."""
    threads: list[tuple[bool, list[tuple[str | None, int]]]] = []
    for line in text.splitlines():
        if header := _DUMP_THREAD.match(line):
            threads.append((header["current"] is not None, []))
        elif threads and (frame := _DUMP_FRAME.match(line)):
            threads[-1][1].append((_repo_frame(frame["file"], repo), int(frame["line"])))
    best: tuple[int, str, int] | None = None
    for current, frames in threads:
        located = next(((f, n) for f, n in frames if f is not None), None)
        if located is None:
            continue
        rank = (0 if frames[0][0] is not None else 2) + (0 if current else 1)
        if best is None or rank < best[0]:
            best = (rank, *located)
    return (best[1], best[2]) if best else None


def _syntax_error(lines: list[str], check: CheckName) -> Diagnostic | None:
    """A SyntaxError printed without 'Traceback' (e.g. by `python main.py`)."""
    for i, line in enumerate(lines):
        match = _FRAME.match(line)
        if match and any(
            later.startswith(("SyntaxError", "IndentationError")) for later in lines[i + 1 : i + 5]
        ):
            error = next(x for x in lines[i + 1 : i + 5] if x.startswith(("Syntax", "Indent")))
            file = in_repo(match["file"])
            return Diagnostic(
                check=check,
                file=file,
                line=int(match["line"]),
                code=error.split(":")[0],
                message=error.strip(),
            )
    return None


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def parse_junit(
    text: str, repo: Path | None = None, pinned: Collection[str] = ()
) -> list[Diagnostic]:
    """Failed and erroring test cases, located at the deepest repo line of their report
    outside the `pinned` files (parse_traceback)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return []
    found = []
    for case in root.iter("testcase"):
        for kind in ("failure", "error"):
            for node in case.findall(kind):
                found.append(_junit_case(case, node, repo, pinned))
    return found


def _junit_case(
    case: ET.Element, node: ET.Element, repo: Path | None, pinned: Collection[str]
) -> Diagnostic:
    name = ".".join(x for x in (case.get("classname"), case.get("name")) if x)
    body = node.text or ""
    file = in_repo(case.get("file") or "", repo)
    frames = [(file, int(case.get("line") or 0) + 1)] if file else []  # pytest's are 0-based
    for row in body.splitlines():  # pytest's report ends at the deepest frame
        match = _PYTEST_LOC.match(row.strip())
        if match and (rel := in_repo(match["file"], repo)) is not None:
            frames.append((rel, int(match["line"])))
    file, line = deepest(frames, pinned)
    if file is None and (traced := parse_traceback(body, "tests", repo, pinned)) is not None:
        file, line = traced.file, traced.line
    message = (node.get("message") or "").strip().splitlines()
    headline = message[:1] or body.strip().splitlines()[-1:] or [node.tag]
    where = next((row.strip() for row in message[1:] if row.strip().startswith("+  where")), "")
    if where:  # pytest's value of the asserted expression's parts, e.g. both sides of a `-`
        where = _ADDRESS.sub("", where.removeprefix("+").strip())  # the same from run to run
        headline = [f"{headline[0]} ({where})"]
    return Diagnostic(
        check="tests",
        file=file,
        line=line,
        code=f"test-{node.tag}",
        message=f"{name}: {headline[0]}"[:500],
    )


def parse_pip_failure(
    log: str, requirement: str | None, file: str | None = "requirements.txt"
) -> Diagnostic:
    lines = [x for x in log.splitlines() if x.strip().startswith("ERROR")] or log.splitlines()[-1:]
    detail = lines[-1].strip() if lines else "pip failed"
    what = f"requirement {requirement!r} cannot be installed" if requirement else detail
    return Diagnostic(
        check="install",
        file=file,
        code="install",
        message=f"{what}: {detail}" if requirement else what,
    )
