"""`--max-time` bounds the whole command, generation included: against a slow scripted
server, a build stops when its time is up instead of making every call."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from papercoder.cli import app
from papercoder.testing import ScriptedServer
from papercoder.testing.server import Script
from tests.pipeline.conftest import scripted

DELAY = 0.3


def slow() -> Script:
    script = scripted()
    return script.model_copy(
        update={"rules": [r.model_copy(update={"delay": DELAY}) for r in script.rules]}
    )


def test_max_time_bounds_generation(fixture_pdf: Path, tmp_path: Path) -> None:
    with ScriptedServer(slow()) as srv:
        result = CliRunner().invoke(
            app,
            ["build", str(fixture_pdf), "--no-verify", "--base-url", srv.base_url,
             "--model", "scripted", "--runs-dir", str(tmp_path / "runs"), "--jobs", "1",
             "--max-time", "1"],
        )  # fmt: skip
        asked = len(srv.chat_requests())
    assert result.exit_code == 1, result.output
    assert "time budget" in result.output and "--max-time" in result.output
    assert asked <= 1 / DELAY + 2, "no call starts after the time is up"
    # (a whole build of the fixture paper makes 18 calls; the wall time is not asserted: on a
    # loaded machine it measures the machine)
