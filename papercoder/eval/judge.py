"""`papercoder eval RUN_DIR`: a model reviews the generated repository against the paper
(and the authors' repository when given) several times; eval.json keeps every review, the
score's mean and spread, the majority verdict per component, and the measures of the run.

Each review goes through the run's gateway: the cache (a rerun is answered from it), the
call log, and budgets of its own (the build's spend does not count against them). A review
whose answer does not fit the schema after the usual re-ask is recorded as failed; only when
every review fails is the command an error."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from pathlib import Path

from papercoder import prompts
from papercoder.errors import BudgetExhausted, ModelOutputError, UsageError
from papercoder.eval.context import Review, build_review
from papercoder.eval.measures import EVAL_AGENT, measure, usage_of
from papercoder.eval.model import (
    HIGHER,
    WORSE,
    ComponentResult,
    EvalReport,
    Judgement,
    OtherResult,
    Sample,
    ScoreStats,
    judgement_schema,
)
from papercoder.llm.client import ChatModel, Message
from papercoder.llm.gateway import open_gateway
from papercoder.llm.structured import StructuredClient
from papercoder.pipeline import run_all
from papercoder.runstore import RunStore, read_jsonl
from papercoder.settings import Settings

EVAL_FILE = "eval.json"
TEMPERATURE = 0.7  # independent samples; the review's number in the prompt keys the cache
REPLY_TOKENS = 2048


def evaluate(
    run_dir: Path,
    settings: Settings,
    *,
    samples: int = 3,
    reference: Path | None = None,
    model: ChatModel | None = None,
) -> EvalReport:
    """Evaluate the run in `run_dir` and write its eval.json; `samples` 0 measures only."""
    _check(samples, settings, model)
    started = time.monotonic()
    store = RunStore.open(run_dir)
    measures = measure(store)
    if not samples:
        report = EvalReport(
            run=store.root.name, mode="measures-only", samples_asked=0, measures=measures
        )
        store.write_model(EVAL_FILE, report)
        return report
    reply_tokens = min(settings.max_output_tokens, REPLY_TOKENS)
    review = build_review(
        store,
        settings.context_tokens,
        reply_tokens,
        reference=reference,
        small=settings.small_model,
    )
    before = len(read_jsonl(store.calls_path))
    done = _reviews(store, settings, model, review, samples, reply_tokens, started)
    stopped = next((s.error for s in done if s.outcome == "skipped"), "")
    usable = [s for s in done if s.outcome == "ok" and s.judgement is not None]
    if not usable:
        _fail(done, samples)
    report = EvalReport(
        run=store.root.name,
        mode="reference-based" if reference is not None else "reference-free",
        reference=str(reference.resolve()) if reference is not None else None,
        model=settings.model,
        samples_asked=samples,
        score=score_stats([s.judgement.score for s in usable if s.judgement]),
        components=aggregate(review.components, usable),
        others=others(usable),
        samples=done,
        stopped=stopped,
        context=review.shown,
        measures=measures,
        usage=usage_of(read_jsonl(store.calls_path)[before:], EVAL_AGENT),
        seconds=round(time.monotonic() - started, 3),
    )
    store.write_model(EVAL_FILE, report)
    return report


def _check(samples: int, settings: Settings, model: ChatModel | None) -> None:
    if samples < 0:
        raise UsageError(f"--samples {samples} is negative", "give 0 (measures only) or more")
    if samples and model is None and not settings.endpoint_configured:
        raise UsageError(
            "no model endpoint for the evaluation",
            "pass --base-url (or --local FILE), or set OPENAI_API_KEY; --samples 0 gives the"
            " measures alone",
        )


def _reviews(
    store: RunStore,
    settings: Settings,
    model: ChatModel | None,
    review: Review,
    samples: int,
    reply_tokens: int,
    started: float,
) -> list[Sample]:
    """`samples` reviews through the run's gateway (cache, call log), `--jobs` at a time,
    with a ledger of their own: the build's spend does not count against eval's budgets."""
    gateway = open_gateway(settings, store, model, count_earlier=False)
    client = StructuredClient(gateway, settings.structured_mode)
    try:
        return run_all(
            lambda index: _sample(client, review, index, reply_tokens, settings, started),
            range(1, samples + 1),
            settings.jobs,
        )
    finally:
        gateway.close()


def _sample(
    client: StructuredClient,
    review: Review,
    index: int,
    reply_tokens: int,
    settings: Settings,
    started: float,
) -> Sample:
    limit = settings.budgets.max_time
    if limit is not None and time.monotonic() - started > limit:
        return Sample(
            index=index,
            outcome="skipped",
            error=f"time budget: {limit:g} s spent before review {index}",
        )
    asked = "\n\n".join(
        (review.context, review.instruction, prompts.render("eval_sample", index=index))
    )
    messages = [
        Message(role="system", content=prompts.render("eval_system")),
        Message(role="user", content=asked),
    ]
    schema = judgement_schema(len(review.components))
    try:
        answer = client.ask(
            EVAL_AGENT, messages, Judgement, reply_tokens, schema, temperature=TEMPERATURE
        )
    except BudgetExhausted as exc:
        return Sample(index=index, outcome="skipped", error=exc.message)
    except ModelOutputError as exc:
        return Sample(index=index, outcome="failed", error=exc.message)
    judgement, fixes = normalise(answer, len(review.components))
    return Sample(index=index, outcome="ok", judgement=judgement, fixes=fixes)


def _fail(done: list[Sample], asked: int) -> None:
    failed = [s for s in done if s.outcome == "failed"]
    if not failed:
        raise BudgetExhausted(
            f"no review was made: {done[0].error}",
            "raise the budget (--max-tokens, --max-cost, --max-time)",
        )
    raise ModelOutputError(
        f"all {asked} reviews failed; the last: {failed[-1].error}",
        "try a stronger model (--model), or --structured-mode fenced; the replies are in the"
        " run's llm/ folder",
    )


def normalise(answer: Judgement, components: int) -> tuple[Judgement, list[str]]:
    """Drop what a mechanical rule can tell is wrong, and say so: numbers outside the list
    (an endpoint that does not enforce the enum) and a component judged twice (the first
    stands)."""
    fixes: list[str] = []
    kept = []
    seen: set[int] = set()
    for entry in answer.components:
        if not 1 <= entry.id <= components:
            fixes.append(f"dropped component {entry.id}: the list has {components}")
        elif entry.id in seen:
            fixes.append(f"dropped the second verdict on component {entry.id}")
        else:
            seen.add(entry.id)
            kept.append(entry)
    missing = sorted(set(range(1, components + 1)) - seen)
    if missing:
        fixes.append(f"not judged: component(s) {', '.join(map(str, missing))}")
    return answer.model_copy(update={"components": kept}), fixes


def score_stats(scores: list[int]) -> ScoreStats:
    return ScoreStats(
        samples=len(scores),
        mean=round(statistics.fmean(scores), 3),
        stdev=round(statistics.stdev(scores), 3) if len(scores) > 1 else 0.0,
        min=min(scores),
        max=max(scores),
    )


def aggregate(components: list[str], usable: list[Sample]) -> list[ComponentResult]:
    """Each component's majority verdict over the reviews (a tie goes to the worse status),
    with the most common severity among those who gave it (a tie goes to the higher); the
    notes of the majority come first."""
    results = []
    for number, name in enumerate(components, 1):
        verdicts = [
            c for s in usable if s.judgement for c in s.judgement.components if c.id == number
        ]
        if not verdicts:
            results.append(ComponentResult(id=number, component=name, status="not judged"))
            continue
        votes = Counter(v.status for v in verdicts)
        status = max(votes, key=lambda k: (votes[k], WORSE[k]))
        severities = Counter(v.severity for v in verdicts if v.status == status)
        severity = max(severities, key=lambda k: (severities[k], HIGHER[k]))
        results.append(
            ComponentResult(
                id=number,
                component=name,
                status=status,
                severity=severity,
                votes=dict(sorted(votes.items())),
                notes=[v.note for v in sorted(verdicts, key=lambda v: v.status != status)],
            )
        )
    return results


def others(usable: list[Sample]) -> list[OtherResult]:
    """Findings outside the list, merged by name across reviews, most often raised first."""
    merged: dict[str, OtherResult] = {}
    for sample in usable:
        for found in sample.judgement.others if sample.judgement else []:
            key = " ".join(found.component.lower().split())
            known = merged.get(key)
            if known is None:
                merged[key] = OtherResult(
                    component=found.component,
                    status=found.status,
                    severity=found.severity,
                    samples=1,
                    notes=[found.note],
                )
                continue
            known.samples += 1
            known.notes.append(found.note)
            if WORSE[found.status] > WORSE[known.status]:
                known.status = found.status
            if HIGHER[found.severity] > HIGHER[known.severity]:
                known.severity = found.severity
    return sorted(merged.values(), key=lambda o: (-o.samples, o.component))
