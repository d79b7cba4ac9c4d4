"""A build's run directory belongs to one paper; resume needs only the run directory; bad
inputs leave nothing behind; `logs --llm` says why a call failed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercoder.cli import app
from papercoder.testing import Rule, ScriptedServer
from papercoder.testing.server import Script
from tests.pipeline.conftest import scripted

runner = CliRunner()
PAPER = "# Tiny nets\n\n## 1 Method\nA two-layer network trained with SGD.\n"


@pytest.fixture
def refusing() -> Iterator[ScriptedServer]:
    """An endpoint that refuses every call at once (401): a build stops after ingest."""
    with ScriptedServer(Script(rules=[Rule(status=401, error_message="key revoked")])) as srv:
        yield srv


def build(paper: Path, out: Path, srv: ScriptedServer, *more: str) -> tuple[int, str]:
    args = ["build", str(paper), "--no-verify", "--out", str(out), "--base-url", srv.base_url]
    result = runner.invoke(app, [*args, "--model", "scripted", *more])
    return result.exit_code, result.output


def paper_file(path: Path, text: str = PAPER) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def stored_title(run: Path) -> str:
    title: str = json.loads((run / "paper.json").read_text("utf-8"))["title"]
    return title


def test_another_paper_in_the_same_directory_is_a_usage_error(
    tmp_path: Path, refusing: ScriptedServer
) -> None:
    run = tmp_path / "run"
    assert build(paper_file(tmp_path / "a.md"), run, refusing)[0] == 4
    other = paper_file(tmp_path / "b.md", "# Other paper\n\n## 1 Idea\nSomething else.\n")
    code, output = build(other, run, refusing)
    assert code == 2, output
    [line] = output.strip().splitlines()
    assert line.startswith("error: ") and "belongs to another paper (a.md" in line
    assert "--fresh" in line
    assert stored_title(run) == "Tiny nets"


def test_a_changed_paper_says_so_and_fresh_starts_over(
    tmp_path: Path, refusing: ScriptedServer
) -> None:
    run, paper = tmp_path / "run", paper_file(tmp_path / "a.md")
    assert build(paper, run, refusing)[0] == 4
    paper_file(paper, PAPER.replace("Tiny nets", "Tiny nets, revised"))
    code, output = build(paper, run, refusing)
    assert code == 2 and "changed since the run" in output and "--fresh" in output
    assert stored_title(run) == "Tiny nets"
    code, output = build(paper, run, refusing, "--fresh")
    assert code == 4, output
    assert stored_title(run) == "Tiny nets, revised"


def test_bad_papers_leave_no_run_directory(tmp_path: Path, refusing: ScriptedServer) -> None:
    runs = tmp_path / "runs"
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not a pdf")
    for paper in (broken, tmp_path / "missing.pdf"):
        result = runner.invoke(app, ["build", str(paper), "--no-verify", "--runs-dir", str(runs)])
        assert result.exit_code == 3, result.output
    assert not runs.exists() or list(runs.iterdir()) == []


def test_a_directory_is_not_a_paper(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", str(tmp_path), "--no-verify"])
    assert result.exit_code == 3
    assert "is a directory" in result.output and "does not exist" not in result.output


def test_a_folder_that_holds_other_things_is_not_taken_over(
    tmp_path: Path, refusing: ScriptedServer
) -> None:
    mine = tmp_path / "project"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine\n", encoding="utf-8")
    code, output = build(paper_file(tmp_path / "a.md"), mine, refusing)
    assert code == 2 and "holds no run" in output
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_logs_llm_shows_why_a_call_failed(tmp_path: Path, refusing: ScriptedServer) -> None:
    run = tmp_path / "run"
    assert build(paper_file(tmp_path / "a.md"), run, refusing)[0] == 4
    result = runner.invoke(app, ["logs", str(run), "--llm"], env={"COLUMNS": "250"})
    assert result.exit_code == 0 and "refused the API key (HTTP 401)" in result.output


def test_resume_needs_only_the_run_directory(
    tmp_path: Path, fixture_pdf: Path, refusing: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped after ingest; the PDF then moved away; resumed with a relative path, another
    endpoint and a context size: paper.json is enough."""
    paper = tmp_path / "paper.pdf"
    shutil.copy(fixture_pdf, paper)
    run = tmp_path / "run"
    assert build(paper, run, refusing, "--context-tokens", "8192")[0] == 4
    paper.unlink()
    monkeypatch.chdir(tmp_path)
    with ScriptedServer(scripted()) as srv:
        result = runner.invoke(
            app,
            [
                "resume",
                "run",
                "--no-verify",
                "--base-url",
                srv.base_url,
                "--context-tokens",
                "9000",
            ],
        )
    assert result.exit_code == 0, result.output
    assert (run / "repo" / "main.py").is_file()
    settings = json.loads((run / "manifest.json").read_text("utf-8"))["settings"]
    assert settings["context_tokens"] == 9000 and settings["base_url"] == srv.base_url
