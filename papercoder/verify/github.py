"""GitHub Actions workflow commands for a verify report, so failures show on the changed lines.

Each diagnostic becomes one `::error file=…,line=…,col=…,title=…::message` line (GitHub's
escaping: `%`, `\\r`, `\\n` in the message, and also `:` and `,` in properties). Paths are
relative to the root GitHub annotates against: `GITHUB_WORKSPACE` when set, else the current
directory, so `papercoder verify generated/` annotates `generated/model.py`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Literal

from papercoder.verify.diagnostics import Diagnostic
from papercoder.verify.report import CheckResult, VerifyReport

Level = Literal["error", "warning", "notice"]
_LEVEL: dict[str, Level] = {"error": "error", "warning": "warning", "note": "notice"}


class OutputFormat(StrEnum):
    """How `papercoder verify` renders its verdict besides the table."""

    TEXT = "text"
    GITHUB = "github"


def resolve_format(given: OutputFormat | None, env: Mapping[str, str]) -> OutputFormat:
    """The format asked for, else `github` inside GitHub Actions (`GITHUB_ACTIONS=true`)."""
    if given is not None:
        return given
    return OutputFormat.GITHUB if env.get("GITHUB_ACTIONS") == "true" else OutputFormat.TEXT


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(
    level: Level,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    col: int | None = None,
    title: str | None = None,
) -> str:
    """One workflow command; properties left out when unknown (GitHub then shows no location)."""
    props = [("file", file), ("line", line), ("col", col), ("title", title)]
    given = ",".join(f"{key}={escape_property(str(value))}" for key, value in props if value)
    return f"::{level}{' ' + given if given else ''}::{escape_data(message)}"


def path_prefix(repo: Path, env: Mapping[str, str]) -> str:
    """Where `repo` sits under the annotation root, as a prefix for its relative paths."""
    root = Path(env.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    try:
        inside = repo.resolve().relative_to(root)
    except ValueError:
        return ""  # outside the workspace: paths stay relative to the repo itself
    return "" if inside == Path() else f"{inside.as_posix()}/"


def _diagnostic(check: CheckResult, diag: Diagnostic, prefix: str) -> str:
    title = f"papercoder {check.name}" + (f" {diag.code}" if diag.code else "")
    return command(
        _LEVEL[diag.severity],
        diag.message,
        file=f"{prefix}{diag.file}" if diag.file else None,
        line=diag.line if diag.file else None,
        col=diag.column if diag.file and diag.line else None,
        title=title,
    )


def _check_lines(check: CheckResult, prefix: str) -> list[str]:
    if check.diagnostics:
        return [_diagnostic(check, diag, prefix) for diag in check.diagnostics]
    reason = check.summary or f"the {check.name} check ended with status {check.status}"
    return [command("error", reason, title=f"papercoder {check.name} {check.status}")]


def workflow_commands(report: VerifyReport, repo: Path, env: Mapping[str, str]) -> list[str]:
    """The failing checks' diagnostics as workflow commands.

    Interleaved one per failing check in turn: GitHub shows only the first ten errors of a
    step, and these should cover every failing check, not thirty lint findings."""
    prefix = path_prefix(repo, env)
    per_check = [_check_lines(check, prefix) for check in report.failing()]
    return list(_interleave(per_check))


def _interleave(lists: list[list[str]]) -> Iterator[str]:
    for row in itertools.zip_longest(*lists):
        yield from (line for line in row if line is not None)
