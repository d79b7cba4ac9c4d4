"""What the repair loop achieves with a real small model, per edit format, against a one-shot
baseline measured side by side in the same run.

The set (fixtures/efficacy/): a repository shaped like what the coder writes from a paper
(data, model, train, config.yaml, main.py with --smoke, tests; numpy on the CPU) and broken
copies of it, one fault each of every kind, plus cascades where fixing one failure reveals
the next. For every case and format: the loop under the default budget (fixed or not,
iterations, tokens, seconds) and the one-shot baseline (same model, same format, one call on
the first verification's failures, its edits applied, verified once).

    .venv/bin/python benchmarks/efficacy.py                       # every case, every format
    .venv/bin/python benchmarks/efficacy.py --formats whole --cases syntax-missing-colon
    .venv/bin/python benchmarks/efficacy.py --json results.json   # also the rows as JSON

Each row is appended to the JSON file as it is measured, so a long run that is stopped keeps
what it measured.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from local_model import ensure_model  # benchmarks/local_model.py, beside this script

from papercoder import run
from papercoder.agents.repairer import RepairRequest, repair
from papercoder.llm.client import OpenAIChatModel
from papercoder.local import LocalServer
from papercoder.loop import DIGEST_TOKENS
from papercoder.repair.digest import read_repo
from papercoder.repair.formats import EDIT_FORMATS, EditFormat
from papercoder.repo import write_file
from papercoder.sandbox.protocol import Sandbox
from papercoder.settings import Settings, Timeouts
from papercoder.verify.checks import Verifier

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "fixtures" / "efficacy"
TIMEOUTS = Timeouts(lint=60, types=120, tests=60, smoke=30, per_test=20)


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load((SET / "faults.yaml").read_text("utf-8"))["cases"]
    return cases


def make_repo(target: Path, case: dict[str, Any]) -> Path:
    shutil.copytree(SET / "base", target, ignore=shutil.ignore_patterns("__pycache__"))
    for edit in case["edits"]:
        path = target / edit["file"]
        text = path.read_text("utf-8")
        if edit["old"] not in text:
            raise SystemExit(f"case {case['name']}: {edit['old']!r} not in {edit['file']}")
        path.write_text(text.replace(edit["old"], edit["new"], 1), "utf-8")
    return target


def one_shot(
    repo: Path, sandbox: Sandbox, model: OpenAIChatModel, fmt: EditFormat, logs: Path
) -> tuple[bool, int]:
    """One call in format `fmt` on the first verification's failures, applied, verified."""
    before = Verifier(sandbox, logs / "before", TIMEOUTS).verify(repo)
    if before.passed:
        return True, 0
    request = RepairRequest(
        report=before,
        files=read_repo(repo),
        edit_format=fmt,
        digest_tokens=min(DIGEST_TOKENS, 8192 // 2),
        max_tokens=1024,
    )
    outcome = repair(model, request, lambda _: False, max_calls=1)
    for path in outcome.result.changed():
        write_file(repo, path, outcome.result.files[path])
    return Verifier(sandbox, logs / "after", TIMEOUTS).verify(repo).passed, len(outcome.replies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", default=",".join(EDIT_FORMATS))
    parser.add_argument("--cases", default="", help="comma-separated names (default: all)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep each case's repo and run directory here"
    )
    args = parser.parse_args()
    formats: list[EditFormat] = [f for f in EDIT_FORMATS if f in args.formats.split(",")]
    cases = load_cases()
    if args.cases:
        wanted = set(args.cases.split(","))
        cases = [c for c in cases if c["name"] in wanted]
    rows: list[dict[str, Any]] = []
    with (
        LocalServer(ensure_model(), ctx=8192) as server,
        tempfile.TemporaryDirectory() as scratch,
    ):
        tmp = args.keep or Path(scratch)
        base = Settings.resolve(
            {
                "base_url": server.base_url,
                "model": "local",
                "context_tokens": 8192,
                "max_output_tokens": 1024,
                "timeout": 900,
                "timeouts": TIMEOUTS,
            },
            {},
        )
        sandbox = run.open_sandbox(base)
        model = OpenAIChatModel(base)
        for fmt in formats:
            for case in cases:
                rows.append(measure(case, fmt, base, sandbox, model, tmp, args.no_baseline))
                print(line(rows[-1]), flush=True)
                if args.json:
                    args.json.write_text(json.dumps(rows, indent=1) + "\n", "utf-8")
        model.close()
    sandbox.close()
    summary(rows, formats)


def measure(
    case: dict[str, Any],
    fmt: EditFormat,
    base: Settings,
    sandbox: Sandbox,
    model: OpenAIChatModel,
    tmp: Path,
    no_baseline: bool,
) -> dict[str, Any]:
    work = tmp / f"{fmt}-{case['name']}"
    shutil.rmtree(work, ignore_errors=True)
    settings = base.model_copy(update={"edit_format": fmt, "runs_dir": work / "runs"})
    started = time.monotonic()
    outcome = run.verify(make_repo(work / "loop", case), settings, sandbox=sandbox)
    report = outcome.loop
    assert report is not None  # an endpoint is configured: the loop ran
    row: dict[str, Any] = {
        "case": case["name"],
        "kind": case["kind"],
        "cascade": bool(case.get("cascade")),
        "format": fmt,
        "fixed": report.passed,
        "iterations": report.iterations,
        "stop": report.stop_reason,
        "tokens": report.tokens,
        "seconds": round(time.monotonic() - started, 1),
        "formats_used": sorted({f for h in report.history for f in h.formats}),
    }
    if not no_baseline:
        started = time.monotonic()
        fixed, _calls = one_shot(make_repo(work / "once", case), sandbox, model, fmt, work / "logs")
        row |= {"baseline_fixed": fixed, "baseline_seconds": round(time.monotonic() - started, 1)}
    return row


def line(row: dict[str, Any]) -> str:
    text = (
        f"{row['format']:<14} {row['case']:<30} loop: {'fixed' if row['fixed'] else 'not fixed':<9}"
        f" {row['iterations']} it {row['tokens']:>6} tok {row['seconds']:6.1f}s ({row['stop']})"
    )
    if "baseline_fixed" in row:
        text += f" | one-shot: {'fixed' if row['baseline_fixed'] else 'not fixed'}"
    return text


def summary(rows: list[dict[str, Any]], formats: list[EditFormat]) -> None:
    print()
    print(f"{'format':<14} {'loop':>9} {'one-shot':>9} {'cascade loop':>13} {'cascade 1-shot':>15}")
    for fmt in formats:
        mine = [r for r in rows if r["format"] == fmt]
        cascades = [r for r in mine if r["cascade"]]

        def rate(items: list[dict[str, Any]], key: str) -> str:
            return f"{sum(bool(r.get(key)) for r in items)}/{len(items)}"

        print(
            f"{fmt:<14} {rate(mine, 'fixed'):>9} {rate(mine, 'baseline_fixed'):>9} "
            f"{rate(cascades, 'fixed'):>13} {rate(cascades, 'baseline_fixed'):>15}"
            f"   tokens {sum(r['tokens'] for r in mine)}, "
            f"{sum(r['seconds'] for r in mine):.0f} s"
        )


if __name__ == "__main__":
    sys.exit(main())
