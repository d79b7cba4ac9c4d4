"""Terminal rendering with rich: the library returns models, this turns them into tables."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from papercoder.doctor import DoctorReport
from papercoder.verify.report import VerifyReport

_MARK = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}


def doctor_table(report: DoctorReport) -> Table:
    table = Table(title="papercoder doctor", show_lines=False)
    for column in ("check", "status", "detail", "fix"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        table.add_row(check.name, _MARK[check.status], check.detail, check.fix)
    return table


_STATUS = {
    "pass": "[green]pass[/]",
    "fail": "[red]FAIL[/]",
    "timeout": "[red]TIMEOUT[/]",
    "error": "[red]ERROR[/]",
    "skipped": "[dim]skipped[/]",
}


def verify_summary(report: VerifyReport, run_dir: Path, limit: int = 5) -> Group:
    """One row per check, then the first diagnostics of each failing check with file:line."""
    table = Table(title=f"papercoder verify {report.repo}")
    for column in ("check", "status", "time", "summary", "log"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        log = str(Path(check.log).relative_to(run_dir)) if check.log else ""
        table.add_row(
            check.name,
            _STATUS[check.status],
            f"{check.duration_s:.1f}s",
            escape(check.summary),
            log,
        )
    parts: list[RenderableType] = [table]
    for check in report.failing():
        for diag in check.diagnostics[:limit]:
            text = Text(f"  {diag.location()}  ", style="bold")
            text.append(f"{check.name} [{diag.code}] ", style="red")
            text.append(diag.message)
            parts.append(text)
        if len(check.diagnostics) > limit:
            parts.append(Text(f"  … {len(check.diagnostics) - limit} more in {check.name}"))
    verdict = "all checks pass" if report.passed else "checks failing"
    parts.append(Text(f"{verdict} — logs and report.json in {run_dir}"))
    return Group(*parts)
