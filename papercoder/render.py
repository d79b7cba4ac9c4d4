"""Terminal rendering with rich: the library returns models, this turns them into tables."""

from __future__ import annotations

from rich.table import Table

from papercoder.doctor import DoctorReport

_MARK = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}


def doctor_table(report: DoctorReport) -> Table:
    table = Table(title="papercoder doctor", show_lines=False)
    for column in ("check", "status", "detail", "fix"):
        table.add_column(column, overflow="fold")
    for check in report.checks:
        table.add_row(check.name, _MARK[check.status], check.detail, check.fix)
    return table
