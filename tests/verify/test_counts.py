"""The tests check decided from what ran, and compared with the first iteration's counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from papercoder.sandbox.protocol import RunResult
from papercoder.verify.checks import interpret_tests, pinned
from papercoder.verify.counts import TestCounts
from papercoder.verify.report import CheckResult, VerifyReport

TWO_TESTS = (
    "from model import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
    "    assert double(0) == 0\n\n\ndef test_zero():\n    assert double(0) == 0\n"
)


def repo(tmp_path: Path, tests: str | None = TWO_TESTS) -> Path:
    root = tmp_path / "repo"
    root.mkdir(exist_ok=True)
    (root / "model.py").write_text("def double(x):\n    return 2 * x\n", encoding="utf-8")
    if tests is not None:
        (root / "tests").mkdir(exist_ok=True)
        (root / "tests" / "test_model.py").write_text(tests, encoding="utf-8")
    return root


def run(
    exit_code: int | None = 0,
    outcomes: dict[str, str] | None = None,
    collected: int | None = None,
    hooks: tuple[str, ...] = (),
    record: bool = True,
) -> RunResult:
    outcomes = (
        outcomes
        if outcomes is not None
        else {
            "tests/test_model.py::test_double": "passed",
            "tests/test_model.py::test_zero": "passed",
        }
    )
    data = {
        "collected": len(outcomes) if collected is None else collected,
        "deselected": 0,
        "collect_errors": 0,
        "outcomes": outcomes,
        "repo_hooks": list(hooks),
    }
    files = {"pytest.json": json.dumps(data)} if record else {}
    return RunResult(exit_code=exit_code, output="", output_bytes=0, files=files)


def verdict(root: Path, result: RunResult, baseline: TestCounts | None = None) -> CheckResult:
    return interpret_tests(result, root, 60, baseline)


def codes(result: CheckResult) -> list[str | None]:
    return [d.code for d in result.diagnostics]


def test_a_clean_run_passes_with_its_counts(tmp_path: Path) -> None:
    result = verdict(repo(tmp_path), run())
    assert result.status == "pass" and result.summary == "2 passed of 2 collected"
    assert result.counts is not None and result.counts.collected == 2
    assert result.counts.asserts == {
        "tests/test_model.py::test_double": 2,
        "tests/test_model.py::test_zero": 1,
    }


def test_a_failure_fails_even_if_pytest_exits_0(tmp_path: Path) -> None:
    outcomes = {"tests/test_model.py::test_double": "failed"}
    assert verdict(repo(tmp_path), run(0, outcomes)).status == "fail"


def test_collecting_nothing_from_test_files_fails(tmp_path: Path) -> None:
    result = verdict(repo(tmp_path), run(5, {}))
    assert result.status == "fail" and codes(result) == ["no-tests"]


def test_a_repo_without_test_files_skips(tmp_path: Path) -> None:
    result = verdict(repo(tmp_path, tests=None), run(5, {}))
    assert result.status == "skipped" and "no test files" in result.summary


def test_a_run_that_left_no_record_fails(tmp_path: Path) -> None:
    """e.g. os._exit(0) in a conftest, or a repo module named pytest.py."""
    result = verdict(repo(tmp_path), run(0, record=False))
    assert result.status == "fail" and codes(result) == ["no-record"]


def test_no_exit_code_is_an_error(tmp_path: Path) -> None:
    assert verdict(repo(tmp_path), run(None)).status == "error"


def baseline_of(tmp_path: Path) -> TestCounts:
    first = verdict(repo(tmp_path), run())
    report = VerifyReport(repo=str(tmp_path), checks=[first])
    counts = report.test_counts()
    assert counts is not None and counts.ran
    return counts


@pytest.mark.parametrize(
    ("outcomes", "collected", "code"),
    [
        ({"tests/test_model.py::test_double": "passed"}, None, "fewer-tests"),
        (
            {
                "tests/test_model.py::test_double": "passed",
                "tests/test_model.py::test_zero": "skipped",
            },
            None,
            "more-skipped",
        ),
    ],
    ids=["deselected", "skipped"],
)
def test_testing_less_than_the_baseline_fails(
    tmp_path: Path, outcomes: dict[str, str], collected: int | None, code: str
) -> None:
    baseline = baseline_of(tmp_path)
    result = verdict(repo(tmp_path), run(0, outcomes, collected), baseline)
    assert result.status == "fail" and code in codes(result)
    assert verdict(repo(tmp_path), run(0, outcomes, collected)).status == "pass", (
        "only vs. baseline"
    )


def test_fewer_asserts_than_the_baseline_fails(tmp_path: Path) -> None:
    baseline = baseline_of(tmp_path)
    weaker = TWO_TESTS.replace("    assert double(2) == 4\n", "")
    result = verdict(repo(tmp_path, weaker), run(), baseline)
    assert result.status == "fail" and codes(result) == ["fewer-asserts"]
    assert "test_double has 1 reachable asserts, 2 before" in result.diagnostics[0].message
    assert result.diagnostics[0].file == "tests/test_model.py"


def test_a_removed_test_file_fails_against_the_baseline(tmp_path: Path) -> None:
    baseline = baseline_of(tmp_path)
    root = repo(tmp_path)
    (root / "tests" / "test_model.py").unlink()
    result = verdict(root, run(5, {}), baseline)
    assert result.status == "fail"
    assert {"fewer-tests", "test-removed"} <= set(codes(result))


def test_a_new_conftest_hook_fails_against_the_baseline(tmp_path: Path) -> None:
    baseline = baseline_of(tmp_path)
    hooked = run(0, hooks=("conftest.py:pytest_runtest_makereport",))
    result = verdict(repo(tmp_path), hooked, baseline)
    assert result.status == "fail" and codes(result) == ["new-test-hook"]
    assert result.diagnostics[0].file == "conftest.py"


def test_more_tests_than_the_baseline_pass(tmp_path: Path) -> None:
    baseline = baseline_of(tmp_path)
    more = TWO_TESTS + "\n\ndef test_four():\n    assert double(2) == 4\n"
    outcomes = {f"tests/test_model.py::test_{n}": "passed" for n in ("double", "zero", "four")}
    assert verdict(repo(tmp_path, more), run(0, outcomes), baseline).status == "pass"


def pin(root: Path) -> None:
    tests = (root / "tests" / "test_model.py").read_text("utf-8")
    (root / "pyproject.toml").write_text(
        '[tool.papercoder]\nsmoke = "python main.py"\n\n' + pinned({"tests/test_model.py": tests}),
        encoding="utf-8",
    )


def test_a_pinned_test_file_as_it_was_passes(tmp_path: Path) -> None:
    root = repo(tmp_path)
    pin(root)
    assert verdict(root, run()).status == "pass"


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.write_text(TWO_TESTS.replace("== 4", "== double(2)"), encoding="utf-8"),
        lambda p: p.unlink(),
    ],
    ids=["weakened", "deleted"],
)
def test_a_pinned_test_file_changed_or_gone_fails_the_tests(
    tmp_path: Path, change: Callable[[Path], object]
) -> None:
    """In the small profile the build's tests are PaperCoder's and pinned: a repair that
    weakens one (the assert count unchanged) or deletes it does not pass."""
    root = repo(tmp_path)
    pin(root)
    change(root / "tests" / "test_model.py")
    result = verdict(root, run())
    assert result.status == "fail"
    assert codes(result)[-1] == "pinned-changed"
    assert result.diagnostics[-1].file == "tests/test_model.py"


def test_a_failure_in_a_pinned_helper_is_the_callers_to_fix(tmp_path: Path) -> None:
    """The checks read the pins: a helper's assertion is located in the code that called it."""
    root = repo(tmp_path)
    helper = "def check(x):\n    assert x, 'x'\n"
    (root / "helper.py").write_text(helper, encoding="utf-8")
    tests = (root / "tests" / "test_model.py").read_text("utf-8")
    (root / "pyproject.toml").write_text(
        pinned({"tests/test_model.py": tests, "helper.py": helper}), encoding="utf-8"
    )
    junit = (
        '<?xml version="1.0"?><testsuites><testsuite name="pytest"><testcase'
        ' classname="tests.test_model" name="test_double" file="tests/test_model.py" line="3">'
        '<failure message="AssertionError: x">tests/test_model.py:5:\n_ _\nmodel.py:2: in double'
        "\n_ _\nhelper.py:2: AssertionError</failure></testcase></testsuite></testsuites>"
    )
    result = run(1, {"tests/test_model.py::test_double": "failed"})
    result.files["junit.xml"] = junit
    found = verdict(root, result)
    assert found.status == "fail"
    assert [(d.file, d.line, d.code) for d in found.diagnostics] == [
        ("model.py", 2, "test-failure")
    ]
