"""examples/github-actions-batch.yml: the matrix gets one job per paper, each job's table
reaches the merging job, and the merging job's steps, run for real, write one table and the
step summary (also when a paper is red)."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from papercoder.batch_summary import BatchSummary, SummaryRow
from tests.conftest import REPO

WORKFLOW = REPO / "examples" / "github-actions-batch.yml"
BIN = Path(sys.executable).parent


def workflow() -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def step(job: str, name: str) -> dict[str, Any]:
    [found] = [s for s in workflow()["jobs"][job]["steps"] if s.get("name") == name]
    return found


def run(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env={**os.environ, "PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text("utf-8").splitlines())


def test_the_papers_job_lists_each_pdf_for_the_matrix(tmp_path: Path) -> None:
    (tmp_path / "papers").mkdir()
    for name in ("b paper.pdf", "a.pdf", "notes.txt"):
        (tmp_path / "papers" / name).write_bytes(b"%PDF-1.4\n")
    written = tmp_path / "output"
    done = run(step("papers", "list the papers")["run"], tmp_path, GITHUB_OUTPUT=str(written))
    assert done.returncode == 0, done.stderr
    assert json.loads(outputs(written)["papers"]) == ["papers/a.pdf", "papers/b paper.pdf"]
    jobs = workflow()["jobs"]
    assert jobs["build"]["strategy"]["matrix"]["paper"] == (
        "${{ fromJSON(needs.papers.outputs.papers) }}"
    )
    assert jobs["papers"]["outputs"]["papers"] == "${{ steps.list.outputs.papers }}"


def test_no_papers_is_an_error_that_says_so(tmp_path: Path) -> None:
    written = tmp_path / "output"
    done = run(step("papers", "list the papers")["run"], tmp_path, GITHUB_OUTPUT=str(written))
    assert done.returncode == 1
    assert "::error::no papers/*.pdf" in done.stdout and not written.exists()


def test_each_jobs_table_reaches_the_merging_job() -> None:
    jobs = workflow()["jobs"]
    built = step("build", "build the paper")["run"]
    upload = step("build", "upload this paper's run and table")["with"]
    [download] = [s for s in jobs["tables"]["steps"] if "download-artifact" in s.get("uses", "")]
    assert "--out batch" in built and upload["path"] == "batch"
    for index in range(3):  # the artifact name of each matrix job, as GitHub fills it in
        name = upload["name"].replace("${{ strategy.job-index }}", str(index))
        assert fnmatch.fnmatch(name, download["with"]["pattern"])
    merge = step("tables", "merge the tables")["run"]
    assert f"--collect {download['with']['path']}" in merge
    assert jobs["tables"]["if"] == "always()" and jobs["build"]["strategy"]["fail-fast"] is False


def row(paper: str, status: str) -> SummaryRow:
    return SummaryRow.model_validate(
        {
            "paper": paper,
            "run_dir": f"{paper.removesuffix('.pdf')}-0123abcd",
            "stage": "verify",
            "status": status,
            "green": status == "green",
            "iterations": 2,
            "seconds": 61.5,
            "tokens": 1200,
            "cost": 0.01,
            "eval_score": None,
            "stop_reason": "passed" if status == "green" else "max-iterations",
            "failing": [] if status == "green" else ["smoke"],
        }
    )


def test_the_merging_steps_write_one_table_and_the_step_summary(tmp_path: Path) -> None:
    for index, (paper, status) in enumerate((("adam.pdf", "green"), ("gcn.pdf", "red"))):
        folder = tmp_path / "tables" / f"batch-{index}"  # as download-artifact lays them out
        folder.mkdir(parents=True)
        summary = BatchSummary(rows=[row(paper, status)])
        (folder / "summary.json").write_text(summary.model_dump_json(), "utf-8")
    summary_file = tmp_path / "step-summary.md"
    merged = run(step("tables", "merge the tables")["run"], tmp_path)
    assert merged.returncode == 1, merged.stderr  # a red paper fails the job, visibly
    shown = run(
        step("tables", "show the table")["run"], tmp_path, GITHUB_STEP_SUMMARY=str(summary_file)
    )
    assert shown.returncode == 0, shown.stderr
    text = summary_file.read_text("utf-8")
    assert "1 of 2 green" in text
    assert "| adam.pdf | green | verify | 2 |" in text
    assert "| gcn.pdf | red | verify | 2 |" in text and "failing: smoke" in text
    rows = BatchSummary.model_validate_json((tmp_path / "merged" / "summary.json").read_text())
    assert [r.paper for r in rows.rows] == ["adam.pdf", "gcn.pdf"]
