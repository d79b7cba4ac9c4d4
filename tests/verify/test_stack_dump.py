"""Where a process was when it ran out of time or memory: real stack dumps and tracebacks, made
by the sandbox's own start-up hook (sandbox/sitecustomize.py) in a subprocess on the host."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from papercoder.sandbox.protocol import RunResult
from papercoder.verify import diagnostics as dg
from papercoder.verify.checks import interpret
from tests.conftest import REPO

GUARD = REPO / "sandbox"

WAITING = {
    "model.py": (
        "import threading\n\n\ndef train(steps):\n    step = 0\n    while step < steps:\n"
        "        threading.Event().wait(0.01)\n    return step\n"
    ),
    "main.py": "import model\n\nprint('ready', flush=True)\nmodel.train(10)\n",
}
BUSY_THREAD = {
    "main.py": (
        "import threading\n\n\ndef spin():\n    n = 0\n    while True: n += 1\n\n\n"
        "worker = threading.Thread(target=spin, daemon=True)\nworker.start()\n"
        "print('ready', flush=True)\nworker.join()\n"
    ),
}
APPENDING = (
    "def train():\n    losses = [1.0]\n    step = 0\n    while step < 10:\n"
    "        losses.append(losses[-1])\n\n\ntrain()\n"
)


def guarded(memory_mb: int | None = None) -> dict[str, str]:
    """The environment of a check's process: the sandbox's hook first on the path."""
    env = {**os.environ, "PYTHONPATH": str(GUARD)}
    env.pop("PAPERCODER_MEMORY_MB", None)
    if memory_mb is not None:
        env["PAPERCODER_MEMORY_MB"] = str(memory_mb)
    return env


def write(repo: Path, files: dict[str, str]) -> Path:
    repo.mkdir()
    for name, text in files.items():
        (repo / name).write_text(text, encoding="utf-8")
    return repo.resolve()


def dump_of(repo: Path) -> str:
    """Run main.py with the sandbox's hook, ask for its stacks once it is busy, as
    `lifetime.py bound` does at a time limit (SIGUSR1), and return what it wrote."""
    proc = subprocess.Popen(
        [sys.executable, "main.py"],
        cwd=repo,
        env=guarded(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        proc.send_signal(signal.SIGUSR1)
        time.sleep(0.5)
        assert proc.poll() is None, "the dump must not end the process"
    finally:
        proc.kill()
    return proc.communicate(timeout=10)[1]


def test_a_dump_is_located_at_the_innermost_repo_frame(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", WAITING)
    dump = dump_of(repo)
    assert "(most recent call first)" in dump and "threading.py" in dump, dump
    assert dg.parse_stack_dump(dump, repo) == ("model.py", 7)


def test_a_busy_thread_wins_over_one_waiting_for_it(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", BUSY_THREAD)
    dump = dump_of(repo)
    assert dump.count("(most recent call first)") == 2, dump
    assert dg.parse_stack_dump(dump, repo) == ("main.py", 6)


def test_a_dump_without_repo_frames_locates_nothing() -> None:
    dump = (
        "Current thread 0x00007f0000000000 (most recent call first):\n"
        '  File "/usr/lib/python3.11/threading.py", line 320 in wait\n'
        '  File "/opt/venv/lib/python3.11/site-packages/torch/nn.py", line 9 in forward\n'
    )
    assert dg.parse_stack_dump(dump) is None
    traceback = 'Traceback (most recent call last):\n  File "/work/main.py", line 3, in <module>\n'
    assert dg.parse_stack_dump(traceback) is None, "a traceback is not a dump"


def test_a_timed_out_smoke_run_names_the_line_that_was_running(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", WAITING)
    run = RunResult(exit_code=124, output=dump_of(repo), output_bytes=1, timed_out=True)
    result = interpret("smoke", run, repo, 30)
    assert result.status == "timeout"
    (diag,) = result.diagnostics
    assert (diag.file, diag.line, diag.code) == ("model.py", 7, "timeout")
    assert diag.message == (
        "smoke did not finish within 30 s: model.py:7 was running (a loop that never ends?)"
    )
    assert diag.snippet == "threading.Event().wait(0.01)"


def test_a_timeout_without_a_dump_says_so_without_a_place(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", WAITING)
    run = RunResult(exit_code=124, output="training\n", output_bytes=9, timed_out=True)
    (diag,) = interpret("smoke", run, repo, 30).diagnostics
    assert diag.file is None and diag.message.startswith("smoke did not finish within 30 s;")


def test_the_memory_cap_turns_a_runaway_list_into_a_memory_error_at_its_line(
    tmp_path: Path,
) -> None:
    repo = write(tmp_path / "repo", {"main.py": APPENDING})
    done = subprocess.run(
        [sys.executable, "main.py"],
        cwd=repo,
        env=guarded(memory_mb=128),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and done.stderr.rstrip().endswith("MemoryError"), done.stderr
    run = RunResult(exit_code=1, output=done.stderr, output_bytes=1, memory_mb=128)
    result = interpret("smoke", run, repo, 30)
    assert result.status == "fail"
    (diag,) = result.diagnostics
    assert (diag.file, diag.line, diag.code) == ("main.py", 5, "MemoryError")
    assert diag.message == (
        "MemoryError: smoke ran out of memory (128 MB) at this line (a loop that never ends,"
        " or sizes too big for a smoke run?)"
    )
    assert diag.snippet == "losses.append(losses[-1])"


def test_the_cap_is_a_little_below_the_limit_and_absent_without_one() -> None:
    probe = "import resource; print(*resource.getrlimit(resource.RLIMIT_DATA))"

    def limits(env: dict[str, str]) -> tuple[int, int]:
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True
        )
        soft, hard = map(int, done.stdout.split())
        return soft, hard

    soft, hard = limits(guarded(1000))
    assert soft == hard and 0.8 * 1000 * 2**20 <= soft <= 0.9 * 1000 * 2**20
    assert limits(guarded()) == resource.getrlimit(resource.RLIMIT_DATA), "no limit given, none set"


def test_a_torch_allocation_failure_reads_as_out_of_memory(tmp_path: Path) -> None:
    output = (
        "Traceback (most recent call last):\n"
        '  File "/work/main.py", line 20, in <module>\n'
        "    big = torch.zeros(100_000_000)\n"
        "RuntimeError: [enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator:"
        " can't allocate memory: you tried to allocate 400000000 bytes. Error code 12\n"
    )
    run = RunResult(exit_code=1, output=output, output_bytes=1, memory_mb=512)
    (tmp_path / "main.py").write_text("import torch\n", encoding="utf-8")
    (diag,) = interpret("smoke", run, tmp_path, 30).diagnostics
    assert (diag.file, diag.line, diag.code) == ("main.py", 20, "RuntimeError")
    assert diag.message.startswith("MemoryError: smoke ran out of memory (512 MB) at this line")
    assert diag.message.endswith("you tried to allocate 400000000 bytes. Error code 12")
