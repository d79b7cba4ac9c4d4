"""Orchestration speed of a fixture build against the scripted server.

With a fixed latency per model call, prints the wall time, the sequential sum of call
latencies, the critical-path bound (four plan turns + one analysis round + one call per
dependency wave) and their ratios; with zero latency, the orchestration overhead; and the
share of prompt characters in the common prefix of the per-file calls.
Targets: wall <= 1.25 x critical path; overhead < 2 s; common prefix >= 70 %.

    .venv/bin/python benchmarks/pipeline.py [--latency 0.5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from papercoder.agents.plan import LogicDesign
from papercoder.agents.plan_checks import waves
from papercoder.pipeline import build
from papercoder.settings import Settings
from papercoder.testing import ScriptedServer, load_script

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "fixtures" / "scripted" / "build.yaml"


def timed_build(pdf: Path, latency: float, workdir: Path) -> tuple[float, ScriptedServer]:
    script = load_script(SCRIPT)
    for rule in script.rules:
        rule.delay = latency
    with ScriptedServer(script) as server:
        settings = Settings.resolve(
            {"base_url": server.base_url, "model": "scripted", "runs_dir": workdir, "jobs": 8}, {}
        )
        started = time.perf_counter()
        build(pdf, settings)
        return time.perf_counter() - started, server


def prefix_share(server: ScriptedServer) -> float:
    texts = [
        "\n".join(str(m["content"]) for m in r.body["messages"])
        for agent in ("analyst", "coder")
        for r in server.chat_requests(agent)
    ]
    shortest = min(texts, key=len)
    common = next(
        (i for i, ch in enumerate(shortest) if any(t[i] != ch for t in texts)), len(shortest)
    )
    return statistics.fmean(common / len(text) for text in texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--latency", type=float, default=0.5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "fixtures" / "paper"))
    from make_paper import build as make_pdf  # type: ignore[import-not-found]

    logic = LogicDesign.model_validate(
        json.loads((ROOT / "fixtures/scripted/plan/logic.json").read_text("utf-8"))
    )
    graph = {f.path: f.depends_on for f in logic.files}
    with tempfile.TemporaryDirectory() as tmp:
        pdf = make_pdf(Path(tmp) / "paper.pdf")
        wall, server = timed_build(pdf, args.latency, Path(tmp) / "slow")
        calls = len(server.chat_requests())
        overhead, _ = timed_build(pdf, 0.0, Path(tmp) / "fast")
        share = prefix_share(server)
    rounds = 4 + 1 + len(waves(graph))
    critical = rounds * args.latency
    sequential = calls * args.latency
    print(
        f"calls: {calls}, latency per call {args.latency:g} s, dependency waves {len(waves(graph))}"
    )
    print(f"wall time:                 {wall:6.2f} s")
    print(
        f"sequential sum of latency: {sequential:6.2f} s   (wall / sum = {wall / sequential:.2f})"
    )
    print(
        f"critical-path bound:       {critical:6.2f} s   (wall / bound = {wall / critical:.2f},"
        " target <= 1.25)"
    )
    print(f"orchestration overhead at zero latency: {overhead:.2f} s (target < 2)")
    print(f"common prefix of per-file prompts: {share:.0%} (target >= 70 %)")


if __name__ == "__main__":
    main()
