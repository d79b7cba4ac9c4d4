"""`papercoder report RUN_DIR`: the whole run as one self-contained HTML page.

Inline CSS and SVG only: no script, no font, no image, no link that leaves the file, so it opens
anywhere offline and can be attached to an issue. Everything comes from the run directory:
the paper, the plan (files, dependency graph, config with its checked sources, the fixes the
tool made), each iteration (checks, failing diagnostics, the diff applied, links to the check
logs), the verdict, and tokens over time.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from papercoder.agents.plan import Architecture, LogicDesign, OverallPlan
from papercoder.agents.plan_checks import waves
from papercoder.agents.plan_normalise import PlanFixes
from papercoder.errors import UsageError
from papercoder.eval.model import EvalReport
from papercoder.eval.render import measure_rows, score_line
from papercoder.grounding import GroundingReport
from papercoder.llm.gateway import CallRecord
from papercoder.loop import LoopReport
from papercoder.paper.model import Paper
from papercoder.runstore import atomic_write_text, read_jsonl, step_dir, verified_iterations
from papercoder.verify.report import VerifyReport

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{margin-top:36px;border-bottom:2px solid #dde2ea}
.muted{color:#5b6676}.card{background:#fff;border:1px solid #dde2ea;border-radius:8px;
padding:14px 18px;margin:12px 0}
table{border-collapse:collapse;width:100%;font-size:14px}
td,th{border-bottom:1px solid #e8ebf0;padding:5px 8px;text-align:left;vertical-align:top}
.pass{color:#11772f;font-weight:600}.fail,.error,.timeout{color:#b3261e;font-weight:600}
.skipped{color:#5b6676}.verdict{font-size:20px;font-weight:700;padding:12px 18px;border-radius:8px}
.verdict.ok{background:#e3f5e8;color:#11772f}.verdict.no{background:#fbe6e4;color:#b3261e}
pre{background:#0f1720;color:#e6edf3;padding:10px;border-radius:6px;overflow:auto;font-size:12px}
.add{color:#7ee787}.del{color:#ff9492}code{font-size:13px}
"""


M = TypeVar("M", bound=BaseModel)


def _load(path: Path, kind: type[M]) -> M | None:
    if not path.is_file():
        return None
    try:
        return kind.model_validate_json(path.read_text("utf-8"))
    except (ValidationError, ValueError):
        return None


def _e(text: object) -> str:
    return html.escape(str(text))


