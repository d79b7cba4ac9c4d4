"""`papercoder batch`: a run directory per paper and one table; the same command again resumes
(no answered call asked twice, even after kill -9) and skips finished runs; one failing paper
does not stop the others; tables of separate batches merge with --collect."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papercoder.batch import GatedSandbox
from papercoder.batch_summary import BatchSummary
from papercoder.cli import app
from papercoder.runstore import read_jsonl
from papercoder.sandbox.protocol import InstallResult, RunResult, Session
from papercoder.testing import ScriptedServer, load_script
from tests.conftest import REPO
from tests.paper.helpers import build_fixture

runner = CliRunner()
SCRIPT = REPO / "fixtures" / "scripted" / "build.yaml"
CALLS_PER_PAPER = 4 + 7 + 7  # plan turns, analyses, files


@pytest.fixture(scope="module")
def fixture_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture(tmp_path_factory.mktemp("fixture"))


def copies(pdf: Path, folder: Path, *names: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(pdf, folder / f"{name}.pdf")) for name in names]


def summary_of(out: Path) -> BatchSummary:
    return BatchSummary.model_validate_json((out / "summary.json").read_text("utf-8"))


def model_flags(server: ScriptedServer) -> list[str]:
    return ["--base-url", server.base_url, "--model", "scripted"]


def test_three_papers_three_run_dirs_one_table_and_a_rerun_skips_them(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    papers = copies(fixture_pdf, tmp_path / "papers", "alpha", "beta", "gamma")
    out = tmp_path / "batch"
    argv = ["batch", *map(str, papers), "--out", str(out), "--no-verify", "--jobs", "2"]
    with ScriptedServer(load_script(SCRIPT)) as srv:
        first = runner.invoke(app, [*argv, *model_flags(srv)], env={"COLUMNS": "200"})
        assert first.exit_code == 0, first.output
        assert len(srv.chat_requests()) == 3 * CALLS_PER_PAPER
        again = runner.invoke(app, [*argv, *model_flags(srv)], env={"COLUMNS": "200"})
        assert again.exit_code == 0, again.output
        assert len(srv.chat_requests()) == 3 * CALLS_PER_PAPER, "a finished run was redone"
    assert again.output.count("(finished earlier)") == 3
    runs = sorted(p for p in out.iterdir() if p.is_dir())
    assert [p.name.rsplit("-", 1)[0] for p in runs] == ["alpha", "beta", "gamma"]
    for run in runs:
        assert sorted(p.name for p in (run / "repo").glob("*.py")) == [
            "data.py",
            "main.py",
            "model.py",
            "train.py",
        ]
    summary = summary_of(out)
    assert [r.paper for r in summary.rows] == ["alpha.pdf", "beta.pdf", "gamma.pdf"]
    assert [r.run_dir for r in summary.rows] == [p.name for p in runs]
    for row, run in zip(summary.rows, runs, strict=True):
        spent = read_jsonl(run / "llm" / "calls.jsonl")
        tokens = sum((c["prompt_tokens"] or 0) + (c["completion_tokens"] or 0) for c in spent)
        assert (row.status, row.stage, row.green, row.iterations) == ("built", "code", False, None)
        assert row.tokens == tokens > 0
        assert row.seconds > 0 and row.error is None and row.eval_score is None
    table = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text("utf-8"))))
    assert [(r["paper"], r["status"], r["tokens"]) for r in table] == [
        (r.paper, "built", str(r.tokens)) for r in summary.rows
    ]
    markdown = (out / "summary.md").read_text("utf-8")
    assert markdown.count("| built | code |") == 3
    assert "| paper | status | stage | iterations | seconds | tokens | cost | eval |" in markdown
    for row in summary.rows:
        assert row.paper in again.output
    manifest = json.loads((out / "batch.json").read_text("utf-8"))
    assert [Path(p["paper"]).name for p in manifest["papers"]] == [p.name for p in papers]
    assert "api_key" not in json.dumps(manifest)


def test_a_corrupt_pdf_and_a_model_error_do_not_stop_the_others(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    [good] = copies(fixture_pdf, tmp_path / "papers", "good")
    corrupt = tmp_path / "papers" / "corrupt.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n" + os.urandom(2000))
    missing = tmp_path / "papers" / "missing.pdf"
    unscripted = tmp_path / "papers" / "unscripted.md"
    unscripted.write_text("# An unscripted paper\n\n## Method\n\nNo replies for this one.\n")
    out = tmp_path / "batch"
    papers = [corrupt, good, missing, unscripted]
    script = load_script(SCRIPT)
    for rule in script.rules:
        rule.contains = rule.contains or "Tiny Residual MLPs"  # the fixture paper only
    with ScriptedServer(script) as srv:
        result = runner.invoke(
            app,
            ["batch", *map(str, papers), "--out", str(out), "--no-verify", *model_flags(srv)],
            env={"COLUMNS": "250"},
        )
    assert result.exit_code == 1, result.output
    rows = {r.paper: r for r in summary_of(out).rows}
    assert rows["good.pdf"].status == "built"
    for name in ("corrupt.pdf", "missing.pdf", "unscripted.md"):
        assert rows[name].status == "failed" and not rows[name].green
    assert (rows["corrupt.pdf"].error or "").startswith("bad input: ")
    assert "does not exist" in (rows["missing.pdf"].error or "")
    assert (rows["unscripted.md"].error or "").startswith("model endpoint: ")
    assert rows["unscripted.md"].stage == "ingest"
    assert "bad input: " in result.output


def test_kill_9_mid_batch_then_the_same_command_asks_no_answered_call_again(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    papers = copies(fixture_pdf, tmp_path / "papers", "one", "two", "three")
    out = tmp_path / "batch"
    script = load_script(SCRIPT)
    for rule in script.rules:
        rule.delay = 0.15
    command = [sys.executable, "-m", "papercoder", "batch", *map(str, papers), "--out", str(out)]
    command += ["--no-verify", "--jobs", "2", "--calls", "1"]
    with ScriptedServer(script) as srv:
        proc = subprocess.Popen(
            [*command, *model_flags(srv)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        answered = 0
        while time.monotonic() < deadline and answered < 12:
            answered = sum(len(read_jsonl(p)) for p in out.glob("*/llm/calls.jsonl"))
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert answered >= 12, "the batch should have been killed mid-way"
        assert not (out / "summary.json").exists(), "the batch had already finished"
        before = len(srv.chat_requests())
        resumed = subprocess.run(
            [*command, *model_flags(srv)], capture_output=True, text=True, timeout=180, check=False
        )
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        total = len(srv.chat_requests())
    # every call is asked once, but for at most one in flight per paper building at the kill
    assert 3 * CALLS_PER_PAPER <= total <= 3 * CALLS_PER_PAPER + 2
    assert total - before <= 3 * CALLS_PER_PAPER - answered + 2
    assert [r.status for r in summary_of(out).rows] == ["built"] * 3


def test_collect_merges_the_tables_of_separate_batches(fixture_pdf: Path, tmp_path: Path) -> None:
    papers = copies(fixture_pdf, tmp_path / "papers", "left", "right")
    with ScriptedServer(load_script(SCRIPT)) as srv:
        for paper in papers:  # one job of a CI matrix each
            job = tmp_path / "jobs" / paper.stem
            done = runner.invoke(
                app, ["batch", str(paper), "--out", str(job), "--no-verify", *model_flags(srv)]
            )
            assert done.exit_code == 0, done.output
    run = next(p for p in (tmp_path / "jobs" / "right").iterdir() if p.is_dir())
    (run / "eval.json").write_text(json.dumps({"overall": {"mean": 3.67, "spread": 0.5}}))
    again = runner.invoke(
        app,
        ["batch", str(papers[1]), "--out", str(tmp_path / "jobs" / "right"), "--no-verify"],
    )
    assert again.exit_code == 0, again.output  # finished: no model needed to rewrite its table
    merged = tmp_path / "merged"
    result = runner.invoke(
        app, ["batch", "--collect", str(tmp_path / "jobs"), "--out", str(merged)]
    )
    assert result.exit_code == 0, result.output
    rows = summary_of(merged).rows
    assert [(r.paper, r.status, r.eval_score) for r in rows] == [
        ("left.pdf", "built", None),
        ("right.pdf", "built", 3.67),
    ]
    assert (merged / "summary.md").read_text("utf-8").count("| built |") == 2
    assert "| 3.67 |" in (merged / "summary.md").read_text("utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = runner.invoke(app, ["batch", "--collect", str(empty), "--out", str(merged)])
    assert missing.exit_code == 3 and "no summary.json in" in missing.output


def test_the_same_paper_twice_or_an_out_that_is_a_file_is_a_usage_error(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    [paper] = copies(fixture_pdf, tmp_path, "same")
    twice = runner.invoke(app, ["batch", str(paper), str(paper), "--no-verify"])
    assert twice.exit_code == 2 and "same paper" in twice.output
    afile = tmp_path / "afile"
    afile.write_text("x")
    onto = runner.invoke(app, ["batch", str(paper), "--out", str(afile), "--no-verify"])
    assert onto.exit_code == 2 and "is a file" in onto.output


class _Counting:
    """A sandbox that records how many of its sessions are open at once."""

    def __init__(self) -> None:
        self.open = 0
        self.most = 0
        self.lock = threading.Lock()

    def install(self, repo: Path) -> InstallResult:
        return InstallResult(image="img", tools_image="img")

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self.lock:
            self.open += 1
            self.most = max(self.most, self.open)
        try:
            time.sleep(0.1)
            yield _NoSession()
        finally:
            with self.lock:
                self.open -= 1

    def session(self, image: str, repo: Path) -> AbstractContextManager[Session]:
        return self._session()


class _NoSession:
    def run(self, argv: list[str], timeout: float, prepare_next: bool = True) -> RunResult:
        return RunResult(exit_code=0, output="", output_bytes=0)


@pytest.mark.parametrize("allowed", [1, 2])
def test_sandboxes_take_turns_on_the_gate(allowed: int, tmp_path: Path) -> None:
    inner = _Counting()
    gate = threading.BoundedSemaphore(allowed)

    def paper() -> None:
        box = GatedSandbox(inner, gate)
        box.install(tmp_path)
        with box.session("img", tmp_path):
            pass

    threads = [threading.Thread(target=paper) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert inner.most == allowed
