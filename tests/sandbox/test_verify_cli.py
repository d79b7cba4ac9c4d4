"""`papercoder verify` and `papercoder sandbox build` end to end through the CLI."""

from __future__ import annotations

import io
import json
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import docker
import pytest
from typer.testing import CliRunner

from papercoder.cli import app
from tests.sandbox.repos import write

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def test_missing_repo_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", str(tmp_path / "nope"), "--no-repair"])
    assert result.exit_code == 3 and "does not exist" in result.output


def test_file_instead_of_repo_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text("x = 1\n", encoding="utf-8")
    result = runner.invoke(app, ["verify", str(tmp_path / "f.py")])
    assert result.exit_code == 3 and "not a directory" in result.output


def test_repo_without_python_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hi\n", encoding="utf-8")
    result = runner.invoke(app, ["verify", str(tmp_path)])
    assert result.exit_code == 3 and "no Python files" in result.output


@pytest.mark.parametrize("args", [["--checks", "lint,fuzz"], ["--timeout", "-3m"]])
def test_bad_options_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    repo = write(tmp_path / "repo", {})
    result = runner.invoke(app, ["verify", str(repo), *args])
    assert result.exit_code == 2


def test_docker_down_is_exit_5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    result = runner.invoke(app, ["verify", str(write(tmp_path / "repo", {}))])
    assert result.exit_code == 5
    assert "no Docker engine answers" in result.output and "dockerd" in result.output


@pytest.mark.docker
def test_verify_passes_and_writes_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    repo = write(tmp_path / "repo", {})
    args = [
        "verify",
        str(repo),
        "--no-repair",
        "--runs-dir",
        str(tmp_path / "runs"),
        "--report",
        str(tmp_path / "r.json"),
        "--junit",
        str(tmp_path / "j.xml"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "all checks pass" in result.output
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert [c["status"] for c in report["checks"]] == ["pass"] * 5
    suite = ET.parse(tmp_path / "j.xml").getroot()
    assert suite.get("tests") == "5" and suite.get("failures") == "0"
    assert "all checks pass" in summary.read_text("utf-8")
    [run] = list((tmp_path / "runs").iterdir())
    assert sorted(p.name for p in (run / "verify" / "iter-000").iterdir()) == [
        "install.log",
        "lint.log",
        "report.json",
        "smoke.log",
        "tests.log",
        "types.log",
    ]


@pytest.mark.docker
def test_verify_failure_is_exit_1_with_file_and_line(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"model.py": "def double(x):\n    return twice * x\n"})
    result = runner.invoke(app, ["verify", str(repo), "--checks", "lint"])
    assert result.exit_code == 1
    assert "model.py:2" in result.output and "F821" in result.output


@pytest.mark.docker
def test_sandbox_build_reports_the_image() -> None:
    result = runner.invoke(app, ["sandbox", "build"])
    assert result.exit_code == 0, result.output
    assert "papercoder-sandbox:" in result.output


@pytest.mark.docker
def test_base_image_without_python_is_exit_5() -> None:
    client = docker.from_env()
    try:
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as archive:
            info = tarfile.TarInfo("hello.txt")
            archive.addfile(info, io.BytesIO(b""))
        client.api.import_image_from_data(
            data.getvalue(), repository="papercoder-test-empty", tag="1"
        )
        result = runner.invoke(app, ["sandbox", "build", "--base-image", "papercoder-test-empty:1"])
    finally:
        client.images.remove("papercoder-test-empty:1", force=True)
        client.close()
    assert result.exit_code == 5
    assert "python3" in result.output
    from tests.sandbox.test_docker import leftover_containers

    assert leftover_containers() == []


@pytest.mark.docker
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_interrupt_removes_containers_and_exits_130(tmp_path: Path, signame: str) -> None:
    import signal

    from tests.sandbox.test_docker import leftover_containers, start_endless_verify

    assert leftover_containers() == []
    proc = start_endless_verify(tmp_path)
    proc.send_signal(getattr(signal, signame))
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, output
    assert "interrupted" in output
    assert leftover_containers() == []


@pytest.mark.docker
def test_smoke_named_on_the_command_line_and_checks_reach_the_repair_loop(
    tmp_path: Path,
) -> None:
    """A published-style repo has no main.py: --smoke names its run. With a model configured
    the repair loop verifies only the --checks asked for, with the --timeout given."""
    from papercoder.testing import Rule, ScriptedServer
    from papercoder.testing.server import Script

    repo = write(
        tmp_path / "repo",
        {"pkg/__init__.py": "", "pkg/run.py": "import sys\nsys.exit(int(sys.argv[1]))\n"},
    )
    runs = str(tmp_path / "runs")
    failing = runner.invoke(
        app,
        ["verify", str(repo), "--no-repair", "--smoke", "python -m pkg.run 3", "--runs-dir", runs],
    )
    assert failing.exit_code == 1 and "smoke" in failing.output
    passing = runner.invoke(
        app,
        ["verify", str(repo), "--no-repair", "--smoke", "python -m pkg.run 0", "--runs-dir", runs],
    )
    assert passing.exit_code == 0, passing.output
    with ScriptedServer(Script(rules=[Rule(agent="repairer", content="nothing")])) as srv:
        looped = runner.invoke(
            app,
            ["verify", str(repo), "--checks", "lint", "--timeout", "30", "--runs-dir", runs,
             "--base-url", srv.base_url, "--model", "scripted", "--smoke", "python -m pkg.run 3"],
        )  # fmt: skip
    assert looped.exit_code == 0, looped.output
    [run] = [p for p in Path(runs).iterdir() if (p / "repo").is_dir()]  # the repair run
    first = json.loads((run / "verify" / "iter-000" / "report.json").read_text("utf-8"))
    assert [c["name"] for c in first["checks"]] == ["install", "lint"]
