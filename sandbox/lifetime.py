"""Bounds a check container from inside, so that it ends even if PaperCoder is killed.

    lifetime.py watch IDLE               the container's main process
    lifetime.py bound SECONDS -- ARGV    how every command is run in it

`watch` lives until a deadline: IDLE seconds after the container starts, until a command
starts; then the deadline that command announced. When `watch` ends, the container stops.
`bound` announces its deadline (its time limit plus a short grace), runs ARGV in its own
process group, kills the group at the limit (after asking it for its Python stacks, which
go to the command's stderr), and on the way out moves the deadline to a few
seconds from now. On a timeout it exits 124 and writes one JSON line to stderr saying so.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DEADLINE = Path(os.environ.get("PAPERCODER_DEADLINE", "/tmp/papercoder-deadline"))
GRACE_S = 2.0  # past a command's limit: time for it to be killed and to report
AFTER_S = 3.0  # past a command's end: time for the host to read its exit status
POLL_S = 0.25
DUMP_S = 0.5  # within GRACE_S: time for the stacks to be written before the kill
TIMEOUT_EXIT = 124


def announce(deadline: float) -> None:
    """Write the deadline (epoch seconds) atomically: `watch` never reads half a number."""
    partial = DEADLINE.with_name(f"{DEADLINE.name}.{os.getpid()}")
    partial.write_text(f"{deadline:.3f}", encoding="utf-8")
    partial.replace(DEADLINE)


def current_deadline(default: float) -> float:
    try:
        return float(DEADLINE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def watch(idle: float) -> int:
    default = time.time() + idle
    while time.time() < current_deadline(default):
        time.sleep(POLL_S)
    return 0


def stacks(child: subprocess.Popen[bytes]) -> None:
    """Ask every process of the command's group for its Python stacks (the sandbox's
    sitecustomize.py dumps them on SIGUSR1), and give them a moment to write them: a fixed
    one, since the group's leader may end at once (SIGUSR1 ends a process without the hook)
    while the process that hangs is still writing."""
    try:
        os.killpg(child.pid, signal.SIGUSR1)
    except ProcessLookupError:
        return
    time.sleep(DUMP_S)


def bound(seconds: float, argv: list[str]) -> int:
    announce(time.time() + seconds + GRACE_S)
    try:
        child = subprocess.Popen(argv, start_new_session=True)
        try:
            return child.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            stacks(child)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            sys.stdout.flush()
            sys.stderr.write("\n" + json.dumps({"timed_out": True, "timeout_s": seconds}) + "\n")
            sys.stderr.flush()
            return TIMEOUT_EXIT
    finally:
        announce(time.time() + AFTER_S)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "watch":
        return watch(float(argv[1]))
    if len(argv) >= 4 and argv[0] == "bound" and argv[2] == "--":
        return bound(float(argv[1]), argv[3:])
    sys.stderr.write("usage: lifetime.py watch IDLE | bound SECONDS -- ARGV...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
