"""`papercoder report` on the demo run: a page a person can read, opened in headless Chromium,
that asks for nothing over the network."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest

from papercoder.verify.report import VerifyReport

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    runs = tmp_path_factory.mktemp("runs")
    done = subprocess.run(
        [sys.executable, "-m", "papercoder", "demo", "--runs-dir", str(runs)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [run] = [p for p in runs.iterdir() if p.is_dir()]
    yield run


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
