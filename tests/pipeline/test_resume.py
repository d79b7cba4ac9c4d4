"""SIGKILL in the middle of the analysis, then `papercoder resume`: the build completes and
the server received each request at most once (plus the one in flight at the kill)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from papercoder.runstore import read_jsonl
from papercoder.testing import ScriptedServer
from tests.pipeline.conftest import scripted


def test_kill_mid_analysis_then_resume(fixture_pdf: Path, tmp_path: Path) -> None:
    script = scripted()
    for rule in script.rules:
        if rule.agent == "analyst":
            rule.delay = 0.4
    run_dir = tmp_path / "run"
    with ScriptedServer(script) as srv:
        command = [
            sys.executable,
            "-m",
            "papercoder",
            "build",
            str(fixture_pdf),
            "--no-verify",
            "--out",
            str(run_dir),
            "--base-url",
            srv.base_url,
            "--model",
            "scripted",
            "--jobs",
            "1",
        ]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            analysed = [
                c for c in read_jsonl(run_dir / "llm" / "calls.jsonl") if c["agent"] == "analyst"
            ]
            if len(analysed) >= 2:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert len(analysed) >= 2, "the build should have been killed mid-analysis"
        resumed = subprocess.run(
            [sys.executable, "-m", "papercoder", "resume", str(run_dir), "--no-verify"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        bodies = Counter(json.dumps(r.body, sort_keys=True) for r in srv.chat_requests())
    assert sorted(p.name for p in (run_dir / "repo").glob("*.py")) == [
        "data.py",
        "main.py",
        "model.py",
        "train.py",
    ]
    repeated = sum(count - 1 for count in bodies.values())
    assert repeated <= 1, f"{repeated} requests were sent again"
    assert len(bodies) == 4 + 7 + 7
