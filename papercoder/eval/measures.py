"""Measures of a run that need no model, read from its directory: the checks of the final
(best) iteration, what the tests collect and assert, the smoke run's time, lines of Python,
how many config values the paper states, repair iterations, and the model use that made it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from papercoder.eval.model import HyperparameterMeasures, Measures, TestMeasures, UsageMeasures
from papercoder.grounding import GroundingReport
from papercoder.loop import LoopReport
from papercoder.runstore import RunStore, read_jsonl
from papercoder.verify.asserts import SKIP_PARTS, count_asserts
from papercoder.verify.report import VerifyReport

EVAL_AGENT = "evaluator"


def python_files(repo: Path) -> list[Path]:
    """The repository's Python files, sorted, without VCS, caches and virtual environments."""
    if not repo.is_dir():
        return []
    return sorted(
        p
        for p in repo.rglob("*.py")
        if p.is_file() and not SKIP_PARTS.intersection(p.relative_to(repo).parts)
    )


def lines_of_code(repo: Path) -> dict[str, int]:
    """Non-blank lines per Python file, by path relative to `repo`."""
    counts = {}
    for path in python_files(repo):
        text = path.read_text("utf-8", errors="replace")
        counts[path.relative_to(repo).as_posix()] = sum(1 for ln in text.splitlines() if ln.strip())
    return counts


def final_report(store: RunStore) -> tuple[int | None, VerifyReport | None, LoopReport | None]:
    """The verify report that stands for the run: the repair loop's best iteration, else the
    report of a one-off verify, else the last iteration verified."""
    loop = store.read_model("report.json", LoopReport)
    if loop is not None:
        best = store.read_model(f"verify/iter-{loop.best_iteration:03d}/report.json", VerifyReport)
        if best is not None:
            return loop.best_iteration, best, loop
    single = store.read_model("report.json", VerifyReport)
    folders = sorted(store.path("verify").glob("iter-*"))
    if single is not None:
        return (int(folders[-1].name[5:]) if folders else None), single, loop
    for folder in reversed(folders):
        report = store.read_model(f"verify/{folder.name}/report.json", VerifyReport)
        if report is not None:
            return int(folder.name[5:]), report, loop
    return None, None, loop


def test_measures(report: VerifyReport | None, repo: Path) -> TestMeasures:
    check = report.check("tests") if report is not None else None
    counts = check.counts if check is not None else None
    asserts = counts.asserts if counts is not None and counts.asserts else count_asserts(repo)
    asserting = sum(1 for n in asserts.values() if n > 0)
    if counts is None or not counts.ran:
        return TestMeasures(asserting=asserting, asserts=sum(asserts.values()))
    return TestMeasures(
        collected=counts.collected,
        passed=counts.passed,
        failed=counts.failed,
        errors=counts.errors,
        skipped=counts.skipped,
        asserting=asserting,
        asserts=sum(asserts.values()),
    )


_COMMENT = re.compile(r"#\s*(.*)$")


def hyperparameter_measures(store: RunStore) -> HyperparameterMeasures:
    """From plan/grounding.json; without it, from config.yaml's comments (`(verified)`,
    `assumption`)."""
    grounding = store.read_model("plan/grounding.json", GroundingReport)
    if grounding is not None:
        counts = grounding.counts()
        return HyperparameterMeasures(
            stated_in_paper=len(grounding.values),
            config_values=len(grounding.config),
            in_config=counts["verified"] + counts["re-cited"],
            verified=counts["verified"],
            re_cited=counts["re-cited"],
            assumption=counts["assumption"],
            source="grounding",
        )
    config = store.path("plan/config.yaml")
    if not config.is_file():
        return HyperparameterMeasures(
            stated_in_paper=None,
            config_values=0,
            in_config=0,
            verified=0,
            re_cited=0,
            assumption=0,
            source="none",
        )
    comments = [
        m.group(1)
        for line in config.read_text("utf-8").splitlines()
        if ":" in line.split("#", 1)[0] and (m := _COMMENT.search(line))
    ]
    re_cited = sum("(verified; the plan cited" in c for c in comments)
    verified = sum("(verified)" in c for c in comments)
    return HyperparameterMeasures(
        stated_in_paper=None,
        config_values=len(comments),
        in_config=verified + re_cited,
        verified=verified,
        re_cited=re_cited,
        assumption=sum(c.startswith("assumption") for c in comments),
        source="config.yaml",
    )


def usage_of(records: Iterable[dict[str, Any]], agent: str | None = None) -> UsageMeasures:
    """Calls answered and what was paid for (a cached reply costs nothing, as in the ledger);
    only `agent`'s calls when given."""
    mine = [r for r in records if agent is None or r.get("agent") == agent]
    paid = [r for r in mine if r.get("outcome") != "cached"]
    prompt = sum(int(r.get("prompt_tokens") or 0) for r in paid)
    completion = sum(int(r.get("completion_tokens") or 0) for r in paid)
    costs = [float(r["cost"]) for r in paid if r.get("cost") is not None]
    return UsageMeasures(
        calls=sum(r.get("outcome") in ("ok", "truncated") for r in paid),
        cached=len(mine) - len(paid),
        prompt_tokens=prompt,
        completion_tokens=completion,
        tokens=prompt + completion,
        cost=round(sum(costs), 6) if costs else None,
    )


def measure(store: RunStore) -> Measures:
    """Every measure of the run in `store` (its repo as it stands: the best state)."""
    repo = store.path("repo")
    iteration, report, loop = final_report(store)
    checks = {c.name: c.status for c in report.checks} if report is not None else {}
    smoke = report.check("smoke") if report is not None else None
    lines = lines_of_code(repo)
    generation = [r for r in read_jsonl(store.calls_path) if r.get("agent") != EVAL_AGENT]
    return Measures(
        verified=report is not None,
        iteration=iteration,
        checks=checks,
        checks_green=sum(s == "pass" for s in checks.values()),
        tests=test_measures(report, repo),
        smoke_status=smoke.status if smoke is not None else None,
        smoke_seconds=smoke.duration_s if smoke is not None else None,
        lines=lines,
        lines_total=sum(lines.values()),
        hyperparameters=hyperparameter_measures(store),
        repair_iterations=loop.iterations if loop is not None else None,
        stop_reason=loop.stop_reason if loop is not None else None,
        usage=usage_of(generation),
    )
