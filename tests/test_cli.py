from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercoder import __version__
from papercoder.cli import EXIT_CODES, app, exit_code_for
from papercoder.errors import (
    BudgetExhausted,
    EndpointError,
    InputError,
    SandboxError,
    UsageError,
    VerificationFailed,
)

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "doctor" in result.output


def test_unknown_flag_is_exit_2() -> None:
    result = runner.invoke(app, ["doctor", "--no-such-flag"])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (VerificationFailed, 1),
        (BudgetExhausted, 1),
        (UsageError, 2),
        (InputError, 3),
        (EndpointError, 4),
        (SandboxError, 5),
    ],
)
def test_exit_code_table(error: type[Exception], code: int) -> None:
    assert exit_code_for(error("x", "y")) == code  # type: ignore[arg-type]
    assert (error, code) in EXIT_CODES


def test_module_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "papercoder", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and __version__ in done.stdout


@pytest.mark.parametrize(
    "budget",
    [
        ["--max-time", "-5m"],
        ["--max-cost", "-1"],
        ["--max-iterations", "-2"],
        ["--patience", "0"],
        ["--max-time", "soon"],
    ],
)
def test_bad_budget_is_exit_2(tmp_path: Path, budget: list[str]) -> None:
    paper = tmp_path / "p.md"
    paper.write_text("# T\n\n## 1 Intro\nx\n", encoding="utf-8")
    result = runner.invoke(app, ["build", str(paper), "--no-verify", *budget])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") or "Invalid value" in result.output


def test_unreachable_endpoint_is_exit_4_naming_the_url(tmp_path: Path) -> None:
    paper = tmp_path / "p.md"
    paper.write_text("# T\n\n## 1 Intro\nx\n", encoding="utf-8")
    url = "http://127.0.0.1:9/v1"
    result = runner.invoke(
        app,
        [
            "build",
            str(paper),
            "--no-verify",
            "--base-url",
            url,
            "--runs-dir",
            str(tmp_path / "runs"),
        ],
    )
    assert result.exit_code == 4, result.output
    line = result.output.strip().splitlines()[-1]
    assert url in line and "OPENAI_BASE_URL" in line
    assert (tmp_path / "runs").is_dir(), "the run directory stays for a resume"