def render(run_dir: Path) -> str:
    """The report of the run in `run_dir`."""
    if not (run_dir / "manifest.json").is_file():
        raise UsageError(f"{run_dir} is not a run directory", "pass a folder under runs/")
    paper = _load(run_dir / "paper.json", Paper)
    title = paper.title if paper is not None else run_dir.name
    parts = [_header(run_dir, paper, title), _verdict(run_dir), _eval(run_dir), _plan(run_dir)]
    parts += [_iterations(run_dir), _usage(run_dir)]
    body = "\n".join(p for p in parts if p)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>PaperCoder run: {_e(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def write(run_dir: Path, out: Path | None = None) -> Path:
    target = out or run_dir / "report.html"
    atomic_write_text(target, render(run_dir))
    return target


def _header(run_dir: Path, paper: Paper | None, title: str) -> str:
    overall = _load(run_dir / "plan" / "overall.json", OverallPlan)
    out = [f"<h1>{_e(title)}</h1>"]
    if paper is not None and paper.authors:
        out.append(f"<div class='muted'>{_e(', '.join(paper.authors))}</div>")
    out.append(f"<div class='muted'>run <code>{_e(run_dir.name)}</code></div>")
    if overall is not None:
        out.append(f"<div class='card'><b>Summary.</b> {_e(overall.summary)}</div>")
    return "\n".join(out)


def _verdict(run_dir: Path) -> str:
    loop = _load(run_dir / "report.json", LoopReport)
    if loop is None:
        return "<div class='verdict no'>Not verified yet</div>"
    word = "Every check passes" if loop.passed else "Checks still fail"
    checks = " · ".join(
        f"{_e(k)} <span class='{_e(v)}'>{_e(v)}</span>" for k, v in loop.checks.items()
    )
    return (
        f"<div class='verdict {'ok' if loop.passed else 'no'}'>{word}</div>"
        f"<div class='card'>{checks}<br><span class='muted'>stop reason {_e(loop.stop_reason)}, "
        f"{loop.iterations} repair iteration(s), best {loop.best_iteration}, "
        f"{loop.tokens:,} tokens, ${loop.cost:.4f}, {loop.seconds:.0f} s</span></div>"
    )


def _eval(run_dir: Path) -> str:
    """eval.json when present: the score over the reviews, the verdict per component of the
    method, and the measures that need no model."""
    report = _load(run_dir / "eval.json", EvalReport)
    if report is None:
        return ""
    out = ["<h2>Evaluation</h2>", f"<div class='card'><b>{_e(score_line(report))}</b>"]
    if report.reference:
        out.append(f"<br><span class='muted'>reference: <code>{_e(report.reference)}</code></span>")
    out.append("</div>")
    if report.components:
        out.append(
            "<table><tr><th>#</th><th>component of the method</th><th>verdict</th>"
            "<th>severity</th><th>reviews</th><th>evidence</th></tr>"
        )
        for c in report.components:
            kind = (
                "pass" if c.status == "implemented" else "skipped" if c.severity is None else "fail"
            )
            votes = ", ".join(f"{k} {n}" for k, n in c.votes.items())
            out.append(
                f"<tr><td>{c.id}</td><td>{_e(c.component)}</td><td class='{kind}'>{_e(c.status)}"
                f"</td><td>{_e(c.severity or '')}</td><td>{_e(votes)}</td>"
                f"<td class='muted'>{_e(c.notes[0] if c.notes else '')}</td></tr>"
            )
        for o in report.others:
            out.append(
                f"<tr><td>+</td><td>{_e(o.component)}</td><td class='fail'>{_e(o.status)}</td>"
                f"<td>{_e(o.severity)}</td><td>{o.samples}</td>"
                f"<td class='muted'>{_e(o.notes[0] if o.notes else '')}</td></tr>"
            )
        out.append("</table>")
    critiques = [s.judgement.critique for s in report.samples if s.judgement]
    if critiques:
        out.append("<details><summary>the reviews' critiques</summary><ol>")
        out += [f"<li>{_e(c)}</li>" for c in critiques]
        out.append("</ol></details>")
    rows = "".join(
        f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in measure_rows(report.measures)
    )
    out.append(f"<h3>Measures (no model)</h3><table>{rows}</table>")
    return "\n".join(out)


def _plan(run_dir: Path) -> str:
    arch = _load(run_dir / "plan" / "architecture.json", Architecture)
    logic = _load(run_dir / "plan" / "logic.json", LogicDesign)
    if arch is None:
        return ""
    out = ["<h2>Plan</h2>", "<table><tr><th>file</th><th>purpose</th></tr>"]
    out += [
        f"<tr><td><code>{_e(f.path)}</code></td><td>{_e(f.purpose)}</td></tr>" for f in arch.files
    ]
    out.append("</table>")
    out.append(f"<p>Smoke run: <code>{_e(arch.smoke_command)}</code></p>")
    if logic is not None:
        out.append("<h3>Dependency graph</h3>" + graph_svg(logic))
    out.append(_config(run_dir))
    fixes = _load(run_dir / "plan" / "fixes.json", PlanFixes)
    if fixes is not None and fixes.fixes:
        out.append("<h3>Fixes PaperCoder made to the model's plan</h3><table>")
        out += [
            f"<tr><td>{_e(f.turn)}</td><td>{_e(f.fix)}</td><td class='muted'>{_e(f.why)}</td></tr>"
            for f in fixes.fixes
        ]
        out.append("</table>")
    return "\n".join(out)


def _config(run_dir: Path) -> str:
    grounding = _load(run_dir / "plan" / "grounding.json", GroundingReport)
    if grounding is None:
        config = run_dir / "plan" / "config.yaml"
        return (
            f"<h3>config.yaml</h3><pre>{_e(config.read_text('utf-8'))}</pre>"
            if config.is_file()
            else ""
        )
    rows = [
        f"<tr><td><code>{_e(g.key)}</code></td><td>{_e(g.value)}</td>"
        f"<td class='{'pass' if g.status != 'assumption' else 'skipped'}'>{_e(g.status)}</td>"
        f"<td>{_e(g.source)}</td><td class='muted'>{_e(g.note)}</td></tr>"
        for g in grounding.config
    ]
    head = "<tr><th>key</th><th>value</th><th>status</th><th>source</th><th></th></tr>"
    counts = ", ".join(f"{n} {s}" for s, n in grounding.counts().items())
    title = f"<h3>config.yaml, checked against the paper ({counts})</h3>"
    return f"{title}<table>{head}{''.join(rows)}</table>"


def graph_svg(logic: LogicDesign) -> str:
    """The dependency graph as layered boxes (a file below what it imports) and arrows."""
    graph = {f.path: [d for d in f.depends_on if d != f.path] for f in logic.files}
    try:
        layers = waves(graph)
    except ValueError:
        layers = [sorted(graph)]
    width, box_h, gap = 170, 26, 56
    place: dict[str, tuple[float, float]] = {}
    for row, layer in enumerate(layers):
        for col, path in enumerate(layer):
            place[path] = (10 + col * (width + 14), 10 + row * gap)
    total_w = max((x for x, _ in place.values()), default=0) + width + 20
    total_h = len(layers) * gap + 10
    lines = [
        f"<line x1='{place[d][0] + width / 2}' y1='{place[d][1] + box_h}' "
        f"x2='{place[p][0] + width / 2}' y2='{place[p][1]}' stroke='#8a94a6' "
        "marker-end='url(#arrow)'/>"
        for p, deps in graph.items()
        for d in deps
        if d in place and p in place
    ]
    boxes = [
        f"<rect x='{x}' y='{y}' width='{width}' height='{box_h}' rx='5' fill='#fff' "
        f"stroke='#3b5bdb'/><text x='{x + 8}' y='{y + 17}' font-size='12'>{_e(path[:24])}</text>"
        for path, (x, y) in place.items()
    ]
    marker = (
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='6' "
        "markerHeight='6' orient='auto'><path d='M0,0L10,5L0,10z' fill='#8a94a6'/></marker></defs>"
    )
    return (
        f"<svg width='{total_w}' height='{total_h}' "
        f"role='img' aria-label='dependency graph'>{marker}{''.join(lines)}{''.join(boxes)}</svg>"
    )


def _iterations(run_dir: Path) -> str:
    numbers = verified_iterations(run_dir)
    if not numbers:
        return ""
    out = ["<h2>Iterations</h2>"]
    for number in numbers:
        report = _load(step_dir(run_dir, "verify", number) / "report.json", VerifyReport)
        if report is None:
            continue
        title = "the repository as generated" if number == 0 else f"repair {number}"
        out.append(f"<div class='card'><h3>Iteration {number}: {title}</h3>")
        out.append(_checks(report, run_dir))
        diff = step_dir(run_dir, "repair", number) / "patch.diff"
        if diff.is_file() and diff.read_text("utf-8").strip():
            out.append("<details><summary>the edit applied</summary>" + _diff(diff) + "</details>")
        out.append("</div>")
    return "\n".join(out)


def _checks(report: VerifyReport, run_dir: Path) -> str:
    rows = []
    for check in report.checks:
        log = ""
        if check.log:
            path = Path(check.log)
            try:
                log = f"<a href='{_e(path.relative_to(run_dir).as_posix())}'>log</a>"
            except ValueError:
                log = f"<a href='{_e(path.name)}'>log</a>"
        rows.append(
            f"<tr><td>{_e(check.name)}</td><td class='{_e(check.status)}'>{_e(check.status)}</td>"
            f"<td>{_e(check.summary)}</td><td>{log}</td></tr>"
        )
        for diag in check.diagnostics[:12]:
            rows.append(
                f"<tr><td></td><td colspan='3'><code>{_e(diag.location())}</code> "
                f"{_e(diag.code or '')} {_e(diag.message)}</td></tr>"
            )
    return "<table>" + "".join(rows) + "</table>"


def _diff(path: Path) -> str:
    lines = []
    for line in path.read_text("utf-8").splitlines()[:400]:
        kind = "add" if line.startswith("+") else "del" if line.startswith("-") else ""
        lines.append(f"<span class='{kind}'>{_e(line)}</span>" if kind else _e(line))
    return "<pre>" + "\n".join(lines) + "</pre>"


def _usage(run_dir: Path) -> str:
    calls = [
        CallRecord.model_validate(r)
        for r in read_jsonl(run_dir / "llm" / "calls.jsonl")
        if isinstance(r, dict)
    ]
    answered = [c for c in calls if c.outcome in ("ok", "truncated")]
    if not answered:
        return ""
    by_agent: dict[str, int] = {}
    for call in answered:
        tokens = (call.prompt_tokens or 0) + (call.completion_tokens or 0)
        by_agent[call.agent.split(".")[0]] = by_agent.get(call.agent.split(".")[0], 0) + tokens
    rows = "".join(f"<tr><td>{_e(a)}</td><td>{t:,}</td></tr>" for a, t in sorted(by_agent.items()))
    cost = sum(c.cost or 0 for c in answered)
    return (
        f"<h2>Model use</h2><p>{len(answered)} calls answered, "
        f"{sum(by_agent.values()):,} tokens, ${cost:.4f}.</p>"
        + usage_svg(answered)
        + f"<table><tr><th>agent</th><th>tokens</th></tr>{rows}</table>"
    )


def usage_svg(calls: Iterable[CallRecord]) -> str:
    """Cumulative tokens over the run's time, as a small line chart."""
    points = sorted(calls, key=lambda c: c.ts)
    if not points:
        return ""
    start, end = points[0].ts, max(points[-1].ts, points[0].ts + 1)
    total, xy = 0, []
    for call in points:
        total += (call.prompt_tokens or 0) + (call.completion_tokens or 0)
        xy.append(((call.ts - start) / (end - start), total))
    width, height = 640, 160
    top = max(total, 1)
    path = " ".join(
        f"{20 + x * (width - 40):.1f},{height - 20 - y / top * (height - 40):.1f}" for x, y in xy
    )
    return (
        f"<svg width='{width}' height='{height}' role='img' "
        f"aria-label='tokens over time'><rect width='{width}' height='{height}' fill='#fff'/>"
        f"<polyline fill='none' stroke='#3b5bdb' stroke-width='2' points='{path}'/>"
        f"<text x='20' y='14' font-size='11' fill='#5b6676'>{total:,} tokens</text>"
        f"<text x='{width - 80}' y='{height - 4}' font-size='11' fill='#5b6676'>"
        f"{end - start:.0f} s</text></svg>"
    )
