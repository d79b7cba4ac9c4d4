"""`papercoder demo` end to end, and a build killed mid-loop then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from papercoder.repo import GitRepo
from papercoder.runstore import read_jsonl
from papercoder.testing import ScriptedServer, load_script
from tests.conftest import REPO

pytestmark = pytest.mark.docker


def papercoder(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "papercoder", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_demo_ends_green_after_two_repairs(tmp_path: Path) -> None:
    done = papercoder("demo", "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SCRIPTED" in done.stderr
    [run] = list((tmp_path / "runs").iterdir())
    report = json.loads((run / "report.json").read_text("utf-8"))
    assert report["passed"] and report["stop_reason"] == "passed"
    assert report["iterations"] == 2
    assert set(report["checks"].values()) == {"pass"}
    first = json.loads((run / "verify" / "iter-000" / "report.json").read_text("utf-8"))
    failing = {c["name"] for c in first["checks"] if c["status"] == "fail"}
    assert failing == {"types", "tests", "smoke"}, "the first draft's bugs are real failures"
    log = GitRepo(run / "repo").log()
    assert log[0].startswith("repair 2:") and log[1].startswith("repair 1:")
    shown = papercoder("logs", str(run), cwd=tmp_path)
    assert shown.returncode == 0 and "repair 2: fixed 1 of 1" in shown.stdout
    smoke = papercoder("logs", str(run), "--iteration", "1", "--check", "smoke", cwd=tmp_path)
    assert "mismatch in its core dimension" in smoke.stdout


def test_kill_mid_loop_then_resume(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "fixtures" / "paper"))
    from make_paper import build as make_pdf  # type: ignore[import-not-found]

    pdf = make_pdf(tmp_path / "paper.pdf")
    script = load_script(REPO / "fixtures" / "scripted" / "demo.yaml")
    for rule in script.rules:
        if rule.agent == "repairer":
            rule.delay = 0.5
    run_dir = tmp_path / "run"
    with ScriptedServer(script) as srv:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "papercoder",
                "build",
                str(pdf),
                "--out",
                str(run_dir),
                "--base-url",
                srv.base_url,
                "--model",
                "scripted",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not (run_dir / "verify" / "iter-001").exists():
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert (run_dir / "verify" / "iter-001").exists(), "killed during iteration 1"
        resumed = papercoder("resume", str(run_dir), cwd=tmp_path)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        bodies = Counter(json.dumps(r.body, sort_keys=True) for r in srv.chat_requests())
    assert sum(count - 1 for count in bodies.values()) <= 1
    report = json.loads((run_dir / "report.json").read_text("utf-8"))
    assert report["passed"] and report["iterations"] == 2
    repairs = [c for c in read_jsonl(run_dir / "llm" / "calls.jsonl") if c["agent"] == "repairer"]
    assert len([c for c in repairs if c["outcome"] == "ok"]) == 2


def test_containers_of_a_killed_run_are_swept(tmp_path: Path) -> None:
    from papercoder.sandbox.docker import DockerSandbox
    from tests.sandbox.test_docker import leftover_containers, start_endless_verify

    proc = start_endless_verify(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)  # also closes the output pipe
    assert leftover_containers(), "SIGKILL leaves the running container behind"
    DockerSandbox().close()
    assert leftover_containers() == []
