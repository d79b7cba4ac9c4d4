"""The verify report: per check status, duration, diagnostics and log; JUnit and markdown."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from papercoder.runstore import atomic_write_text
from papercoder.verify.counts import TestCounts
from papercoder.verify.diagnostics import CheckName, Diagnostic

Status = Literal["pass", "fail", "timeout", "error", "skipped"]
FAILING: frozenset[str] = frozenset({"fail", "timeout", "error"})


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: CheckName
    status: Status
    duration_s: float = 0.0
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    log: str | None = None
    summary: str = ""
    counts: TestCounts | None = Field(default=None, description="tests check: what ran")


class VerifyReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    repo: str
    checks: list[CheckResult]
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return not any(c.status in FAILING for c in self.checks)

    def failing(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status in FAILING]

    def check(self, name: CheckName) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)

    def test_counts(self) -> TestCounts | None:
        """What the tests check ran: pass the first iteration's to later `Verifier`s as their
        baseline."""
        tests = self.check("tests")
        return tests.counts if tests is not None else None


def write_json(report: VerifyReport, path: Path) -> None:
    atomic_write_text(path, report.model_dump_json(indent=2) + "\n")


def junit_xml(report: VerifyReport) -> str:
    """One test case per check, so CI systems show the checks as tests."""
    suite = ET.Element(
        "testsuite",
        name="papercoder",
        tests=str(len(report.checks)),
        failures=str(len(report.failing())),
        skipped=str(sum(c.status == "skipped" for c in report.checks)),
        time=f"{report.duration_s:.3f}",
    )
    for check in report.checks:
        case = ET.SubElement(
            suite,
            "testcase",
            classname="papercoder.verify",
            name=check.name,
            time=f"{check.duration_s:.3f}",
        )
        if check.status == "skipped":
            ET.SubElement(case, "skipped", message=check.summary)
        elif check.status in FAILING:
            node = ET.SubElement(case, "failure", message=f"{check.status}: {check.summary}")
            node.text = "\n".join(
                f"{d.location()}: [{d.code}] {d.message}" for d in check.diagnostics
            )
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def markdown_summary(report: VerifyReport, limit: int = 5) -> str:
    verdict = "all checks pass" if report.passed else "checks failing"
    rows = ["| check | status | time | detail |", "|---|---|---|---|"]
    for check in report.checks:
        detail = check.summary.replace("|", "\\|").replace("\n", " ")
        rows.append(f"| {check.name} | {check.status} | {check.duration_s:.1f}s | {detail} |")
    lines = [f"## PaperCoder verify: {verdict}", "", *rows, ""]
    for check in report.failing():
        for diag in check.diagnostics[:limit]:
            lines.append(f"- `{diag.location()}` {check.name}: {diag.message}")
    return "\n".join(lines) + "\n"
