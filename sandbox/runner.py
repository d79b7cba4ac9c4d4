"""Runs one check inside the sandbox container and keeps its machine-readable results.

    runner.py lint | types | tests [PER_TEST_TIMEOUT] | smoke -- ARGV...
    runner.py collect        # prints the results of the last check as one JSON object

The tool's own output goes to stdout (the host keeps it, capped, as the check's log);
machine-readable results (ruff JSON, mypy JSON lines, JUnit XML) go to OUT for `collect`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WORK = Path("/work")
OUT = Path("/tmp/papercoder-out")
FILE_CAP = 2 * 1024 * 1024
LINT_RULES = "E9,F63,F7,F82"


def run(argv: list[str], **kwargs: object) -> int:
    return subprocess.run(argv, cwd=WORK, check=False, **kwargs).returncode  # type: ignore[call-overload]


def lint() -> int:
    common = ["ruff", "check", "--isolated", "--no-cache", "--select", LINT_RULES, "."]
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
                "/opt/papercoder/mypy.ini",
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
        print("no smoke command given", file=sys.stderr)
        return 2
    return run(argv)


def collect() -> int:
    files = {}
    for path in sorted(OUT.glob("*")):
        if path.is_file() and path.name != "exit_code":
            files[path.name] = path.read_bytes()[:FILE_CAP].decode("utf-8", "replace")
    code_file = OUT / "exit_code"
    exit_code = int(code_file.read_text(encoding="utf-8")) if code_file.is_file() else None
    print(json.dumps({"exit_code": exit_code, "files": files, "oom": _oom_killed()}))
    return 0


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
    if check == "collect":
        return collect()
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
        print(f"unknown check {check!r}", file=sys.stderr)
        return 2
    (OUT / "exit_code").write_text(str(code), encoding="utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
