"""Runs one check inside the sandbox container.

    python3 -I runner.py lint | types | tests [PER_TEST_TIMEOUT] | smoke -- ARGV... | metadata

The check's output (stdout and stderr of the tool) goes to stdout: the host keeps it, capped,
as the check's log. When the check ends, one JSON object goes to stderr: the exit code, the
machine-readable results (ruff JSON, mypy JSON lines, JUnit XML, pytest's record of what ran,
pip's metadata report) and whether the kernel killed anything for memory.

The gating rules are ours: every tool gets its options on the command line and reads no
configuration from the repo, and the tools run with ``-I`` (no repo or environment on their
``sys.path``, so a repo's ``sitecustomize.py`` or a module named like a tool is never imported
by them).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

WORK = Path(os.environ.get("PAPERCODER_WORK", "/work"))
OUT = Path(os.environ.get("PAPERCODER_OUT", "/tmp/papercoder-out"))
HERE = Path(__file__).resolve().parent
MYPY_INI = HERE / "mypy.ini"
PYTEST_MAIN = HERE / "pytest_main.py"
FILE_CAP = 2 * 1024 * 1024
LINT_RULES = "E9,F63,F7,F82"
INLINE_MYPY = re.compile(r"^(\s*#\s*)mypy:", re.M)
WHOLE_FILE_IGNORE = re.compile(r"^(\s*#\s*)type:(\s*ignore)")
NO_TYPE_CHECK = re.compile(r"^(\s*)@((?:typing\.)?no_type_check\s*)$", re.M)


def run(argv: list[str], stdout: object = None) -> int:
    sys.stdout.flush()
    done = subprocess.run(argv, cwd=WORK, check=False, stdout=stdout, stderr=subprocess.STDOUT)
    return done.returncode


def lint() -> int:
    common = [
        sys.executable,
        "-I",
        "-m",
        "ruff",
        "check",
        "--isolated",
        "--no-cache",
        "--ignore-noqa",
        "--no-respect-gitignore",
        "--select",
        LINT_RULES,
        ".",
    ]
    run([*common, "--output-format", "concise"])
    return run([*common, "--output-format", "json", "--output-file", str(OUT / "ruff.json")])


def own_mypy_config_only(root: Path) -> None:
    """Disarm, in this container's copy, the configuration a file gives mypy about itself
    (``# mypy: ignore-errors`` and the like, a ``# type: ignore`` above all code, a
    ``@no_type_check`` decorator), so that our configuration alone decides. Same-length
    edits: positions do not move."""
    for path in sorted(root.rglob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines = NO_TYPE_CHECK.sub(r"\1#\2", INLINE_MYPY.sub(r"\1mypy-", text)).split("\n")
        for i, line in enumerate(lines):
            if line.strip() and not line.lstrip().startswith("#"):
                break
            lines[i] = WHOLE_FILE_IGNORE.sub(r"\1type-\2", line)
        disarmed = "\n".join(lines)
        if disarmed != text:
            print(f"note: {path.relative_to(root)}: its own mypy configuration is not applied")
            try:
                path.write_text(disarmed, encoding="utf-8")
            except OSError as exc:
                print(f"note: cannot disarm it: {exc}")


def types() -> int:
    own_mypy_config_only(WORK)
    with (OUT / "mypy.json").open("w", encoding="utf-8") as sink:
        code = run(
            [
                sys.executable,
                "-I",
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
    """pytest with an empty configuration file (so no pytest.ini, tox.ini, setup.cfg or
    pyproject.toml section of the repo applies), no plugins but ours and pytest-timeout."""
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_ADDOPTS", None)
    return run(
        [
            sys.executable,
            "-I",
            str(PYTEST_MAIN),
            str(OUT / "pytest.json"),
            "-c",
            os.devnull,
            "--rootdir",
            str(WORK),
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "junit_family=xunit1",
            f"--timeout={per_test_timeout}",
            f"--junitxml={OUT / 'junit.xml'}",
            str(WORK),
        ]
    )


def smoke(argv: list[str]) -> int:
    if not argv:
        print("no smoke command given")
        return 2
    return run(argv)


def metadata() -> int:
    """The repo's declared dependencies as pip reads them (setup.py run here, not on the host):
    a dry run with no index, no dependencies and no build isolation, reported as JSON."""
    return run(
        [
            sys.executable,
            "-I",
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--ignore-installed",
            "--disable-pip-version-check",
            "--quiet",
            "--report",
            str(OUT / "pip-report.json"),
            str(WORK),
        ]
    )


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
    elif check == "metadata":
        code = metadata()
    else:
        print(f"unknown check {check!r}")
        return 2
    sys.stdout.flush()
    sys.stderr.write(json.dumps(results(code)))
    sys.stderr.flush()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
