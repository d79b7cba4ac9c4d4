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


@pytest.mark.docker
def test_chromium_renders_it_without_a_network_request(demo_run: Path, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (./scripts/setup installs it)")
        pytest.skip("no chromium here (./scripts/setup installs Debian's package)")
    page, _ = report_of(demo_run)
    shot, netlog = tmp_path / "page.png", tmp_path / "net.json"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--log-net-log={netlog}",
            "--window-size=1100,1400",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=180,
        check=True,
    )
    pixels = pymupdf.Pixmap(str(shot))
    samples = pixels.samples
    colours = {samples[i : i + pixels.n] for i in range(0, len(samples), pixels.n * 97)}
    assert len(colours) > 20, "the screenshot is blank"
    requested = re.findall(r'"url":"([^"]+)"', netlog.read_text("utf-8", errors="replace"))
    remote = [u for u in requested if u.startswith(("http:", "https:", "ws:", "wss:"))]
    assert requested, "the net log recorded the page's own load"
    assert remote == [], f"the page asked the network for {remote[:3]}"
