"""The checks, cheapest first: install → lint → types → tests → smoke.

A later check is skipped when an earlier one makes it meaningless: a syntax error skips
types, tests and smoke; a failed install skips tests and smoke.

The tests check is decided from what ran (the sandbox's record of tests collected, passed,
failed and skipped, and the asserts of each test counted statically), not from pytest's exit
code alone; given a baseline (the first iteration's counts), testing less than it fails.
"""

from __future__ import annotations

import json
import shlex
import time
import tomllib
from pathlib import Path
from typing import Any

from papercoder.errors import InputError
from papercoder.repo import inside
from papercoder.runstore import atomic_write_text, sha256_file, sha256_text
from papercoder.sandbox.protocol import InstallResult, RunResult, Sandbox, Session
from papercoder.settings import Timeouts
from papercoder.verify import diagnostics as dg
from papercoder.verify.asserts import count_asserts, test_files
from papercoder.verify.counts import RECORD, TestCounts, from_record, regressions
from papercoder.verify.diagnostics import ALL_CHECKS, CheckName, Diagnostic
from papercoder.verify.report import CheckResult, VerifyReport

RUNNER = ["python3", "-I", "/opt/papercoder/runner.py"]
DEFAULT_SMOKE = "python main.py --smoke"
SYNTAX_CODES = {"syntax", "E999", "invalid-syntax"}


def smoke_command(repo: Path, given: str | None = None) -> list[str] | None:
    """The smoke command given (e.g. on the command line), else the one the repo declares
    (``[tool.papercoder] smoke``), else ``python main.py --smoke`` when there is a main.py."""
    if given is not None and given.strip():
        return shlex.split(given)
    command = _declared(repo).get("smoke")
    if isinstance(command, str) and command.strip():
        return shlex.split(command)
    return shlex.split(DEFAULT_SMOKE) if (repo / "main.py").is_file() else None


