"""Real papers, real model: `papercoder build PAPER --verify --local MODEL` on the shared papers,
one at a time, default budgets, and what each run reached.

Per paper: the stage reached, the plan fixes the tool made, the files written, the checks
failing at the first verification, the final status, repair iterations, wall time (and per
stage), output tokens, the share of prompt tokens the server's prompt cache saved, and the
hyperparameters (values the paper states that the extractor found; config values verified,
re-cited, assumed; for adam, gcn and transformer, which of the values the paper states for the
method are in config.yaml with a verified source).

    .venv/bin/python benchmarks/papers.py                      # all nine (hours on 2 cores)
    .venv/bin/python benchmarks/papers.py --papers adam,gcn --json papers.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from local_model import ensure_model  # benchmarks/local_model.py, beside this script

from papercoder.fidelity import Fidelity, assess
from papercoder.grounding import parse_number
from papercoder.runstore import step_dir

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ROOT.parent / "shared" / "papers"
# the values each paper states for its method (from reading the papers), by config-key words
STATED: dict[str, dict[str, float]] = {
    "adam": {"alpha|learning_rate|lr|step": 0.001, "beta1": 0.9, "beta2": 0.999, "eps|ϵ|ε": 1e-8},
    "gcn": {
        "hidden": 16,
        "dropout": 0.5,
        "learning_rate|lr": 0.01,
        "weight_decay|l2": 5e-4,
        "epoch": 200,
    },
    "transformer": {
        "d_model|dmodel|model_dim|hidden": 512,
        "head": 8,
        "d_ff|dff|ff|inner": 2048,
        "layer|n_layers|num_layers|depth": 6,
        "dropout|p_drop|pdrop": 0.1,
        "warmup": 4000,
    },
}


def read(path: Path) -> Any:
    return json.loads(path.read_text("utf-8")) if path.is_file() else None


def stated_found(name: str, grounding: dict[str, Any] | None) -> str:
    wanted = STATED.get(name)
    if wanted is None:
        return "-"
    entries = (grounding or {}).get("config", [])
    hits = 0
    for words, value in wanted.items():
        for entry in entries:
            key = entry["key"].lower().replace("_", "")  # beta_1 is beta1
            number = parse_number(str(entry["value"]))
            if number is None:
                continue
            if (
                any(w.replace("_", "") in key for w in words.split("|"))
                and abs(number - value) <= 1e-9 * max(1.0, value)
                and entry["status"] in ("verified", "re-cited")
            ):
                hits += 1
                break
    return f"{hits}/{len(wanted)}"


def summarise(name: str, run: Path, seconds: float, code: int) -> dict[str, Any]:
    manifest = read(run / "manifest.json") or {}
    stages = manifest.get("stages", {})
    reached = [
        s for s in ("ingest", "plan", "analyse", "code", "verify") if stages.get(s) == "done"
    ]
    first = read(step_dir(run, "verify", 0) / "report.json")
    final = read(run / "report.json")
    calls = (
        [json.loads(x) for x in (run / "llm" / "calls.jsonl").read_text().splitlines()]
        if (run / "llm" / "calls.jsonl").is_file()
        else []
    )
    prompt = sum(c.get("prompt_tokens") or 0 for c in calls if c["outcome"] == "ok")
    evaluated = [c.get("prompt_evaluated") for c in calls if c["outcome"] == "ok"]
    cache_share = 1 - sum(e or 0 for e in evaluated) / prompt if prompt and all(evaluated) else None
    grounding = read(run / "plan" / "grounding.json")
    statuses = [g["status"] for g in (grounding or {}).get("config", [])]
    build = read(run / "build.json") or {}
    fidelity = assess(run / "repo") if (run / "repo").is_dir() else None
    return {
        "paper": name,
        "exit": code,
        "stage": reached[-1] if reached else "none",
        "plan_fixes": len((read(run / "plan" / "fixes.json") or {}).get("fixes", [])),
        "files": len(build.get("files", [])),
        "failing_first": [
            c["name"]
            for c in (first or {}).get("checks", [])
            if c["status"] in ("fail", "error", "timeout")
        ],
        "green": bool(final and final.get("passed")),
        "iterations": (final or {}).get("iterations"),
        "seconds": round(seconds, 1),
        "stage_seconds": build.get("stage_seconds", {}),
        "output_tokens": sum(c.get("completion_tokens") or 0 for c in calls),
        "prompt_cache_share": round(cache_share, 3) if cache_share is not None else None,
        "values_found": len((grounding or {}).get("values", [])),
        "config_verified": statuses.count("verified") + statuses.count("re-cited"),
        "config_assumed": statuses.count("assumption"),
        "method_values_verified": stated_found(name, grounding),
        "tests_on_repo": f"{fidelity.tests_on_repo}/{fidelity.tests}" if fidelity else "-",
        "settings_unused": [u.name for u in fidelity.unused_settings] if fidelity else [],
        "settings_unread": fidelity.unread_settings if fidelity else [],
        "hollow": hollow(fidelity) if fidelity else ["no repository"],
        "run_dir": str(run),
    }


def hollow(fidelity: Fidelity) -> list[str]:
    """Why a green of this repository would prove less than it says ([] for nothing): a test
    that calls no repository code or asserts nothing, or a setting config.yaml cites from the
    paper that no code reads (an "adam" stepping by plain gradient descent)."""
    why = []
    if fidelity.tests_on_repo < fidelity.tests or not fidelity.tests:
        why.append(f"{fidelity.tests - fidelity.tests_on_repo} tests off the repository")
    if fidelity.unread_settings:
        why.append(f"unread: {', '.join(fidelity.unread_settings)}")
    return why


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="", help="comma-separated stems (default: all)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--runs-dir", type=Path, default=None)
    args = parser.parse_args()
    if not PAPERS.is_dir():
        raise SystemExit(f"the shared papers are not at {PAPERS}")
    names = args.papers.split(",") if args.papers else sorted(p.stem for p in PAPERS.glob("*.pdf"))
    gguf = ensure_model()
    runs = args.runs_dir or Path(tempfile.mkdtemp(prefix="papercoder-papers-"))
    rows = []
    code = checkout()
    print(f"papercoder of {ROOT} at {code}", flush=True)
    for name in names:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "papercoder", "build", str(PAPERS / f"{name}.pdf"), "--verify",
             "--local", str(gguf), "--runs-dir", str(runs.resolve())],
            capture_output=True, text=True, check=False, cwd=ROOT,
        )  # fmt: skip
        # (run in ROOT: `-m` imports from the working directory first, so this checkout's code)
        run = next(iter(sorted(runs.glob(f"{name}-*"))), runs / name)
        rows.append(summarise(name, run, time.monotonic() - started, done.returncode))
        rows[-1]["code"] = code
        if done.returncode not in (0, 1) or rows[-1]["stage"] != "verify":
            # (an exit 1 before verifying: a stage failed, and says why on its last line)
            rows[-1]["error"] = (done.stderr.strip().splitlines() or [""])[-1]
        print(json.dumps(rows[-1]), flush=True)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1) + "\n", "utf-8")
    table(rows)


def checkout() -> str:
    """The commit of the code the builds run, `+changes` when the tree differs from it."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    return f"{head or 'unknown'}{'+changes' if dirty else ''}"


