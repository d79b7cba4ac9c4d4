"""Resume after each kind of stop, with the run directory given either way: a budget (raised
on `resume`), Ctrl-C (which names the directory), and a demo run (its scripted model is
started again)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercoder.cli import app
from papercoder.testing import Rule, ScriptedServer
from papercoder.testing.server import Script
from tests.sandbox.repos import write

pytestmark = pytest.mark.docker

runner = CliRunner()
BROKEN = {"model.py": "def double(x):\n    return 3 * x\n"}
FIX = "model.py\n<<<<<<< SEARCH\n    return 3 * x\n=======\n    return 2 * x\n>>>>>>> REPLACE\n"


def test_logs_read_a_run_given_relative_or_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write(tmp_path / "repo", BROKEN)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["verify", str(repo), "--runs-dir", "runs"])
    assert result.exit_code == 1, result.output
    [run] = list((tmp_path / "runs").iterdir())
    for given in (str(run), str(run.relative_to(tmp_path)), f"./runs/../runs/{run.name}"):
        shown = runner.invoke(app, ["logs", given, "--iteration", "0"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, shown.output
        assert "verify/iter-000/tests.log" in shown.output
        log = runner.invoke(app, ["logs", given, "--check", "tests"])
        assert log.exit_code == 0 and "assert 6 == 4" in log.output


def test_a_run_stopped_by_a_budget_resumes_with_the_budget_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write(tmp_path / "repo", BROKEN)
    monkeypatch.chdir(tmp_path)
    with ScriptedServer(Script(rules=[Rule(agent="repairer", content=FIX)])) as srv:
        model = ["--base-url", srv.base_url, "--model", "scripted"]
        first = runner.invoke(
            app,
            ["verify", str(repo), *model, "--runs-dir", "runs", "--max-iterations", "0"],
            env={"COLUMNS": "300"},
        )
        assert first.exit_code == 1, first.output
        [run] = list((tmp_path / "runs").iterdir())
        assert f"papercoder resume {run} --max-iterations" in first.output
        assert srv.chat_requests("repairer") == []
        again = runner.invoke(
            app, ["resume", f"runs/{run.name}", "--max-iterations", "1", "--base-url", srv.base_url]
        )
    assert again.exit_code == 0, again.output
    report = json.loads((run / "report.json").read_text("utf-8"))
    assert report["passed"] and report["budgets"]["max_iterations"] == 1
    assert "+    return 2 * x" in (run / "repair.patch").read_text("utf-8")
    assert (repo / "model.py").read_text("utf-8") == BROKEN["model.py"], "still only a patch"


def test_an_interrupted_demo_names_its_run_and_resumes(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "papercoder", "demo", "--runs-dir", "runs"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline, run = time.monotonic() + 120, None
        while time.monotonic() < deadline and run is None:
            for manifest in (tmp_path / "runs").glob("*/manifest.json"):
                if json.loads(manifest.read_text("utf-8"))["stages"].get("verify") == "running":
                    run = manifest.parent
            time.sleep(0.2)
        assert run is not None, "the demo should have reached its verify stage"
        demo.send_signal(signal.SIGINT)
        _, stderr = demo.communicate(timeout=120)
    finally:
        demo.kill()
    assert demo.returncode == 130, stderr
    assert f"papercoder resume {run.resolve()}" in " ".join(stderr.split())
    resumed = subprocess.run(
        [sys.executable, "-m", "papercoder", "resume", f"runs/{run.name}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "SCRIPTED" in resumed.stderr
    assert json.loads((run / "report.json").read_text("utf-8"))["passed"]