def _declared(repo: Path) -> dict[str, Any]:
    """The repo's ``[tool.papercoder]`` table ({} when it has none)."""
    pyproject = repo / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    try:
        declared = tomllib.loads(pyproject.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{pyproject} is not valid TOML: {exc}", "fix the file") from exc
    tool = declared.get("tool", {})
    table = tool.get("papercoder", {}) if isinstance(tool, dict) else {}
    return table if isinstance(table, dict) else {}


def pinned(files: dict[str, str]) -> str:
    """The ``[tool.papercoder.pinned]`` table that pins `files` (path: text) by content."""
    rows = [f'{json.dumps(path)} = "sha256:{sha256_text(t)}"' for path, t in sorted(files.items())]
    return "[tool.papercoder.pinned]\n" + "\n".join(rows) + "\n"


def pinned_files(repo: Path) -> frozenset[str]:
    """The files ``[tool.papercoder.pinned]`` pins: a failure raised in one of them is
    located at the code that called it (diagnostics.deepest)."""
    pyproject = repo / "pyproject.toml"
    try:
        return pinned_in(pyproject.read_text("utf-8") if pyproject.is_file() else "")
    except UnicodeDecodeError:
        return frozenset()  # changed_pins says what is wrong with the table


def pinned_in(pyproject: str) -> frozenset[str]:
    """The files the ``[tool.papercoder.pinned]`` table of `pyproject` (pyproject.toml's
    text) pins; none where it does not parse."""
    try:
        tool = tomllib.loads(pyproject).get("tool")
    except tomllib.TOMLDecodeError:
        return frozenset()
    own = tool.get("papercoder") if isinstance(tool, dict) else None
    pins = own.get("pinned") if isinstance(own, dict) else None
    return frozenset(pins) if isinstance(pins, dict) else frozenset()


def changed_pins(repo: Path) -> list[Diagnostic]:
    """A file ``[tool.papercoder.pinned]`` pins by its content (a build's own tests, in the
    small profile) that is missing or changed: the checks judge the code by it, so changing
    it to pass is not passing. The repair loop may not edit pyproject.toml's [tool] table."""
    pins = _declared(repo).get("pinned", {})
    found = []
    for path, expected in sorted(pins.items() if isinstance(pins, dict) else []):
        try:
            file = inside(repo, path)
        except InputError:
            file = None  # a pin outside the repository pins nothing there
        present = file is not None and file.is_file() and not (repo / path).is_symlink()
        if file is not None and present and f"sha256:{sha256_file(file)}" == expected:
            continue
        found.append(
            Diagnostic(
                check="tests",
                file=path,
                code="pinned-changed",
                message=f"{path} is pinned by pyproject.toml's [tool.papercoder.pinned]"
                f" and {'was changed' if present else 'is gone'}: it judges the code,"
                " so fix the code and restore it",
            )
        )
    return found


def check_repo(repo: Path) -> Path:
    if not repo.exists():
        raise InputError(f"repository {repo} does not exist", "pass the path of a repository")
    if not repo.is_dir():
        raise InputError(f"{repo} is not a directory", "pass the repository's folder")
    if not any(p.suffix == ".py" for p in repo.rglob("*.py")):
        raise InputError(f"{repo} holds no Python files", "pass the folder of a Python repository")
    return repo.resolve()


class Verifier:
    """Runs the selected checks of one repo in a sandbox and writes a log per check.

    `baseline`: the tests check's counts of the first iteration (``report.test_counts()``);
    testing less than it fails the tests check. `smoke`: the smoke command, overriding the
    repo's declaration."""

    def __init__(
        self,
        sandbox: Sandbox,
        log_dir: Path,
        timeouts: Timeouts | None = None,
        *,
        baseline: TestCounts | None = None,
        smoke: str | None = None,
    ):
        self.sandbox = sandbox
        self.log_dir = log_dir
        self.timeouts = timeouts or Timeouts()
        self.baseline = baseline
        self.smoke = smoke

    def verify(self, repo: Path, checks: tuple[CheckName, ...] = ALL_CHECKS) -> VerifyReport:
        repo = check_repo(repo)
        started = time.monotonic()
        results: list[CheckResult] = []
        outcome = self.sandbox.install(repo)
        if "install" in checks:
            results.append(self._install_result(outcome))
        image = outcome.image or outcome.tools_image
        blocked: dict[CheckName, str] = {}
        if outcome.image is None:
            blocked = {"tests": "install failed", "smoke": "install failed"}
        selected = [name for name in ALL_CHECKS[1:] if name in checks]
        with self.sandbox.session(image, repo) as session:
            for index, name in enumerate(selected):
                if name in blocked:
                    counts = self._static_counts(repo) if name == "tests" else None
                    results.append(
                        CheckResult(
                            name=name, status="skipped", summary=blocked[name], counts=counts
                        )
                    )
                    continue
                more = any(later not in blocked for later in selected[index + 1 :])
                result = self._run_check(session, name, repo, more)
                results.append(result)
                if name == "lint" and any(d.code in SYNTAX_CODES for d in result.diagnostics):
                    blocked.update(dict.fromkeys(("types", "tests", "smoke"), "syntax error"))
        return VerifyReport(
            repo=str(repo), checks=results, duration_s=round(time.monotonic() - started, 3)
        )

    def _install_result(self, outcome: InstallResult) -> CheckResult:
        log = self._write_log("install", outcome.log)
        if outcome.image == outcome.tools_image:
            return CheckResult(
                name="install", status="pass", log=log, summary="no dependencies declared"
            )
        if outcome.image is not None:
            summary = "dependencies reused" if outcome.reused else "dependencies installed"
            return CheckResult(
                name="install",
                status="pass",
                duration_s=outcome.duration_s,
                log=log,
                summary=summary,
            )
        diag = dg.parse_pip_failure(outcome.log, outcome.failed_requirement, outcome.declared_in)
        return CheckResult(
            name="install",
            status="fail",
            duration_s=outcome.duration_s,
            log=log,
            diagnostics=[diag],
            summary=diag.message,
        )

    def _run_check(
        self, session: Session, name: CheckName, repo: Path, prepare_next: bool
    ) -> CheckResult:
        argv = [*RUNNER, name]
        if name == "tests":
            argv.append(f"{self.timeouts.per_test:g}")
        if name == "smoke":
            command = smoke_command(repo, self.smoke)
            if command is None:
                return CheckResult(
                    name=name,
                    status="skipped",
                    summary="no main.py, no [tool.papercoder] smoke command in pyproject.toml"
                    " and no smoke command given",
                )
            argv += ["--", *command]
        timeout: float = getattr(self.timeouts, name)
        run = session.run(argv, timeout, prepare_next)
        log = self._write_log(name, _log_text(argv, run))
        if name == "tests":
            result = interpret_tests(run, repo, timeout, self.baseline)
        else:
            result = interpret(name, run, repo, timeout)
        return result.model_copy(update={"log": log, "duration_s": round(run.duration_s, 3)})

    @staticmethod
    def _static_counts(repo: Path) -> TestCounts:
        return TestCounts(asserts=count_asserts(repo))

    def _write_log(self, name: str, text: str) -> str:
        path = self.log_dir / f"{name}.log"
        atomic_write_text(path, text)
        return str(path)


def _log_text(argv: list[str], run: RunResult) -> str:
    status = "timed out" if run.timed_out else f"exit {run.exit_code}"
    head = (
        f"$ {shlex.join(argv)}\n# {status} in {run.duration_s:.2f}s, "
        f"{run.output_bytes} bytes of output{' (OOM-killed)' if run.oom else ''}\n"
    )
    return head + run.output


def interpret(name: CheckName, run: RunResult, repo: Path, timeout: float) -> CheckResult:
    """Status and diagnostics of one check from what its container did."""
    if name == "tests":
        return interpret_tests(run, repo, timeout)
    killed = _killed(name, run, repo, timeout)
    if killed is not None:
        return killed
    diags = _diagnostics(name, run, repo)
    if run.exit_code is None:
        return CheckResult(name=name, status="error", summary="the check did not report")
    failed = bool(diags) if name in ("lint", "types") else run.exit_code != 0
    return _verdict(name, run, repo, failed, diags)


def _killed(name: CheckName, run: RunResult, repo: Path, timeout: float) -> CheckResult | None:
    """The verdict of a check the sandbox killed (time or memory), else None."""
    if run.timed_out:
        return _timed_out(name, run, repo, timeout)
    if run.oom:
        diag = Diagnostic(
            check=name,
            code="out-of-memory",
            message=f"{name} was killed: out of memory{_limit(run)}, the sandbox's limit",
        )
        located = dg.parse_traceback(run.output, name, repo, pinned_files(repo))
        if located and located.file:
            diag = diag.model_copy(update={"file": located.file, "line": located.line})
        return CheckResult(name=name, status="fail", diagnostics=[diag], summary=diag.message)
    return None


def _timed_out(name: CheckName, run: RunResult, repo: Path, timeout: float) -> CheckResult:
    """A check killed at its time limit, located at the line that was running when the
    sandbox asked for the stacks just before the kill."""
    located = dg.parse_stack_dump(run.output, repo)
    if located is None:
        diag = Diagnostic(
            check=name,
            code="timeout",
            message=f"{name} did not finish within {timeout:g} s; the container "
            "was killed (an endless loop, or work too big for a smoke run?)",
        )
    else:
        file, line = located
        diag = Diagnostic(
            check=name,
            code="timeout",
            file=file,
            line=line,
            message=f"{name} did not finish within {timeout:g} s: {file}:{line} was running"
            " (a loop that never ends?)",
        )
    diags = dg.with_snippets([diag], repo)
    return CheckResult(name=name, status="timeout", diagnostics=diags, summary=diag.message)


def _limit(run: RunResult) -> str:
    return f" ({run.memory_mb} MB)" if run.memory_mb else ""


def _out_of_memory(name: CheckName, run: RunResult, diag: Diagnostic) -> Diagnostic:
    """A `MemoryError` (the sandbox caps each process a little below the container's limit,
    so a runaway allocation raises one) said so that a model sees why, at the traceback's line."""
    detail = diag.message.partition(":")[2].strip()
    message = (
        f"MemoryError: {name} ran out of memory{_limit(run)} at this line (a loop that never ends,"
        " or sizes too big for a smoke run?)"
    )
    return diag.model_copy(update={"message": f"{message}: {detail}" if detail else message})


def _verdict(
    name: CheckName, run: RunResult, repo: Path, failed: bool, diags: list[Diagnostic]
) -> CheckResult:
    if failed and not diags:
        tail = [x for x in run.output.strip().splitlines() if x.strip()][-1:] or ["(no output)"]
        diags = [
            Diagnostic(
                check=name,
                code=f"exit-{run.exit_code}",
                message=f"{name} exited with {run.exit_code}: {tail[0][:300]}",
            )
        ]
    diags = dg.with_snippets(diags, repo)
    summary = f"{len(diags)} problem(s)" if failed else "ok"
    return CheckResult(
        name=name, status="fail" if failed else "pass", diagnostics=diags, summary=summary
    )


def interpret_tests(
    run: RunResult, repo: Path, timeout: float, baseline: TestCounts | None = None
) -> CheckResult:
    """The tests check from what ran: failures and errors fail it whatever pytest's exit code
    says; so do a run that left no record, test files of which nothing was collected, testing
    less than `baseline`, and a pinned file changed. A repo without test files skips it."""
    result = _interpret_tests(run, repo, timeout, baseline)
    changed = changed_pins(repo)
    if not changed:
        return result
    diags = [*result.diagnostics, *changed]
    return result.model_copy(
        update={
            "status": "fail",
            "diagnostics": diags,
            "summary": f"{len(diags)} problem(s); {changed[0].message}",
        }
    )


def _interpret_tests(
    run: RunResult, repo: Path, timeout: float, baseline: TestCounts | None = None
) -> CheckResult:
    asserts = count_asserts(repo)
    static = TestCounts(asserts=asserts)
    killed = _killed("tests", run, repo, timeout)
    if killed is not None:
        return killed.model_copy(update={"counts": static})
    if run.exit_code is None:
        return CheckResult(
            name="tests", status="error", summary="the check did not report", counts=static
        )
    counts = from_record(run.files.get(RECORD, ""), asserts)
    if counts is None:
        diag = Diagnostic(
            check="tests",
            code="no-record",
            message=f"the test run ended (exit {run.exit_code}) without reporting what ran:"
            " something in the repo ended or replaced pytest",
        )
        return CheckResult(
            name="tests", status="fail", diagnostics=[diag], summary=diag.message, counts=static
        )
    diags = dg.parse_junit(run.files.get("junit.xml", ""), repo, pinned_files(repo))
    if counts.collected == 0 and not diags:
        nothing = _nothing_collected(repo, counts, baseline)
        if isinstance(nothing, CheckResult):
            return nothing
        diags = nothing
    if baseline is not None:
        diags += regressions(counts, baseline)
    failed = bool(diags) or counts.failed > 0 or counts.errors > 0 or run.exit_code not in (0, 5)
    result = _verdict("tests", run, repo, failed, diags)
    summary = f"{result.summary}; {counts.describe()}" if failed else counts.describe()
    return result.model_copy(update={"counts": counts, "summary": summary})


def _nothing_collected(
    repo: Path, counts: TestCounts, baseline: TestCounts | None
) -> CheckResult | list[Diagnostic]:
    """No test collected: skipped when the repo has no test files (and never had tests),
    else the reason it fails."""
    files = test_files(repo)
    if files:
        return [
            Diagnostic(
                check="tests",
                code="no-tests",
                message=f"no test was collected from {len(files)} test file(s):"
                " a test run that collects nothing does not pass",
            )
        ]
    if baseline is not None and baseline.collected:
        return []  # the comparison with the baseline says what went missing
    return CheckResult(
        name="tests",
        status="skipped",
        summary="no test files (test_*.py or *_test.py)",
        counts=counts,
    )


def _diagnostics(name: CheckName, run: RunResult, repo: Path) -> list[Diagnostic]:
    files = run.files
    if name == "lint":
        return dg.parse_ruff(files.get("ruff.json", ""))
    if name == "types":
        return dg.parse_mypy(files.get("mypy.json", ""))
    if run.exit_code:
        traced = dg.parse_traceback(run.output, "smoke", repo, pinned_files(repo))
        if traced is not None and dg.is_memory_error(traced):
            traced = _out_of_memory(name, run, traced)
        return [traced] if traced else []
    return []
