"""`papercoder eval` on the demo run: the measures checked against the run's own files, counted
here by hand; and a review by the real local model."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from papercoder.eval import EvalReport
from tests.conftest import copy_run
from tests.test_local_model import gguf  # noqa: F401  (the local model's fixture)


@pytest.fixture(scope="module")
def demo_run(demo_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's own copy of the session's demo run (what it writes stays here)."""
    return copy_run(demo_master, tmp_path_factory.mktemp("runs"))


def papercoder(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "papercoder", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.docker
def test_the_measures_of_the_demo_run(demo_run: Path) -> None:
    done = papercoder("eval", str(demo_run), "--samples", "0")
    assert done.returncode == 0, done.stderr
    measures = EvalReport.model_validate_json((demo_run / "eval.json").read_text("utf-8")).measures

    loop = json.loads((demo_run / "report.json").read_text("utf-8"))
    best = loop["best_iteration"]
    final = json.loads((demo_run / f"verify/iter-{best:03d}/report.json").read_text("utf-8"))
    checks = {c["name"]: c for c in final["checks"]}
    assert measures.iteration == best == 2
    assert measures.checks == {name: c["status"] for name, c in checks.items()}
    assert measures.checks_green == 5, "the demo ends green"
    counts = checks["tests"]["counts"]
    assert (measures.tests.collected, measures.tests.passed) == (counts["collected"], 6)
    assert measures.smoke_seconds == checks["smoke"]["duration_s"]

    asserting, asserts = 0, 0
    for test_file in sorted((demo_run / "repo" / "tests").glob("test_*.py")):
        for node in ast.parse(test_file.read_text("utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                found = sum(isinstance(n, ast.Assert) for n in ast.walk(node))
                asserting += found > 0
                asserts += found
    assert (measures.tests.asserting, measures.tests.asserts) == (asserting, asserts) == (6, 8)

    lines = {}
    for folder, dirs, files in os.walk(demo_run / "repo"):
        dirs[:] = [d for d in dirs if d not in (".git", "__pycache__")]
        for name in files:
            if name.endswith(".py"):
                path = Path(folder) / name
                text = path.read_text("utf-8")
                key = path.relative_to(demo_run / "repo").as_posix()
                lines[key] = len([line for line in text.split("\n") if line.strip() != ""])
    assert measures.lines == lines and measures.lines_total == sum(lines.values())

    config = (demo_run / "plan" / "config.yaml").read_text("utf-8").splitlines()
    grounding = read(demo_run / "plan" / "grounding.json")
    hyper = measures.hyperparameters
    assert hyper.verified == sum(line.endswith("(verified)") for line in config)
    assert hyper.assumption == sum("# assumption" in line for line in config)
    assert hyper.config_values == hyper.verified + hyper.re_cited + hyper.assumption
    assert isinstance(grounding["values"], list)
    assert hyper.stated_in_paper == len(grounding["values"])

    assert measures.repair_iterations == loop["iterations"] == 2
    assert measures.usage.tokens == loop["tokens"], "the same tally as the repair loop's ledger"
    calls = (demo_run / "llm" / "calls.jsonl").read_text("utf-8").splitlines()
    assert measures.usage.calls == sum('"outcome": "ok"' in line for line in calls)

    page = papercoder("report", str(demo_run))
    assert page.returncode == 0, page.stderr
    html = (demo_run / "report.html").read_text("utf-8")
    assert "<h2>Evaluation</h2>" in html and "no model review (measures only)" in html
    assert f"{measures.lines_total} in {len(lines)} files" in html


@pytest.mark.docker
def test_a_demo_run_is_reviewed_by_the_scripted_model(demo_run: Path) -> None:
    done = papercoder("eval", str(demo_run))
    assert done.returncode == 0, done.stderr
    assert "SCRIPTED" in done.stderr, "the reviews are labelled as scripted"
    report = EvalReport.model_validate_json((demo_run / "eval.json").read_text("utf-8"))
    assert report.model == "scripted" and report.score is not None
    assert (report.score.mean, report.score.min, report.score.max) == (4.667, 4, 5)
    assert [c.status for c in report.components] == ["implemented"] * 5
    assert report.components[3].votes == {"implemented": 2, "wrong": 1}
    assert "score 4.67 / 5" in done.stdout
    assert papercoder("report", str(demo_run)).returncode == 0
    html = (demo_run / "report.html").read_text("utf-8")
    assert "score 4.67 / 5" in html and "train.py train shuffles" in html


@pytest.mark.local_model
@pytest.mark.docker
@pytest.mark.timeout(1500)  # the demo run, then a review on the CPU
def test_a_review_by_the_local_model(gguf: Path, demo_run: Path) -> None:  # noqa: F811
    done = papercoder("eval", str(demo_run), "--local", str(gguf), "--samples", "1", timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    report = EvalReport.model_validate_json((demo_run / "eval.json").read_text("utf-8"))
    assert report.mode == "reference-free" and report.model == "local"
    [sample] = report.samples
    assert sample.outcome == "ok" and sample.judgement is not None, sample.error
    assert report.score is not None and 1 <= report.score.mean <= 5
    assert report.components and all(c.id >= 1 for c in report.components)
    assert report.context is not None and report.context.files[0].path == "main.py"
    assert (demo_run.parent / "local-server.log").is_file(), "the server's log beside the runs"
    calls = [json.loads(line) for line in (demo_run / "llm/calls.jsonl").read_text().splitlines()]
    assert any(c["agent"] == "evaluator" and c["outcome"] == "ok" for c in calls)
