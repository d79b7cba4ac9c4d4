"""Real Docker: the checks find the right problems at the right place; hostile code is contained."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from papercoder.sandbox.docker import CONTAINER_LABEL, PID_LABEL, DockerSandbox
from papercoder.sandbox.protocol import Limits
from papercoder.verify.checks import Timeouts, Verifier
from papercoder.verify.diagnostics import CheckName
from papercoder.verify.report import CheckResult, VerifyReport
from tests.sandbox.repos import write

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def sandbox() -> Iterator[DockerSandbox]:
    box = DockerSandbox(limits=Limits(memory_mb=256, pids=64, tmpfs_mb=64))
    box.ensure_image()
    yield box
    box.close()


STARTED: set[int] = set()  # PaperCoder processes these tests started


def leftover_containers(running_only: bool = False) -> list[str]:
    """Ids of the containers of this test process and of the PaperCoder processes it started
    (the engine is shared with other runs): a raw listing, since inspecting each one races
    with containers that are being removed meanwhile."""
    ours = {str(os.getpid()), *map(str, STARTED)}
    client = docker.from_env()
    try:
        listed = client.api.containers(all=not running_only, filters={"label": CONTAINER_LABEL})
        return [c["Id"] for c in listed if (c.get("Labels") or {}).get(PID_LABEL) in ours]
    finally:
        client.close()


def start_endless_verify(tmp: Path, timeout: int = 120) -> subprocess.Popen[str]:
    """`papercoder verify` of a repo whose smoke run never ends, in a subprocess, returned once
    its smoke container is running (output captured for the caller)."""
    repo = write(tmp / "repo", {"main.py": "while True:\n    pass\n"})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "papercoder",
            "verify",
            str(repo),
            "--checks",
            "smoke",
            "--timeout",
            str(timeout),
            "--runs-dir",
            str(tmp / "runs"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    STARTED.add(proc.pid)
    deadline = time.monotonic() + 60
    while not leftover_containers() and time.monotonic() < deadline:
        time.sleep(0.1)
    if not leftover_containers():
        proc.kill()
        proc.communicate(timeout=10)
        raise AssertionError("the smoke container should be running")
    return proc


def verify(sandbox: DockerSandbox, repo: Path, **timeouts: float) -> VerifyReport:
    limits = Timeouts(**{"lint": 60, "types": 120, "tests": 120, "smoke": 60, **timeouts})
    report = Verifier(sandbox, repo.parent / "logs", limits).verify(repo)
    assert leftover_containers() == [], "every check container must be removed"
    return report


def statuses(report: VerifyReport) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def test_clean_repo_passes_every_check(sandbox: DockerSandbox, tmp_path: Path) -> None:
    report = verify(sandbox, write(tmp_path / "repo", {}))
    assert statuses(report) == dict.fromkeys(("install", "lint", "types", "tests", "smoke"), "pass")
    assert "result 42" in Path(report.checks[-1].log or "").read_text("utf-8")


def first(report: VerifyReport, check: str) -> tuple[str | None, int | None, str | None]:
    result = report.check(check)  # type: ignore[arg-type]
    assert result is not None and result.diagnostics, f"{check} should have diagnostics"
    diag = result.diagnostics[0]
    return diag.file, diag.line, diag.code


def test_syntax_error_fails_lint_and_skips_the_rest(sandbox: DockerSandbox, tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"model.py": "def double(x)\n    return 2 * x\n"})
    report = verify(sandbox, repo)
    assert statuses(report)["lint"] == "fail"
    assert first(report, "lint")[:2] == ("model.py", 1)
    assert {statuses(report)[c] for c in ("types", "tests", "smoke")} == {"skipped"}


def test_undefined_name_is_a_lint_error(sandbox: DockerSandbox, tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"model.py": "def double(x):\n    return twice * x\n"})
    report = verify(sandbox, repo)
    assert first(report, "lint") == ("model.py", 2, "F821")


def test_wrong_attribute_across_modules_is_a_type_error(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    repo = write(
        tmp_path / "repo",
        {
            "train.py": "import model\n\n\ndef step(x):\n    return model.triple(x)\n",
        },
    )
    report = verify(sandbox, repo)
    assert statuses(report)["lint"] == "pass"
    assert first(report, "types") == ("train.py", 5, "attr-defined")


def test_failing_unit_test_points_at_the_test(sandbox: DockerSandbox, tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"model.py": "def double(x):\n    return 3 * x\n"})
    report = verify(sandbox, repo)
    assert statuses(report)["tests"] == "fail" and statuses(report)["smoke"] == "pass"
    assert first(report, "tests")[:2] == ("tests/test_model.py", 5)


def test_crash_only_in_smoke_points_at_the_deepest_repo_frame(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    repo = write(
        tmp_path / "repo",
        {
            "model.py": "def double(x):\n    if x > 10:\n        raise ValueError('too big')\n"
            "    return 2 * x\n",
        },
    )
    report = verify(sandbox, repo)
    assert statuses(report)["tests"] == "pass" and statuses(report)["smoke"] == "fail"
    assert first(report, "smoke") == ("model.py", 3, "ValueError")


def test_declared_smoke_command_is_used(sandbox: DockerSandbox, tmp_path: Path) -> None:
    repo = write(
        tmp_path / "repo",
        {
            "pyproject.toml": '[tool.papercoder]\nsmoke = "python run.py --tiny"\n',
            "run.py": "import sys\nprint('declared', sys.argv[1:])\n",
        },
    )
    report = verify(sandbox, repo)
    assert "declared ['--tiny']" in Path(report.checks[-1].log or "").read_text("utf-8")


def smoke_repo(tmp_path: Path, body: str) -> Path:
    return write(tmp_path / "repo", {"main.py": body})


def test_infinite_loop_times_out(sandbox: DockerSandbox, tmp_path: Path) -> None:
    report = verify(sandbox, smoke_repo(tmp_path, "while True:\n    pass\n"), smoke=3)
    smoke = report.check("smoke")
    assert smoke is not None and smoke.status == "timeout" and smoke.duration_s < 20


def only(sandbox: DockerSandbox, repo: Path, check: CheckName, limits: Timeouts) -> CheckResult:
    report = Verifier(sandbox, repo.parent / "logs", limits).verify(repo, (check,))
    assert leftover_containers() == [], "every check container must be removed"
    result = report.check(check)
    assert result is not None
    return result


LOOPING = {
    "model.py": "def train(steps):\n    step, loss = 0, 1.0\n    while step < steps:\n"
    "        loss = loss * 0.5\n    return loss\n",
    "main.py": "import sys\n\nfrom model import train\n\n\ndef main(argv):\n"
    "    print('loss', train(10))\n    return 0\n\n\n"
    "if __name__ == '__main__':\n    sys.exit(main(sys.argv[1:]))\n",
}


def test_a_smoke_run_out_of_time_names_the_line_that_was_running(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    smoke = only(sandbox, write(tmp_path / "repo", LOOPING), "smoke", Timeouts(smoke=3))
    assert smoke.status == "timeout" and smoke.duration_s < 10
    (diag,) = smoke.diagnostics
    assert diag.file == "model.py" and diag.line in (3, 4), diag
    assert diag.message == (
        f"smoke did not finish within 3 s: model.py:{diag.line} was running"
        " (a loop that never ends?)"
    )


def test_a_test_run_out_of_time_names_the_line_that_was_running(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    endless = "def test_double():\n    n = 0\n    while True: n += 1\n"
    repo = write(tmp_path / "repo", {"tests/test_model.py": endless})
    tests = only(sandbox, repo, "tests", Timeouts(tests=5, per_test=60))
    assert tests.status == "timeout"
    assert [(d.file, d.line) for d in tests.diagnostics] == [("tests/test_model.py", 3)]


def test_a_runaway_allocation_is_a_memory_error_at_its_line(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    body = (
        "def train():\n    losses = [1.0]\n    step = 0\n    while step < 10:\n"
        "        losses.append(losses[-1])\n\n\ntrain()\n"
    )
    smoke = only(sandbox, smoke_repo(tmp_path, body), "smoke", Timeouts(smoke=60))
    assert smoke.status == "fail" and smoke.duration_s < 20
    (diag,) = smoke.diagnostics
    assert (diag.file, diag.line, diag.code) == ("main.py", 5, "MemoryError")
    assert diag.message.startswith("MemoryError: smoke ran out of memory (256 MB) at this line")


def test_processes_over_the_container_limit_together_are_out_of_memory(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    """Each process is capped below the container's limit, not all of them together: two
    that grow at once meet the kernel's OOM killer first."""
    body = (
        "import os\nos.fork()\nblocks = []\nwhile True:\n"
        "    blocks.append(bytearray(20 * 1024 * 1024))\n"
    )
    smoke = only(sandbox, smoke_repo(tmp_path, body), "smoke", Timeouts(smoke=60))
    assert [d.code for d in smoke.diagnostics] == ["out-of-memory"]
    assert smoke.diagnostics[0].message.startswith("smoke was killed: out of memory (256 MB)")


