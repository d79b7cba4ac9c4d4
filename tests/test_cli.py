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
from tests.conftest import REPO

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


@pytest.mark.parametrize("command", ["build", "verify", "resume"])
def test_context_tokens_is_an_option_for_any_endpoint(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "--context-tokens" in result.output


def test_the_context_length_hint_names_real_options() -> None:
    source = (REPO / "papercoder" / "llm" / "client.py").read_text("utf-8")
    assert "--context-tokens" in source, "the hint this test guards"
    build_help = runner.invoke(app, ["build", "--help"], env={"COLUMNS": "200"}).output
    assert "--ctx" in build_help and "--context-tokens" in build_help


def python_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "model.py").write_text("X = 1\n", encoding="utf-8")
    return repo


@pytest.mark.parametrize("value", ["0", "0s", "0m"])
def test_zero_timeout_is_a_usage_error(tmp_path: Path, value: str) -> None:
    result = runner.invoke(app, ["verify", str(python_repo(tmp_path)), "--timeout", value])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: invalid timeout")


@pytest.mark.parametrize("flag", ["--junit", "--report"])
def test_a_report_path_that_is_a_directory_is_a_usage_error(tmp_path: Path, flag: str) -> None:
    repo = python_repo(tmp_path)
    result = runner.invoke(app, ["verify", str(repo), flag, str(tmp_path), "--runs-dir", "r"])
    assert result.exit_code == 2, result.output
    assert "is a directory" in result.output and not Path("r").exists()


def test_build_with_verify_and_docker_down_fails_before_generating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papercoder.testing import ScriptedServer
    from papercoder.testing.server import Script

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    paper = tmp_path / "p.md"
    paper.write_text("# T\n\n## 1 Intro\nx\n", encoding="utf-8")
    with ScriptedServer(Script(rules=[])) as srv:
        result = runner.invoke(
            app,
            ["build", str(paper), "--base-url", srv.base_url, "--runs-dir", str(tmp_path / "r")],
        )
        assert srv.chat_requests() == [], "nothing is generated before the engine is checked"
    assert result.exit_code == 5 and "no Docker engine answers" in result.output
    assert not (tmp_path / "r").exists()


def test_bad_input_is_reported_before_the_docker_engine_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    missing = runner.invoke(app, ["build", str(tmp_path / "missing.pdf")])
    assert missing.exit_code == 3 and "does not exist" in missing.output
    gone = runner.invoke(
        app, ["verify", str(tmp_path / "gone"), "--base-url", "http://127.0.0.1:9"]
    )
    assert gone.exit_code == 3 and "does not exist" in gone.output
