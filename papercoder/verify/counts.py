"""What a test run did, and how it compares with the first iteration's (the baseline).

A repair can silence a failing test instead of fixing the code: delete it, skip it, collect
nothing, drop its asserts, or add a conftest hook that rewrites outcomes. Guards on the edit
are one trick behind; the verdict is not: fewer tests collected or run, more skipped, fewer
asserts in a test, or a new repo hook than the baseline fails the tests check, with the reason.
"""

from __future__ import annotations

import json
from collections import Counter

from pydantic import BaseModel, ConfigDict, Field

from papercoder.verify.diagnostics import Diagnostic

RECORD = "pytest.json"  # written by the sandbox's pytest_main.py


class TestCounts(BaseModel):
    """Tests collected and their outcomes (from the sandbox's record of the run), the repo's
    pytest hooks, and asserts per test function (static)."""

    __test__ = False  # not a pytest test class, despite its name
    model_config = ConfigDict(extra="forbid", frozen=True)

    ran: bool = Field(default=False, description="pytest ran and recorded what it did")
    collected: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = Field(default=0, description="errors in tests and in collection")
    skipped: int = Field(default=0, description="skipped and xfail-marked tests")
    repo_hooks: list[str] = Field(default_factory=list, description="file:hook of the repo")
    asserts: dict[str, int] = Field(default_factory=dict, description="file::test -> asserts")

    @property
    def run(self) -> int:
        """Tests that ran to a verdict (passed or failed)."""
        return self.passed + self.failed

    def describe(self) -> str:
        parts = [f"{self.passed} passed"]
        parts += [f"{n} {what}" for n, what in ((self.failed, "failed"), (self.errors, "errors"))]
        parts.append(f"{self.skipped} skipped")
        shown = ", ".join(p for p in parts if not p.startswith("0 ") or "passed" in p)
        return f"{shown} of {self.collected} collected"


def from_record(text: str, asserts: dict[str, int]) -> TestCounts | None:
    """The counts from the sandbox's record; None when pytest never wrote it."""
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    outcomes = Counter(str(v) for v in (data.get("outcomes") or {}).values())
    return TestCounts(
        ran=True,
        collected=int(data.get("collected") or 0),
        passed=outcomes["passed"],
        failed=outcomes["failed"],
        errors=outcomes["error"] + int(data.get("collect_errors") or 0),
        skipped=outcomes["skipped"],
        repo_hooks=sorted(str(h) for h in data.get("repo_hooks") or []),
        asserts=asserts,
    )


def regressions(now: TestCounts, baseline: TestCounts) -> list[Diagnostic]:
    """Each way `now` tests less than `baseline` did, as a diagnostic that says so."""
    found: list[Diagnostic] = []

    def add(code: str, message: str, file: str | None = None) -> None:
        found.append(Diagnostic(check="tests", code=code, file=file, message=message))

    if baseline.ran and now.ran:
        if now.collected < baseline.collected:
            add(
                "fewer-tests",
                f"{now.collected} tests collected, {baseline.collected} in the first iteration:"
                " restore the tests, do not remove or deselect them",
            )
        if now.run < baseline.run:
            add(
                "fewer-tests-run",
                f"{now.run} tests ran to a verdict, {baseline.run} in the first iteration",
            )
        if now.skipped > baseline.skipped:
            add(
                "more-skipped",
                f"{now.skipped} tests skipped or xfail, {baseline.skipped} in the first iteration:"
                " fix the code instead of skipping its tests",
            )
        for hook in sorted(set(now.repo_hooks) - set(baseline.repo_hooks)):
            file, _, name = hook.rpartition(":")
            add(
                "new-test-hook",
                f"{file} now implements the pytest hook {name}, which can change test outcomes;"
                " the first iteration's tests had no such hook",
                file,
            )
    for test, before in sorted(baseline.asserts.items()):
        file = test.split("::", 1)[0]
        after = now.asserts.get(test)
        if after is None:
            add("test-removed", f"{test} was removed (it had {before} asserts)", file)
        elif after < before:
            add("fewer-asserts", f"{test} has {after} reachable asserts, {before} before", file)
    return found