def table(rows: list[dict[str, Any]]) -> None:
    print()
    head = f"{'paper':<13}{'stage':<9}{'fixes':>6}{'files':>6}  {'first failing':<24}{'green':<7}"
    print(
        head
        + f"{'it':>3}{'min':>7}{'out tok':>9}{'cache':>7}{'found':>7}{'verif':>7}"
        + f"{'assum':>7}{'method':>8}{'tests on repo':>15}  settings unused; unread"
    )
    for r in rows:
        cache = f"{r['prompt_cache_share']:.0%}" if r["prompt_cache_share"] is not None else "-"
        print(
            f"{r['paper']:<13}{r['stage']:<9}{r['plan_fixes']:>6}{r['files']:>6}  "
            f"{','.join(r['failing_first']) or '-':<24}{'yes' if r['green'] else 'no':<7}"
            f"{r['iterations'] if r['iterations'] is not None else '-':>3}{r['seconds'] / 60:>7.1f}"
            f"{r['output_tokens']:>9}{cache:>7}{r['values_found']:>7}{r['config_verified']:>7}"
            f"{r['config_assumed']:>7}{r['method_values_verified']:>8}"
            f"{r.get('tests_on_repo', '-'):>15}  {','.join(r.get('settings_unused', [])) or '-'}"
            f"; {','.join(r.get('settings_unread', [])) or '-'}"
        )
    if rows:
        green = sum(r["green"] for r in rows)
        earned = sum(r["green"] and not r.get("hollow") for r in rows)
        median = statistics.median(r["seconds"] for r in rows) / 60
        verified = sum(r["stage"] in ("code", "verify") for r in rows)
        print(f"\nthrough coding: {verified}/{len(rows)}; green: {green}/{len(rows)}, of them"
              f" not hollow: {earned}; median wall time {median:.1f} min")  # fmt: skip


if __name__ == "__main__":
    main()
