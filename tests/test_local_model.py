"""The local model server: errors without the model, and the repair loop with the real one."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercoder.cli import app
from tests.conftest import REAL_CACHE, REPO
from tests.sandbox.repos import write

runner = CliRunner()


def test_missing_model_file_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--gguf", str(tmp_path / "none.gguf")])
    assert result.exit_code == 3 and "does not exist" in result.output


def test_a_file_that_is_not_gguf_is_bad_input(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 not a model")
    result = runner.invoke(app, ["serve", "--gguf", str(fake)])
    assert result.exit_code == 3 and "not a GGUF model" in result.output


def test_busy_port_is_a_usage_error(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"GGUF" + bytes(16))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["serve", "--gguf", str(fake), "--port", str(port)])
    assert result.exit_code == 2 and "busy" in result.output


@pytest.fixture(scope="module")
def gguf() -> Path:
    pytest.importorskip("xllamacpp", reason="pip install 'papercoder[local]' (setup does)")
    os.environ.setdefault("PAPERCODER_MODEL_CACHE", str(REAL_CACHE / "papercoder" / "models"))
    spec = importlib.util.spec_from_file_location(
        "local_model", REPO / "benchmarks" / "local_model.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path: Path = module.ensure_model()
    return path


@pytest.mark.local_model
@pytest.mark.docker
@pytest.mark.parametrize("edit_format", ["search-replace", "whole", "lines"])
def test_repair_loop_with_the_real_local_model(
    gguf: Path, tmp_path: Path, edit_format: str
) -> None:
    repo = write(
        tmp_path / "repo",
        {
            "model.py": "def double(x)\n    return 2 * x\n",
            "main.py": "from model import double\n\n\ndef run():\n    return double(totl)\n\n\n"
            "if __name__ == '__main__':\n    print(run())\n",
        },
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "papercoder",
            "verify",
            str(repo),
            "--local",
            str(gguf),
            "--max-iterations",
            "1",
            "--edit-format",
            edit_format,
            "--runs-dir",
            str(tmp_path / "runs"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    for noise in ("slot ", "srv ", "print_timing", "llama_", "load_tensors"):
        assert noise not in done.stderr, f"the model server wrote {noise!r} to the terminal"
    server_log = tmp_path / "runs" / "local-server.log"
    assert "listening" in server_log.read_text("utf-8"), "its own log went to the file"
    [run] = [p for p in (tmp_path / "runs").iterdir() if p.is_dir()]
    report = json.loads((run / "report.json").read_text("utf-8"))
    assert report["stop_reason"] in ("passed", "max-iterations", "no-progress")
    assert report["iterations"] >= 1
    first = run / "repair" / "iter-001"
    assert (first / "response.md").read_text("utf-8").strip(), "the model answered"
    used = json.loads((first / "formats.json").read_text("utf-8"))
    assert used and used[0] == edit_format, "the first question is in the format asked for"
    applied = (first / "patch.diff").read_text("utf-8").strip()
    rejected = json.loads((first / "rejected.json").read_text("utf-8"))
    assert applied or all(r["reason"] for r in rejected), "edits applied or refused with a reason"
    calls = [json.loads(line) for line in (run / "llm" / "calls.jsonl").read_text().splitlines()]
    assert any(c["agent"] == "repairer" and c["outcome"] == "ok" for c in calls)


def test_a_model_that_fails_to_load_is_one_line_and_no_server_noise(tmp_path: Path) -> None:
    pytest.importorskip("xllamacpp", reason="pip install 'papercoder[local]' (setup does)")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(64))
    done = subprocess.run(
        [sys.executable, "-m", "papercoder", "serve", "--gguf", str(broken), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 4, done.stderr
    assert "failed to load" in done.stderr and "log:" in done.stderr
    assert "llama_model_load" not in done.stderr and "gguf_init" not in done.stderr


@pytest.mark.local_model
def test_the_server_does_not_outlive_a_killed_papercoder(gguf: Path, tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from papercoder.local import LocalServer\n"
        f"server = LocalServer(Path({str(gguf)!r}), ctx=1024).start()\n"
        "print(server._process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    os.kill(parent.pid, 9)
    parent.wait(10)
    parent.stdout.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and Path(f"/proc/{child}").exists():
        time.sleep(0.2)
    state = Path(f"/proc/{child}/stat")
    assert not state.exists() or state.read_text("utf-8").split()[2] == "Z", (
        "the server outlived it"
    )
