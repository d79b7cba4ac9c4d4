"""`papercoder verify REPO` never changes the user's repository: not its files, index,
branch or history, with or without repair; `--apply` changes the working tree only."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercoder.cli import app
from papercoder.settings import Settings
from papercoder.testing import Rule, ScriptedServer
from papercoder.testing.server import Script
from papercoder.verify.run import runs_root
from tests.sandbox.repos import write

BROKEN = {"model.py": "def double(x):\n    return 3 * x\n"}
FIX = "model.py\n<<<<<<< SEARCH\n    return 3 * x\n=======\n    return 2 * x\n>>>>>>> REPLACE\n"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=U", "-c", "user.email=u@x", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def dirty_repo(top: Path, folder: str = "") -> Path:
    """A git repository with a commit, a staged change, an unstaged one and an untracked file;
    the Python repository is `folder` inside it."""
    root = write(top / folder, BROKEN)
    git(top, "init", "-q", "-b", "work")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "mine")
    (root / "main.py").write_text((root / "main.py").read_text("utf-8") + "# staged\n", "utf-8")
    git(root, "add", "main.py")
    (root / "notes.md").write_text("untracked notes\n", "utf-8")
    test = root / "tests" / "test_model.py"
    test.write_text(test.read_text("utf-8") + "# unstaged\n", "utf-8")
    return root


def state(repo: Path) -> dict[str, str]:
    """Everything a user could notice: status, branch, history, and every byte under .git
    and in the working tree."""
    files = {
        str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(repo.rglob("*"))
        if p.is_file()
    }
    return {
        "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
        "branch": git(repo, "branch", "--show-current"),
        "log": git(repo, "log", "--format=%H %an %s"),
        "files": repr(files),
    }


def verify(repo: Path, *args: str, server: ScriptedServer | None = None) -> tuple[int, str]:
    model = ["--base-url", server.base_url, "--model", "scripted"] if server else []
    result = CliRunner().invoke(app, ["verify", str(repo), *model, *args])
    return result.exit_code, result.output


def scripted() -> ScriptedServer:
    return ScriptedServer(Script(rules=[Rule(agent="repairer", content=FIX)]))


def run_dirs(home: Path) -> list[Path]:
    return sorted((home / ".local" / "state" / "papercoder" / "runs").iterdir())


def test_runs_go_outside_the_repository_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    default = Settings.resolve({}, {})
    assert runs_root(default, repo) == Path("runs"), "here is not inside the repo"
    monkeypatch.chdir(repo / "pkg")
    assert (
        runs_root(default, repo) == tmp_path / "home" / ".local" / "state" / "papercoder" / "runs"
    )
    asked = Settings.resolve({"runs_dir": repo / "runs"}, {})
    assert runs_root(asked, repo) == repo / "runs"


@pytest.mark.docker
def test_repair_leaves_a_dirty_repository_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = dirty_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)  # runs/ here would be inside the repository
    before = state(repo)
    with scripted() as srv:
        code, output = verify(repo, "--report", str(tmp_path / "r.json"), server=srv)
    assert code == 0, output
    assert state(repo) == before
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert report["repo"] == str(repo.resolve()), "the report names the repository given"
    assert not (repo / "runs").exists()
    [run] = run_dirs(tmp_path / "home")
    patch = (run / "repair.patch").read_text("utf-8")
    assert "-    return 3 * x\n+    return 2 * x\n" in patch and "diff --git a/model.py" in patch
    assert "notes.md" not in patch, "untracked files are part of the copy, not of the repair"
    assert "repair.patch" in output and "unchanged" in output
    git(repo, "apply", "--check", str(run / "repair.patch"))
    shown = CliRunner().invoke(app, ["logs", str(run)])
    assert shown.exit_code == 0 and "+    return 2 * x" in shown.output


@pytest.mark.docker
def test_check_only_leaves_the_repository_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = dirty_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    before = state(repo)
    code, output = verify(repo)
    assert code == 1, output
    assert state(repo) == before and not (repo / "runs").exists()
    assert len(run_dirs(tmp_path / "home")) == 1


@pytest.mark.docker
def test_apply_changes_only_the_working_tree_of_a_subfolder(tmp_path: Path) -> None:
    """The repository under verification is a folder inside a git repository, where a plain
    `git apply` would silently skip every file."""
    top = tmp_path / "top"
    repo = dirty_repo(top, "code")
    before, index = state(top), (top / ".git" / "index").read_bytes()
    with scripted() as srv:
        code, output = verify(repo, "--apply", "--runs-dir", str(tmp_path / "runs"), server=srv)
    assert code == 0, output
    assert "applied to your working tree" in output
    after = state(top)
    assert after["branch"] == before["branch"] and after["log"] == before["log"]
    changed = set(after["status"].splitlines()) ^ set(before["status"].splitlines())
    assert changed == {" M code/model.py"}, "only model.py changed, in the working tree only"
    assert (repo / "model.py").read_text("utf-8") == "def double(x):\n    return 2 * x\n"
    assert (top / ".git" / "index").read_bytes() == index, "the index is untouched"


@pytest.mark.docker
def test_no_git_repository_is_made_in_a_plain_folder(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", BROKEN)
    with scripted() as srv:
        code, output = verify(repo, "--runs-dir", str(tmp_path / "runs"), server=srv)
    assert code == 0, output
    assert not (repo / ".git").exists()
    assert (repo / "model.py").read_text("utf-8") == BROKEN["model.py"]
