"""Real Docker: a check's own limit is the only clock, and every container bounds itself."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercoder.cli import app
from papercoder.sandbox.docker import DockerSandbox
from papercoder.verify.checks import Timeouts, Verifier
from tests.sandbox.repos import write
from tests.sandbox.test_docker import leftover_containers, start_endless_verify

pytestmark = pytest.mark.docker


def test_a_smoke_run_longer_than_the_client_timeout_passes(tmp_path: Path) -> None:
    """150 s of silence used to end the read at the Docker client's 120 s socket timeout
    ("the check did not report"): only the check's own limit may end it."""
    repo = write(tmp_path / "repo", {"main.py": "import time\n\ntime.sleep(150)\nprint('woke')\n"})
    args = ["verify", str(repo), "--no-repair", "--checks", "smoke", "--timeout", "200"]
    args += ["--runs-dir", str(tmp_path / "runs"), "--report", str(tmp_path / "r.json")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = (tmp_path / "r.json").read_text("utf-8")
    assert '"status": "pass"' in report and '"status": "error"' not in report


def test_a_hang_is_a_timeout_at_its_limit(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"main.py": "import time\n\nwhile True:\n    time.sleep(1)\n"})
    box = DockerSandbox()
    try:
        report = Verifier(box, tmp_path / "logs", Timeouts(smoke=4)).verify(repo, ("smoke",))
    finally:
        box.close()
    smoke = report.check("smoke")
    assert smoke is not None and smoke.status == "timeout"
    assert smoke.summary == (
        "smoke did not finish within 4 s: main.py:4 was running (a loop that never ends?)"
    )
    assert 4 <= smoke.duration_s < 8, "killed at its limit, not at some other clock"
    assert leftover_containers() == []


def test_no_container_outlives_a_killed_papercoder(tmp_path: Path) -> None:
    """kill -9 of PaperCoder during a hanging check: its container ends itself, though nothing
    on the host will ever remove it."""
    limit = 12
    proc = start_endless_verify(tmp_path, timeout=limit)
    seen = time.monotonic()  # the container exists; its check starts within moments
    time.sleep(2)  # the repo is copied in and the check started
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    assert leftover_containers(running_only=True), "the hanging check should still be running"
    time.sleep(max(0.0, seen + limit + 10 - time.monotonic()))
    assert leftover_containers(running_only=True) == [], "no container runs past limit + 10 s"
    DockerSandbox().close()  # the next run sweeps the stopped container away
    assert leftover_containers() == []
