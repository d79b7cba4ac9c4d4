"""Runs one check inside the sandbox container.

    runner.py lint | types | tests [PER_TEST_TIMEOUT] | smoke -- ARGV...

The check's output (stdout and stderr of the tool) goes to stdout: the host keeps it, capped,
as the check's log. When the check ends, one JSON object goes to stderr: the exit code, the
machine-readable results (ruff JSON, mypy JSON lines, JUnit XML) and whether the kernel
killed anything for memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

WORK = Path(os.environ.get("PAPERCODER_WORK", "/work"))
OUT = Path(os.environ.get("PAPERCODER_OUT", "/tmp/papercoder-out"))
MYPY_INI = Path(__file__).with_name("mypy.ini")
FILE_CAP = 2 * 1024 * 1024
LINT_RULES = "E9,F63,F7,F82"


def run(argv: list[str], stdout: object = None) -> int:
    sys.stdout.flush()
    done = subprocess.run(argv, cwd=WORK, check=False, stdout=stdout, stderr=subprocess.STDOUT)
    return done.returncode


def lint() -> int:
    common = [
        sys.executable,
        "-m",
        "ruff",
        "check",
        "--isolated",
        "--no-cache",
        "--select",
        LINT_RULES,
        ".",
    ]
    run([*common, "--output-format", "concise"])
    return run([*common, "--output-format", "json", "--output-file", str(OUT / "ruff.json")])


def types() -> int:
    with (OUT / "mypy.json").open("w", encoding="utf-8") as sink:
        code = run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--config-file",
                str(MYPY_INI),
                "--output",
                "json",
                ".",
            ],
            stdout=sink,
        )
    for line in (OUT / "mypy.json").read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
            print(
                f"{item['file']}:{item['line']}: {item['severity']}: {item['message']}"
                f"  [{item.get('code')}]"
            )
        except (ValueError, KeyError):
            print(line)
    return code


def tests(per_test_timeout: str = "60") -> int:
    return run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "-o",
            "junit_family=xunit1",
            f"--timeout={per_test_timeout}",
            "--rootdir",
            str(WORK),
            f"--junitxml={OUT / 'junit.xml'}",
            str(WORK),
        ]
    )


def smoke(argv: list[str]) -> int:
    if not argv:
        print("no smoke command given")
        return 2
    return run(argv)


def results(exit_code: int) -> dict[str, object]:
    files = {}
    for path in sorted(OUT.glob("*")):
        if path.is_file():
            files[path.name] = path.read_bytes()[:FILE_CAP].decode("utf-8", "replace")
    return {"exit_code": exit_code, "files": files, "oom": _oom_killed()}


def _oom_killed() -> bool:
    """Did the kernel kill anything in this container for memory (cgroup v2, then v1)?"""
    for events in (
        Path("/sys/fs/cgroup/memory.events"),
        Path("/sys/fs/cgroup/memory/memory.oom_control"),
    ):
        if events.is_file():
            for line in events.read_text(encoding="utf-8").splitlines():
                name, _, value = line.partition(" ")
                if name == "oom_kill" and value.strip().isdigit() and int(value) > 0:
                    return True
    return False


def main(argv: list[str]) -> int:
    check, rest = (argv[0], argv[1:]) if argv else ("", [])
    OUT.mkdir(parents=True, exist_ok=True)
    if check == "lint":
        code = lint()
    elif check == "types":
        code = types()
    elif check == "tests":
        code = tests(*rest[:1])
    elif check == "smoke":
        code = smoke(rest[1:] if rest[:1] == ["--"] else rest)
    else:
        print(f"unknown check {check!r}")
        return 2
    sys.stdout.flush()
    sys.stderr.write(json.dumps(results(code)))
    sys.stderr.flush()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
