"""`papercoder report` on the demo run: a page a person can read, opened in headless Chromium,
that asks for nothing over the network."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from papercoder.verify.report import VerifyReport
from tests.conftest import copy_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def demo_run(demo_master: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's own copy of the session's demo run (what it writes stays here)."""
    return copy_run(demo_master, tmp_path_factory.mktemp("runs"))


def report_of(run: Path) -> tuple[Path, str]:
    done = subprocess.run(
        [sys.executable, "-m", "papercoder", "report", str(run)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    page = run / "report.html"
    return page, page.read_text("utf-8")


@pytest.mark.docker
def test_the_page_names_every_iteration_and_its_diagnostics(demo_run: Path) -> None:
    _, text = report_of(demo_run)
    folders = sorted((demo_run / "verify").glob("iter-*"))
    assert len(folders) == 3, "the demo goes green in two repairs"
    for folder in folders:
        number = int(folder.name.removeprefix("iter-"))
        assert f"Iteration {number}:" in text
        report = VerifyReport.model_validate_json((folder / "report.json").read_text("utf-8"))
        for check in report.failing():
            for diag in check.diagnostics[:12]:
                assert html.escape(diag.message) in text
    assert "Every check passes" in text
    assert "the edit applied" in text and "Dependency graph" in text


@pytest.mark.docker
def test_the_page_is_self_contained(demo_run: Path) -> None:
    _, text = report_of(demo_run)
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert not re.search(r"""(?:src|href)\s*=\s*['"]?(?:https?:|//)""", text)
    assert not re.search(r"url\((?!#)", text), "CSS may only point inside the page"


FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-service-autorun",
    "--disable-domain-reliability",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate",
    "--window-size=1100,1400",
]


def render(page: Path, tmp: Path) -> tuple[Path, set[str]]:
    """A screenshot of `page` and the remote URLs (no query) Chromium asked for meanwhile."""
    assert CHROMIUM is not None
    shot, netlog = tmp / f"{page.stem}.png", tmp / f"{page.stem}.json"
    subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp / ('profile-' + page.stem)}",
            f"--log-net-log={netlog}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    urls = re.findall(r'"url":"([^"]+)"', netlog.read_text("utf-8", errors="replace"))
    return shot, {u.split("?")[0] for u in urls if u.startswith(("http:", "https:", "ws"))}


@pytest.mark.docker
def test_chromium_renders_it_without_a_network_request(demo_run: Path, tmp_path: Path) -> None:
    """Chromium asks the network for things of its own (updates, time): what the report adds
    to a blank page's requests is the report's. A page with one remote image shows the test
    can see it."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (./scripts/setup installs it)")
        pytest.skip("no chromium here (./scripts/setup installs Debian's package)")
    page, _ = report_of(demo_run)
    blank = tmp_path / "blank.html"
    blank.write_text("<!doctype html><title>blank</title><p>blank</p>", encoding="utf-8")
    leaky = tmp_path / "leaky.html"
    leaky.write_text(
        "<!doctype html><p>x</p><img src='http://papercoder-test.invalid/pixel.png'>",
        encoding="utf-8",
    )
    shot, asked = render(page, tmp_path)
    _, baseline = render(blank, tmp_path)
    _, leaked = render(leaky, tmp_path)
    assert "http://papercoder-test.invalid/pixel.png" in leaked - baseline, "the check works"
    assert asked - baseline == set(), "the page asked the network for something"
    pixels = pymupdf.Pixmap(str(shot))
    samples = pixels.samples
    colours = {samples[i : i + pixels.n] for i in range(0, len(samples), pixels.n * 97)}
    assert len(colours) > 20, "the screenshot is blank"


def test_the_page_shows_the_eval_when_there_is_one(tmp_path: Path) -> None:
    from papercoder.eval.model import (
        ComponentResult,
        EvalReport,
        HyperparameterMeasures,
        Measures,
        OtherResult,
        ScoreStats,
        TestMeasures,
        UsageMeasures,
    )
    from papercoder.report.html import render as render_page
    from papercoder.runstore import RunStore

    store = RunStore.create_at(tmp_path / "run")
    assert "Evaluation" not in render_page(store.root), "no eval.json, no section"
    measures = Measures(
        verified=True,
        iteration=2,
        checks={"install": "pass", "tests": "fail"},
        checks_green=1,
        tests=TestMeasures(collected=6, passed=5, failed=1, skipped=0, asserting=6, asserts=8),
        smoke_status="pass",
        smoke_seconds=0.37,
        lines={"main.py": 40, "model.py": 51},
        lines_total=91,
        hyperparameters=HyperparameterMeasures(
            stated_in_paper=7,
            config_values=14,
            in_config=8,
            verified=8,
            re_cited=0,
            assumption=6,
            source="grounding",
        ),
        repair_iterations=2,
        stop_reason="max-iterations",
        usage=UsageMeasures(calls=20, prompt_tokens=40000, completion_tokens=6285, tokens=46285),
    )
    report = EvalReport(
        run="run",
        mode="reference-based",
        reference="/src/authors-code",
        model="m",
        samples_asked=3,
        score=ScoreStats(samples=3, mean=3.667, stdev=1.528, min=2, max=5),
        components=[
            ComponentResult(
                id=1,
                component="residual z = h + P<x>",
                status="wrong",
                severity="high",
                votes={"wrong": 2, "implemented": 1},
                notes=["model.py forward drops P"],
            ),
            ComponentResult(id=2, component="accuracy on the test split", status="not judged"),
        ],
        others=[
            OtherResult(
                component="learning-rate decay", status="missing", severity="low", samples=2
            )
        ],
        measures=measures,
    )
    store.write_model("eval.json", report)
    page = render_page(store.root)
    section = page.split("<h2>Evaluation</h2>")[1].split("<h2>")[0]
    assert "score 3.67 / 5 (reference-based, 3 of 3 reviews; stdev 1.53, min 2, max 5)" in section
    assert "/src/authors-code" in section
    assert "residual z = h + P&lt;x&gt;" in section and "P<x>" not in section
    assert "<td class='fail'>wrong</td><td>high</td><td>wrong 2, implemented 1</td>" in section
    assert "model.py forward drops P" in section and "not judged" in section
    assert "learning-rate decay" in section
    assert "1 of 2: install pass, tests fail" in section
    assert "6 collected, 5 passed, 1 failed, 0 skipped; 6 tests assert, 8 asserts" in section
    assert "pass in 0.4 s" in section and "91 in 2 files" in section
    assert (
        "8 of 14 config values stated in the paper (8 verified, 0 re-cited), 6 assumptions"
        in section
    )
    assert "2 (stop reason max-iterations)" in section and "46,285 tokens in 20 calls" in section