def test_fork_bomb_is_held_by_the_pids_limit(sandbox: DockerSandbox, tmp_path: Path) -> None:
    body = (
        "import os, time\nfor _ in range(10000):\n    try:\n        if os.fork() == 0:\n"
        "            time.sleep(30)\n            os._exit(0)\n    except OSError as exc:\n"
        "        print('fork refused:', exc)\n        break\nos._exit(3)\n"
    )
    report = verify(sandbox, smoke_repo(tmp_path, body), smoke=20)
    log = Path(report.checks[-1].log or "").read_text("utf-8")
    assert "fork refused" in log
    assert statuses(report)["smoke"] == "fail"


def test_writes_outside_the_scratch_space_are_refused(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    body = (
        "import sys\nfailed = 0\nfor path in ('/etc/evil', '/usr/evil', '/opt/venv/evil'):\n"
        "    try:\n        open(path, 'w').write('x')\n        print('WROTE', path)\n"
        "    except OSError as exc:\n        failed += 1\n        print('refused', path, exc)\n"
        "sys.exit(0 if failed == 3 else 1)\n"
    )
    report = verify(sandbox, smoke_repo(tmp_path, body))
    log = Path(report.checks[-1].log or "").read_text("utf-8")
    assert "WROTE" not in log and log.count("refused") == 3
    assert statuses(report)["smoke"] == "pass"


def test_huge_output_is_capped_with_the_cut_marked(sandbox: DockerSandbox, tmp_path: Path) -> None:
    body = (
        "import os\nchunk = b'x' * (1 << 20)\nfor _ in range(1024):\n    os.write(1, chunk)\n"
        "print('THE END')\n"
    )
    report = verify(sandbox, smoke_repo(tmp_path, body), smoke=120)
    log_path = Path(report.checks[-1].log or "")
    assert log_path.stat().st_size < 200 * 1024
    log = log_path.read_text("utf-8")
    assert "bytes cut by papercoder" in log and log.rstrip().endswith("THE END")
    assert f"{1 << 30}" in log or "1073741" in log, "the header records the full output size"


def test_only_loopback_exists_inside(sandbox: DockerSandbox, tmp_path: Path) -> None:
    body = "import os\nprint('interfaces:', sorted(os.listdir('/sys/class/net')))\n"
    report = verify(sandbox, smoke_repo(tmp_path, body))
    assert "interfaces: ['lo']" in Path(report.checks[-1].log or "").read_text("utf-8")


def test_runs_as_non_root_without_capabilities(sandbox: DockerSandbox, tmp_path: Path) -> None:
    body = (
        "import os\nprint('uid', os.getuid())\n"
        "print([l for l in open('/proc/self/status') if l.startswith('CapEff')])\n"
    )
    report = verify(sandbox, smoke_repo(tmp_path, body))
    log = Path(report.checks[-1].log or "").read_text("utf-8")
    assert "uid 10001" in log and "0000000000000000" in log


def test_numpy_installs_offline_and_the_image_is_reused(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "numpy\n",
        "model.py": "import numpy as np\n\n\ndef double(x):\n    return int(np.int64(x) * 2)\n",
    }
    repo = write(tmp_path / "repo", files)
    first_box = DockerSandbox()
    try:
        report = verify(first_box, repo)
    finally:
        first_box.close()
    assert report.passed, report.model_dump_json(indent=1)
    second_box = DockerSandbox()
    try:
        again = verify(second_box, repo)
    finally:
        second_box.close()
    assert again.passed and second_box.built_images == []
    install = again.check("install")
    assert install is not None and install.summary == "dependencies reused"


def test_unresolvable_requirement_is_an_install_diagnostic(
    sandbox: DockerSandbox, tmp_path: Path
) -> None:
    repo = write(tmp_path / "repo", {"requirements.txt": "papercoder-no-such-package-xyz==1.0\n"})
    report = verify(sandbox, repo)
    assert statuses(report)["install"] == "fail"
    diag = report.checks[0].diagnostics[0]
    assert diag.file == "requirements.txt" and "papercoder-no-such-package-xyz" in diag.message
    assert statuses(report)["tests"] == "skipped" and statuses(report)["lint"] == "pass"
