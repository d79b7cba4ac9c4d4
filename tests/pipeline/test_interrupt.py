"""Ctrl-C or SIGTERM during a slow model call stops the build at once, and resume finishes it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from papercoder.testing import ScriptedServer
from tests.pipeline.conftest import scripted


def test_sigterm_during_a_slow_call_stops_at_once_and_resume_finishes(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    slow = {"agent": "coder", "contains": "FILE: model.py\n", "delay": 120, "times": 1}
    runs = tmp_path / "runs"
    argv = [sys.executable, "-m", "papercoder", "build", str(fixture_pdf), "--no-verify"]
    with ScriptedServer(scripted({**slow, "content": "x"})) as srv:
        flags = ["--base-url", srv.base_url, "--model", "scripted", "--runs-dir", str(runs)]
        proc = subprocess.Popen([*argv, *flags], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(
            "FILE: model.py\n" in r.text for r in srv.chat_requests("coder")
        ):
            time.sleep(0.1)
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "resume" in err
        assert time.monotonic() - sent < 15, "it waited for the call in flight"
        [run] = list(runs.iterdir())
        resumed = subprocess.run(
            [sys.executable, "-m", "papercoder", "resume", str(run), "--no-verify"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (run / "repo" / "model.py").is_file()
