"""`papercoder verify --format github`: diagnostics as GitHub workflow commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercoder.cli import app
from papercoder.verify.diagnostics import Diagnostic, parse_mypy
from papercoder.verify.github import (
    OutputFormat,
    command,
    path_prefix,
    resolve_format,
    workflow_commands,
)
from papercoder.verify.report import CheckResult, VerifyReport
from tests.sandbox.repos import write

runner = CliRunner()


def annotations(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("::")]


def test_message_escapes_percent_and_line_breaks_only() -> None:
    line = command("error", "100% done\r\nnext: a, b")
    assert line == "::error::100%25 done%0D%0Anext: a, b"


def test_properties_also_escape_colon_and_comma() -> None:
    line = command("warning", "m", file="exp:1,2/a%b.py", line=3, col=4, title="t: x,\ny")
    assert line == "::warning file=exp%3A1%2C2/a%25b.py,line=3,col=4,title=t%3A x%2C%0Ay::m"


def test_unknown_location_leaves_the_properties_out() -> None:
    assert command("error", "boom", title="papercoder smoke") == (
        "::error title=papercoder smoke::boom"
    )


def test_format_is_github_only_inside_github_actions_unless_asked() -> None:
    assert resolve_format(None, {"GITHUB_ACTIONS": "true"}) is OutputFormat.GITHUB
    assert resolve_format(None, {"GITHUB_ACTIONS": "false"}) is OutputFormat.TEXT
    assert resolve_format(None, {}) is OutputFormat.TEXT
    assert resolve_format(OutputFormat.TEXT, {"GITHUB_ACTIONS": "true"}) is OutputFormat.TEXT
    assert resolve_format(OutputFormat.GITHUB, {}) is OutputFormat.GITHUB


def test_paths_are_relative_to_the_workspace(tmp_path: Path) -> None:
    repo = tmp_path / "generated" / "net"
    repo.mkdir(parents=True)
    assert path_prefix(repo, {"GITHUB_WORKSPACE": str(tmp_path)}) == "generated/net/"
    assert path_prefix(tmp_path, {"GITHUB_WORKSPACE": str(tmp_path)}) == ""
    assert path_prefix(repo, {"GITHUB_WORKSPACE": str(tmp_path / "elsewhere")}) == ""


def test_failing_checks_interleave_so_the_first_ten_cover_every_check(tmp_path: Path) -> None:
    lint = [
        Diagnostic(check="lint", file="a.py", line=n, column=1, code="F821", message=f"n{n}")
        for n in range(1, 13)
    ]
    report = VerifyReport(
        repo=str(tmp_path),
        checks=[
            CheckResult(name="lint", status="fail", diagnostics=lint),
            CheckResult(name="types", status="pass"),
            CheckResult(name="tests", status="timeout", summary="tests ran past 120s"),
            CheckResult(
                name="smoke",
                status="fail",
                diagnostics=[
                    Diagnostic(check="smoke", severity="note", code="X", message="no file")
                ],
            ),
        ],
    )
    lines = workflow_commands(report, tmp_path, {"GITHUB_WORKSPACE": str(tmp_path)})
    assert lines[:4] == [
        "::error file=a.py,line=1,col=1,title=papercoder lint F821::n1",
        "::error title=papercoder tests timeout::tests ran past 120s",
        "::notice title=papercoder smoke X::no file",
        "::error file=a.py,line=2,col=1,title=papercoder lint F821::n2",
    ]
    assert len(lines) == 14


def test_mypy_columns_become_one_based_like_ruff() -> None:
    text = (
        '{"file": "m.py", "line": 2, "column": 11, "message": "x", "hint": null,'
        ' "code": "name-defined", "severity": "error"}\n'
        '{"file": "m.py", "line": 3, "column": -1, "message": "y", "hint": null,'
        ' "code": "name-defined", "severity": "error"}\n'
    )
    assert [d.column for d in parse_mypy(text)] == [12, None]


def test_bad_format_is_a_usage_error(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {})
    result = runner.invoke(app, ["verify", str(repo), "--format", "sarif"])
    assert result.exit_code == 2


BROKEN = {
    "lint": (
        {"model.py": "def double(x):\n    return twice * x\n"},
        "::error file=generated/model.py,line=2,col=12,title=papercoder lint F821"
        "::Undefined name `twice`",
    ),
    "types": (
        {
            "model.py": "import math\n\n\ndef double(x):\n    return 2 * x\n\n\n"
            "def area(r: float) -> float:\n    return math.tau_half(r)\n"
        },
        "::error file=generated/model.py,line=9,col=12,title=papercoder types attr-defined"
        '::Module has no attribute "tau_half"',
    ),
    "tests": (
        {
            "tests/test_model.py": "from model import double\n\n\ndef test_double():\n"
            "    assert double(2) == 5, 'two, doubled: 4, 100%'\n"
        },
        "::error file=generated/tests/test_model.py,line=5,title=papercoder tests test-failure"
        "::tests.test_model.test_double: AssertionError: two, doubled: 4, 100%25"
        " (where 4 = double(2))",
    ),
    "smoke": (
        {
            "main.py": "import sys\n\n\ndef main(argv):\n"
            "    raise RuntimeError('no data: 0%, rows')\n\n\n"
            "if __name__ == '__main__':\n    sys.exit(main(sys.argv[1:]))\n"
        },
        "::error file=generated/main.py,line=5,title=papercoder smoke RuntimeError"
        "::RuntimeError: no data: 0%25, rows",
    ),
}


@pytest.mark.docker
@pytest.mark.parametrize("check", list(BROKEN))
def test_each_failing_check_prints_its_workflow_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, check: str
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    files, expected = BROKEN[check]
    repo = write(tmp_path / "generated", files)
    args = ["verify", str(repo), "--no-repair", "--runs-dir", str(tmp_path / "runs")]
    result = runner.invoke(app, [*args, "--checks", check, "--format", "github"])
    assert result.exit_code == 1, result.output
    assert annotations(result.output) == [expected]
    plain = runner.invoke(app, [*args, "--checks", check])  # text unless asked or in Actions
    assert plain.exit_code == 1 and annotations(plain.output) == []


@pytest.mark.docker
def test_inside_github_actions_every_failing_check_is_annotated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No flag: GITHUB_ACTIONS=true is enough. The repo's folder name needs property escaping."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    repo = write(tmp_path / "exp:1,2", BROKEN["lint"][0])
    result = runner.invoke(
        app, ["verify", str(repo), "--no-repair", "--runs-dir", str(tmp_path / "runs")]
    )
    assert result.exit_code == 1, result.output
    where = "file=exp%3A1%2C2/model.py,line=2"
    assert annotations(result.output) == [
        f"::error {where},col=12,title=papercoder lint F821::Undefined name `twice`",
        f'::error {where},col=12,title=papercoder types name-defined::Name "twice" is not defined',
        f"::error {where},title=papercoder tests test-failure"
        "::tests.test_model.test_double: NameError: name 'twice' is not defined",
        f"::error {where},title=papercoder smoke NameError"
        "::NameError: name 'twice' is not defined. Did you mean: 'slice'?",
    ]


@pytest.mark.docker
def test_a_passing_repo_prints_no_workflow_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    repo = write(tmp_path / "repo", {})
    result = runner.invoke(
        app, ["verify", str(repo), "--no-repair", "--runs-dir", str(tmp_path / "runs")]
    )
    assert result.exit_code == 0, result.output
    assert annotations(result.output) == []


@pytest.mark.docker
def test_with_a_model_the_final_report_is_annotated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repair path: no iteration allowed, so the final report is the first one."""
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    repo = write(tmp_path / "generated", BROKEN["types"][0])
    args = ["verify", str(repo), "--runs-dir", str(tmp_path / "runs"), "--format", "github"]
    endpoint = ["--base-url", "http://127.0.0.1:9/v1", "--max-iterations", "0"]
    result = runner.invoke(app, [*args, *endpoint])
    assert result.exit_code == 1, result.output
    assert "0 repair iterations" in result.output
    assert annotations(result.output) == [BROKEN["types"][1]]
