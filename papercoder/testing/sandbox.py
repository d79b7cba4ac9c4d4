"""A sandbox double: scripted check outcomes per verification, no Docker.

Each verification starts with an install, so the n-th install begins the n-th row of the
script; the last row holds for every later verification. A check's outcome becomes the
output the real sandbox's runner would give (ruff and mypy JSON, the pytest record, an exit
code), so the real `Verifier` reads it and the loop above it runs unchanged.

    box = FakeSandbox([{"tests": "fail"}, {"tests": "pass"}])   # fails, then passes
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from papercoder.sandbox.protocol import InstallResult, RunResult
from papercoder.verify.checks import RUNNER
from papercoder.verify.counts import RECORD
from papercoder.verify.diagnostics import CheckName

Outcome = Literal["pass", "fail", "timeout"]
Row = Mapping[CheckName, Outcome]
IMAGE = "papercoder-fake:tools"


class FakeSandbox:
    """Implements the `Sandbox` protocol from a script of outcomes (a check not named in a
    row passes). `interrupt_at`: the verification (0-based) whose install raises
    KeyboardInterrupt, as a user's Ctrl-C would, to test resuming."""

    def __init__(self, script: Sequence[Row] = ({},), *, interrupt_at: int | None = None) -> None:
        self.script = list(script) or [{}]
        self.interrupt_at = interrupt_at
        self.verifications = 0
        self.ran: list[tuple[CheckName, float]] = []  # every check run, with its time limit
        self.closed = False

    @property
    def row(self) -> Row:
        return self.script[min(self.verifications - 1, len(self.script) - 1)]

    def install(self, repo: Path) -> InstallResult:
        if self.interrupt_at is not None and self.verifications == self.interrupt_at:
            self.interrupt_at = None
            raise KeyboardInterrupt
        self.verifications += 1
        if self.row.get("install", "pass") != "pass":
            return InstallResult(
                image=None,
                tools_image=IMAGE,
                log="ERROR: No matching distribution found for scripted-requirement",
                failed_requirement="scripted-requirement",
                declared_in="requirements.txt",
            )
        return InstallResult(image=IMAGE, tools_image=IMAGE, log="no dependencies declared")

    @contextmanager
    def session(self, image: str, repo: Path) -> Iterator[_Session]:
        yield _Session(self)

    def close(self) -> None:
        self.closed = True


class _Session:
    def __init__(self, box: FakeSandbox) -> None:
        self.box = box

    def run(self, argv: list[str], timeout: float, prepare_next: bool = True) -> RunResult:
        name = _check_of(argv)
        self.box.ran.append((name, timeout))
        return scripted_run(name, self.box.row.get(name, "pass"), timeout)


def _check_of(argv: list[str]) -> CheckName:
    name = argv[len(RUNNER)] if len(argv) > len(RUNNER) else ""
    for check in ("lint", "types", "tests", "smoke"):
        if name == check:
            return check
    raise ValueError(f"not a check command: {argv}")


def scripted_run(name: CheckName, outcome: Outcome, timeout: float) -> RunResult:
    """What the runner in the sandbox reports for check `name` ending in `outcome`."""
    if outcome == "timeout":
        return RunResult(
            exit_code=None, output="", output_bytes=0, timed_out=True, timeout_s=timeout
        )
    failed = outcome == "fail"
    files: dict[str, str] = {}
    output = ""
    if name == "lint":
        found = [
            {
                "filename": "/work/model.py",
                "location": {"row": 2, "column": 12},
                "code": "F823",
                "message": "Local variable `x` referenced before assignment",
            }
        ]
        files["ruff.json"] = json.dumps(found if failed else [])
    elif name == "types":
        found_line = {
            "file": "model.py",
            "line": 2,
            "column": 11,
            "severity": "error",
            "code": "call-arg",
            "message": 'Too many arguments for "double"',
        }
        files["mypy.json"] = json.dumps(found_line) if failed else ""
    elif name == "tests":
        verdict = "failed" if failed else "passed"
        record = {"collected": 1, "outcomes": {"tests/test_model.py::test_double": verdict}}
        files[RECORD] = json.dumps(record)
        output = "1 failed" if failed else "1 passed"
    elif failed:
        output = (
            "Traceback (most recent call last):\n"
            '  File "/work/model.py", line 2, in double\n'
            "RuntimeError: scripted smoke failure\n"
        )
    return RunResult(
        exit_code=1 if failed else 0,
        output=output,
        output_bytes=len(output),
        timeout_s=timeout,
        duration_s=0.01,
        files=files,
    )
