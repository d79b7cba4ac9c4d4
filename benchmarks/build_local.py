"""The whole pipeline with the local model: `papercoder build <fixture paper> --verify
--local MODEL`, end to end. Prints wall time, calls, tokens, whether every check is green,
repair iterations, and the stop reason (or the error that ended the build).

    .venv/bin/python benchmarks/build_local.py
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(name: str, path: Path) -> object:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    gguf = load("local_model", ROOT / "benchmarks/local_model.py").ensure_model()  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        paper = load("make_paper", ROOT / "fixtures/paper/make_paper.py").build(  # type: ignore[attr-defined]
            Path(tmp) / "paper.pdf"
        )
        run = Path(tmp) / "run"
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "papercoder",
                "build",
                str(paper),
                "--out",
                str(run),
                "--local",
                str(gguf),
                "--jobs",
                "1",
                "--max-iterations",
                "4",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.monotonic() - started
        calls = (
            [json.loads(x) for x in (run / "llm/calls.jsonl").read_text().splitlines()]
            if (run / "llm/calls.jsonl").exists()
            else []
        )
        tokens = sum(
            (c.get("prompt_tokens") or 0) + (c.get("completion_tokens") or 0) for c in calls
        )
        print(
            f"exit code {done.returncode}, wall {wall:.0f} s, calls {len(calls)}, tokens {tokens}"
        )
        report = run / "report.json"
        if report.exists() and "stop_reason" in report.read_text():
            data = json.loads(report.read_text())
            print(
                f"checks green: {data['passed']}, iterations {data['iterations']}, "
                f"stop reason {data['stop_reason']}, checks {data['checks']}"
            )
        else:
            stages = json.loads((run / "manifest.json").read_text())["stages"]
            print(f"stages: {stages}")
            print("ended with:", (done.stderr.strip().splitlines() or ["?"])[-1])


if __name__ == "__main__":
    main()
