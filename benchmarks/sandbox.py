"""Sandbox overhead, measured side by side in one run.

Prints, on a small clean repo:
- the same checks (the sandbox's own runner) run directly on the host vs. in the sandbox;
- first verify (sandbox image build) vs. second verify (image cached);
- container start overhead (create, start, copy in, a trivial exec, remove).
Target: cached sandbox verify <= 1.5 x host-direct time for the same checks.

    .venv/bin/python benchmarks/sandbox.py [--cold]

--cold removes the current sandbox image first so the first verify includes its build.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker

from papercoder.resources import data_dir
from papercoder.sandbox import engine, images
from papercoder.sandbox.docker import DockerSandbox
from papercoder.verify.checks import Verifier

REPO = {
    "model.py": "def double(x):\n    return 2 * x\n",
    "main.py": "import sys\n\nfrom model import double\n\nprint(double(21), sys.argv[1:])\n",
    "tests/test_model.py": "from model import double\n\n\ndef test_double():\n"
    "    assert double(2) == 4\n",
}
MODULE = """\
from __future__ import annotations

from dataclasses import dataclass, field

{imports}


@dataclass
class Layer{n}:
    width: int = 8
    weights: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.weights = [((i * 7 + {n}) % 11) / 11 for i in range(self.width)]

    def forward(self, xs: list[float]) -> list[float]:
        out = [sum(w * x for w, x in zip(self.weights, xs)) for _ in range(self.width)]
        return {call}

    def norm(self, xs: list[float]) -> float:
        return sum(x * x for x in xs) ** 0.5


def build{n}(width: int = 8) -> Layer{n}:
    return Layer{n}(width=width)
"""
TEST = """\
from mod{n} import build{n}


def test_forward_{n}():
    layer = build{n}(4)
    assert len(layer.forward([1.0, 2.0, 3.0, 4.0])) == 4


def test_norm_{n}():
    assert build{n}().norm([3.0, 4.0]) == 5.0
"""


def medium_repo(root: Path, modules: int = 30) -> Path:
    """A repo of the size of a generated one: `modules` modules, each tested, chained."""
    for n in range(modules):
        imports = f"from mod{n - 1} import build{n - 1}" if n else ""
        call = f"build{n - 1}(self.width).forward(out)" if n else "out"
        text = MODULE.format(n=n, imports=imports, call=call)
        (root / f"mod{n}.py").parent.mkdir(parents=True, exist_ok=True)
        (root / f"mod{n}.py").write_text(text, encoding="utf-8")
        (root / "tests").mkdir(exist_ok=True)
        (root / "tests" / f"test_mod{n}.py").write_text(TEST.format(n=n), encoding="utf-8")
    main = f"from mod{modules - 1} import build{modules - 1}\n\n"
    main += f"print(build{modules - 1}(4).forward([1.0, 2.0, 3.0, 4.0]))\n"
    (root / "main.py").write_text(main, encoding="utf-8")
    return root


CHECKS = (["lint"], ["types"], ["tests", "60"], ["smoke", "--", sys.executable, "main.py"])


def make_repo(root: Path) -> Path:
    for name, text in REPO.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def host_direct(repo: Path) -> float:
    runner = data_dir("sandbox") / "runner.py"
    with tempfile.TemporaryDirectory() as out:
        env = {
            **os.environ,
            "PAPERCODER_WORK": str(repo),
            "PAPERCODER_OUT": out,
            "PYTHONPATH": str(repo),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        started = time.perf_counter()
        for check in CHECKS:
            subprocess.run(
                [sys.executable, str(runner), *check], env=env, check=False, capture_output=True
            )
        return time.perf_counter() - started


def sandbox_verify(repo: Path, logs: Path, built: list[str] | None = None) -> float:
    box = DockerSandbox()
    try:
        started = time.perf_counter()
        report = Verifier(box, logs).verify(repo, ("lint", "types", "tests", "smoke"))
        elapsed = time.perf_counter() - started
        if built is not None:
            built += box.built_images
    finally:
        box.close()
    assert report.passed, report.model_dump_json(indent=1)
    return elapsed


def container_overhead(repo: Path, rounds: int = 5) -> float:
    box = DockerSandbox()
    try:
        image = box.ensure_image()
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            box.run(image, repo, ["true"], 30)
            times.append(time.perf_counter() - started)
    finally:
        box.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--cold", action="store_true", help="rebuild the sandbox image first")
    args = parser.parse_args()
    client = engine.connect()
    if args.cold:
        base = engine.local_base_image(client)
        tag = images.sandbox_tag(client, base or engine.BASE_IMAGE)
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(tag, force=True)
    client.close()
    with tempfile.TemporaryDirectory() as tmp:
        small = make_repo(Path(tmp) / "small")
        medium = medium_repo(Path(tmp) / "medium")
        built: list[str] = []
        first = sandbox_verify(small, Path(tmp) / "first", built)
        overhead = container_overhead(small)
        rows = []
        for name, repo in (("small (3 files)", small), ("medium (61 files)", medium)):
            sandboxed = statistics.median(
                sandbox_verify(repo, Path(tmp) / f"{name[:5]}{i}") for i in range(3)
            )
            host = statistics.median(host_direct(repo) for _ in range(3))
            rows.append((name, host, sandboxed))
    print("same checks (lint, types, tests, smoke), median of 3:")
    print(f"  {'repo':<20}{'host-direct':>12}{'sandbox':>10}{'ratio':>8}   (target <= 1.5)")
    for name, host, sandboxed in rows:
        print(f"  {name:<20}{host:>10.2f} s{sandboxed:>8.2f} s{sandboxed / host:>7.2f}x")
    label = "with sandbox image build" if built else "image already built"
    print(f"first sandbox verify, small repo ({label}): {first:.2f} s")
    print(f"container start overhead (create, start, copy in, exec, remove): {overhead:.2f} s")


if __name__ == "__main__":
    main()
