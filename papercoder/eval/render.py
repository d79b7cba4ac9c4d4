"""eval.json for the terminal (rich) and as short text lines the HTML report shares."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from papercoder.eval.model import EvalReport, Measures

_STATUS = {
    "implemented": "[green]implemented[/]",
    "missing": "[red]missing[/]",
    "wrong": "[red]wrong[/]",
    "not judged": "[dim]not judged[/]",
}


def score_line(report: EvalReport) -> str:
    if report.score is None:
        return "no model review (measures only)"
    s = report.score
    failed = sum(x.outcome == "failed" for x in report.samples)
    skipped = sum(x.outcome == "skipped" for x in report.samples)
    extra = f", {failed} failed" if failed else ""
    extra += f", {skipped} skipped ({report.stopped})" if skipped else ""
    return (
        f"score {s.mean:.2f} / 5 ({report.mode}, {s.samples} of {report.samples_asked} reviews"
        f"{extra}; stdev {s.stdev:.2f}, min {s.min}, max {s.max})"
    )


def measure_rows(m: Measures) -> list[tuple[str, str]]:
    """The objective measures as (name, value) rows."""
    checks = ", ".join(f"{k} {v}" for k, v in m.checks.items()) or "not verified"
    t = m.tests
    tests = (
        f"{t.collected} collected, {t.passed} passed, {t.failed} failed, {t.skipped} skipped"
        if t.collected is not None
        else "not run"
    )
    h = m.hyperparameters
    found = f"; {h.stated_in_paper} values found in the paper" if h.stated_in_paper else ""
    smoke = (
        f"{m.smoke_status} in {m.smoke_seconds:.1f} s"
        if m.smoke_status is not None and m.smoke_seconds is not None
        else "not run"
    )
    cost = f", ${m.usage.cost:.4f}" if m.usage.cost is not None else ""
    iterations = (
        f"{m.repair_iterations} (stop reason {m.stop_reason})"
        if m.repair_iterations is not None
        else "no repair loop"
    )
    return [
        ("checks green", f"{m.checks_green} of {len(m.checks)}: {checks}"),
        ("tests", f"{tests}; {t.asserting} tests assert, {t.asserts} asserts"),
        ("smoke run", smoke),
        ("lines of Python", f"{m.lines_total} in {len(m.lines)} files"),
        (
            "hyperparameters",
            f"{h.in_config} of {h.config_values} config values stated in the paper"
            f" ({h.verified} verified, {h.re_cited} re-cited), {h.assumption} assumptions{found}",
        ),
        ("repair iterations", iterations),
        ("model use (build, repair)", f"{m.usage.tokens:,} tokens in {m.usage.calls} calls{cost}"),
    ]


def eval_view(report: EvalReport) -> Group:
    parts: list[Table | Text] = [Text(score_line(report), style="bold")]
    if report.components:
        table = Table(title="components of the method")
        for column in ("#", "component", "verdict", "severity", "votes"):
            table.add_column(column, overflow="fold")
        for c in report.components:
            votes = ", ".join(f"{k} {n}" for k, n in c.votes.items())
            table.add_row(
                str(c.id), escape(c.component), _STATUS[c.status], c.severity or "", votes
            )
        for o in report.others:
            table.add_row(
                "+", escape(o.component), _STATUS[o.status], o.severity, f"{o.samples} reviews"
            )
        parts.append(table)
    measures = Table(title="measures (no model)")
    measures.add_column("measure")
    measures.add_column("value", overflow="fold")
    for name, value in measure_rows(report.measures):
        measures.add_row(name, escape(value))
    parts.append(measures)
    return Group(*parts)
