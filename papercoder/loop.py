"""The repair loop: verify → repair → verify … until every check passes or a budget is spent.

It composes the repair agent, the sandbox and the checks, so it sits above both the agents
and the repair package (which the agent uses), not inside either.

Each state is scored (failures weighted by stage); the best state is kept and restored at
the end; every iteration is one git commit in the generated repo. The loop's state is saved
after every step, so a killed run resumes without re-verifying a verified iteration or
re-asking an answered repair (the model cache holds the answer).
"""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from papercoder.agents.repairer import RepairOutcome, RepairRequest, repair, reply_hash
from papercoder.errors import BudgetExhausted, ModelOutputError
from papercoder.llm.client import ChatModel
from papercoder.llm.ledger import Ledger
from papercoder.repair.digest import failing_diagnostics, read_repo
from papercoder.repair.formats import Method, choose_format
from papercoder.repair.patch import Rejection
from papercoder.repair.undo import Undone, undo_blamed
from papercoder.repo import GitRepo, write_file
from papercoder.runstore import RunStore, StageState
from papercoder.sandbox.protocol import Sandbox
from papercoder.settings import Budgets, Settings
from papercoder.verify.checks import Verifier
from papercoder.verify.diagnostics import Diagnostic
from papercoder.verify.report import VerifyReport, write_json

StopReason = Literal[
    "passed", "max-iterations", "max-tokens", "max-cost", "max-time", "no-progress"
]
WEIGHTS = {"install": 100, "lint": 30, "smoke": 20, "types": 10, "tests": 5}
STATE = "repair/state.json"
BUDGET_STOPS: dict[str, StopReason] = {
    "cost": "max-cost",
    "tokens": "max-tokens",
    "time": "max-time",
}
DIGEST_TOKENS = 6000


def score(report: VerifyReport) -> int:
    """Lower is better: failures weighted by how early their stage is and how much it hides."""
    return sum(WEIGHTS.get(c.name, 5) * max(1, len(c.diagnostics)) for c in report.failing())


def failure_texts(report: VerifyReport) -> set[str]:
    """The failures word for word: a KeyError for another key is another failure."""
    return {_text(d) for d in failing_diagnostics(report)}


def _text(diag: Diagnostic) -> str:
    return f"{diag.check} {diag.location()} {diag.message}"


ROTATE_AFTER = 2  # iterations that changed nothing on one failure before the next is asked


def failure_key(diag: Diagnostic) -> str:
    """Where a failure is: its line (lint and types report one mistake twice), or for a
    failure without one, the failure itself."""
    if diag.file and diag.line:
        return f"{diag.file}:{diag.line}"
    return f"{diag.check} {diag.code or ''} {diag.file or '-'} {diag.message}"


def without(report: VerifyReport, keys: list[str]) -> VerifyReport:
    """`report` without the failures set aside, unless that would leave none to ask about."""
    if not keys:
        return report
    checks = [
        c.model_copy(
            update={"diagnostics": [d for d in c.diagnostics if failure_key(d) not in keys]}
        )
        for c in report.checks
    ]
    left = report.model_copy(update={"checks": checks})
    return left if failing_diagnostics(left) else report


def failure_keys(report: VerifyReport) -> set[str]:
    return {f"{d.check} {d.code or ''} in {d.file or '-'}" for d in failing_diagnostics(report)}


class Iteration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    iteration: int
    score: int
    failing: list[str]
    applied: int = 0
    rejected: list[Rejection] = Field(default_factory=list)
    commit: str | None = None
    message: str = ""
    formats: list[Method] = Field(default_factory=list)


class LoopState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    history: list[Iteration] = Field(default_factory=list)
    best: int = 0
    stale: int = 0
    elapsed: float = 0.0
    pending: int | None = Field(default=None, description="iteration repaired, not verified")
    replies: list[str] = Field(default_factory=list, description="hashes of the replies so far")
    unchanged_on: dict[str, int] = Field(
        default_factory=dict, description="failure → iterations asked it first that changed nothing"
    )
    asked_first: str = Field(default="", description="the failure the last iteration led with")
    set_aside: list[str] = Field(
        default_factory=list, description="failures passed over for the next (see ROTATE_AFTER)"
    )


class LoopReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passed: bool
    stop_reason: StopReason
    iterations: int
    best_iteration: int
    checks: dict[str, str]
    tokens: int
    cost: float
    seconds: float
    budgets: Budgets
    history: list[Iteration]


class RepairLoop:
    def __init__(
        self,
        repo: Path,
        store: RunStore,
        sandbox: Sandbox,
        model: ChatModel,
        ledger: Ledger,
        settings: Settings,
        plan_entries: dict[str, str] | None = None,
        on_iteration: Callable[[Iteration], None] | None = None,
        deadline: float | None = None,
    ) -> None:
        self.repo = repo
        self.deadline = deadline  # time.monotonic() when the command's --max-time ends
        self.store = store
        self.sandbox = sandbox
        self.model = model
        self.ledger = ledger
        self.settings = settings
        self.budgets = settings.budgets
        self.plan_entries = plan_entries or {}
        self.git = GitRepo(repo)
        self.on_iteration = on_iteration
        self.edit_format = choose_format(settings.edit_format, settings.small_model)

    def report_of(self, n: int) -> VerifyReport | None:
        return self.store.read_model(self.store.report_path(n), VerifyReport)

    def verify(self, n: int) -> VerifyReport:
        done = self.report_of(n)
        if done is not None:
            return done
        report = self.check(self.store.verify_dir(n), n)
        write_json(report, self.store.report_path(n))
        return report

    def check(self, log_dir: Path, n: int) -> VerifyReport:
        first = self.report_of(0) if n > 0 else None  # the tests as generated: the bar
        baseline = first.test_counts() if first is not None else None
        verifier = Verifier(
            self.sandbox,
            log_dir,
            self.settings.timeouts,
            baseline=baseline,
            smoke=self.settings.smoke_command,
        )
        return verifier.verify(self.repo, self.settings.checks)

    def save(self, state: LoopState) -> None:
        self.store.write_model(STATE, state)

    def run(self) -> tuple[LoopReport, VerifyReport]:
        self.store.set_stage("verify", StageState.RUNNING)
        self.git.init()
        state = self.store.read_model(STATE, LoopState) or LoopState()
        started = time.monotonic() - state.elapsed
        if not state.history:
            self.git.commit("papercoder: the repository as generated, before repair")
            report = self.verify(0)
            state.history.append(self.record(0, report, self.git.head(), [], 0))
            self.save(state)
        if state.pending is not None:
            report = self.finish_iteration(state, state.pending)
        report = self.report_of(state.history[-1].iteration) or self.verify(
            state.history[-1].iteration
        )
        stop = self.stop_reason(report, state, started)
        while stop is None:
            try:
                self.repair_once(state, report, started)
            except BudgetExhausted as exc:
                stop = BUDGET_STOPS.get(str(exc.context.get("kind")), "max-tokens")
                break
            report = self.report_of(state.history[-1].iteration) or report
            stop = self.stop_reason(report, state, started)
        return self.conclude(state, stop, started)

    def stop_reason(
        self, report: VerifyReport, state: LoopState, started: float
    ) -> StopReason | None:
        if report.passed:
            return "passed"
        if len(state.history) - 1 >= self.budgets.max_iterations:
            return "max-iterations"
        now = time.monotonic()
        if self.budgets.max_time is not None and now - started > self.budgets.max_time:
            return "max-time"
        if self.deadline is not None and now > self.deadline:
            return "max-time"
        if state.stale >= self.budgets.patience:
            return "no-progress"
        return None

    def repair_once(self, state: LoopState, report: VerifyReport, started: float) -> None:
        n = state.history[-1].iteration + 1
        last = state.history[-1]
        changed_nothing = last.iteration > 0 and not last.applied
        shown = without(report, state.set_aside)
        first = failing_diagnostics(shown)[:1]
        leading = failure_key(first[0]) if first else ""
        rotated, state.asked_first = leading != state.asked_first, leading
        request = RepairRequest(
            report=shown,
            files=read_repo(self.repo),
            plan_entries=self.plan_entries,
            edit_format=self.edit_format,
            digest_tokens=min(DIGEST_TOKENS, self.settings.context_tokens // 2),
            max_tokens=self.settings.max_output_tokens,
            narrow=changed_nothing,
            note=_unchanged_note(last) if changed_nothing and not rotated else "",
            seen=state.replies,
        )
        files = request.files
        try:
            outcome = repair(self.model, request, self.is_link)
        except ModelOutputError as exc:  # e.g. a reply that never ends: try again next round
            refusal = Rejection(path="(reply)", reason=exc.message)
            self.unchanged(state, n, report, [refusal], exc.message)
            self.pass_over(state, report, first if request.narrow else [])
            return
        state.replies += [reply_hash(r) for r in outcome.replies]
        folder = self.store.repair_dir(n)
        self.store.write_text(folder / "prompt.md", outcome.prompt)
        self.store.write_text(
            folder / "response.md",
            "\n\n".join(
                f"<!-- reply {i} ({fmt}) -->\n{reply}"
                for i, (fmt, reply) in enumerate(
                    zip(outcome.formats, outcome.replies, strict=True), 1
                )
            ),
        )
        self.store.write_text(folder / "formats.json", json.dumps(outcome.formats) + "\n")
        self.store.write_text(
            folder / "rejected.json",
            json.dumps([r.model_dump() for r in outcome.result.rejected], indent=2) + "\n",
        )
        diff: list[str] = []
        for path in outcome.result.changed():
            diff += difflib.unified_diff(
                files.get(path, "").splitlines(keepends=True),
                outcome.result.files[path].splitlines(keepends=True),
                f"a/{path}",
                f"b/{path}",
            )
            write_file(self.repo, path, outcome.result.files[path])
        self.store.write_text(folder / "patch.diff", "".join(diff))
        state.elapsed = time.monotonic() - started
        if not outcome.result.applied:
            self.unchanged(
                state, n, report, outcome.result.rejected, "no edit could be applied", outcome
            )
            self.pass_over(state, report, first if request.narrow else [])
            return
        state.pending = n
        self.store.write_model(
            folder / "edits.json", outcome.result.model_copy(update={"files": {}})
        )
        self.save(state)
        self.finish_iteration(state, n)

    def unchanged(
        self,
        state: LoopState,
        n: int,
        report: VerifyReport,
        rejected: list[Rejection],
        why: str,
        outcome: RepairOutcome | None = None,
    ) -> None:
        """Record iteration `n` that changed nothing: the previous report still holds."""
        write_json(report, self.store.report_path(n))
        record = self.record(n, report, self.git.head(), rejected, 0)
        record.message = f"repair {n}: {why}"
        record.formats = outcome.formats if outcome else []
        state.history.append(record)
        state.stale += 1
        self.save(state)
        self.notify(record)

    def pass_over(self, state: LoopState, report: VerifyReport, first: list[Diagnostic]) -> None:
        """Count an iteration that changed nothing against the failure it was asked first; at
        ROTATE_AFTER, set that failure aside so the next iteration asks about the next one
        (the 1.5B model sent a test importing a missing name back unchanged three times while
        nine other failures waited). Moving on to a failure not yet tried is not a stall."""
        if not first:
            return
        key = failure_key(first[0])
        state.unchanged_on[key] = state.unchanged_on.get(key, 0) + 1
        if state.unchanged_on[key] >= ROTATE_AFTER and key not in state.set_aside:
            state.set_aside.append(key)
            if failing_diagnostics(without(report, state.set_aside)):
                state.stale = max(0, state.stale - state.unchanged_on[key])
        self.save(state)

    def finish_iteration(self, state: LoopState, n: int) -> VerifyReport:
        previous = self.verify(state.history[-1].iteration)
        before = failure_keys(previous)
        report = self.verify(n)
        report, undone = self.undo_harm(n, previous, report)
        after = failure_keys(report)
        fixed = sorted(before - after)
        message = f"repair {n}: fixed {len(fixed)} of {len(before)} failures"
        if fixed:
            message += ": " + ", ".join(fixed[:3]) + (" …" if len(fixed) > 3 else "")
        if undone:
            message += "; undid " + ", ".join(f"{u.path}:{u.line}" for u in undone)
        commit = self.git.commit(message)
        edits = self.store.read_model(self.store.repair_dir(n) / "edits.json", _Edits)
        record = self.record(
            n, report, commit, edits.rejected if edits else [], len(edits.applied) if edits else 0
        )
        record.message = message
        formats = self.store.repair_dir(n) / "formats.json"
        if formats.is_file():
            record.formats = json.loads(formats.read_text("utf-8"))
        best = next(h for h in state.history if h.iteration == state.best)
        texts = failure_texts(report)
        if record.score < best.score or (
            record.score == best.score
            and all(
                (seen := self.report_of(h.iteration)) is None or texts != failure_texts(seen)
                for h in state.history
            )
        ):  # better; or as good, with failures not seen before (one fixed, the next showing)
            state.best, state.stale = n, 0
        else:
            state.stale += 1
        state.history.append(record)
        state.pending = None
        self.save(state)
        self.notify(record)
        return report

    def undo_harm(
        self, n: int, previous: VerifyReport, report: VerifyReport
    ) -> tuple[VerifyReport, list[Undone]]:
        """Iteration `n` without the changed lines that new failures point at, when that
        verifies better (see `papercoder.repair.undo`); the decision is kept in undo.json."""
        folder = self.store.repair_dir(n)
        decided = self.store.read_model(folder / UNDO, _UndoRecord)
        if decided is not None:
            return (self.report_of(n) or report), decided.undone if decided.kept else []
        interrupted = self.store.read_model(folder / UNDO_FROM, _Files)
        for path, kept_text in (interrupted.files if interrupted else {}).items():
            write_file(self.repo, path, kept_text)  # a killed trial: back to the repair as verified
        if report.passed:
            return report, []
        seen = failure_texts(previous)
        blamed = [d for d in failing_diagnostics(report) if _text(d) not in seen]
        paths = [p for p in self.git.changed() if (self.repo / p).is_file()]
        old = {p: text for p in paths if (text := self.git.read(p)) is not None}
        new = {p: (self.repo / p).read_text("utf-8", errors="replace") for p in old}
        found = undo_blamed(old, new, blamed) if blamed else None
        if found is None:
            return report, []
        candidate, undone = found
        self.store.write_model(folder / UNDO_FROM, _Files(files={p: new[p] for p in candidate}))
        for path, changed in candidate.items():
            write_file(self.repo, path, changed)
        trial = self.check(self.store.verify_dir(n) / "undo", n)
        kept = score(trial) < score(report)
        if kept:
            write_json(trial, self.store.report_path(n))
        else:
            for path in candidate:
                write_file(self.repo, path, new[path])
        self.store.write_model(
            folder / UNDO,
            _UndoRecord(kept=kept, undone=undone, scores=[score(report), score(trial)]),
        )
        self.store.path(folder / UNDO_FROM).unlink(missing_ok=True)
        return (trial, undone) if kept else (report, [])

    def record(
        self,
        n: int,
        report: VerifyReport,
        commit: str | None,
        rejected: list[Rejection],
        applied: int,
    ) -> Iteration:
        return Iteration(
            iteration=n,
            score=score(report),
            failing=sorted(failure_keys(report)),
            applied=applied,
            rejected=rejected,
            commit=commit,
        )

    def notify(self, record: Iteration) -> None:
        if self.on_iteration:
            self.on_iteration(record)

    def is_link(self, relative: str) -> bool:
        path = self.repo
        for part in Path(relative).parts:
            path = path / part
            if path.is_symlink():
                return True
        return False

    def conclude(
        self, state: LoopState, stop: StopReason, started: float
    ) -> tuple[LoopReport, VerifyReport]:
        last = state.history[-1]
        best = next(h for h in state.history if h.iteration == state.best)
        final = self.report_of(best.iteration) or self.verify(best.iteration)
        if best.iteration != last.iteration and best.score < last.score:
            self.git.restore(best.commit or self.git.first_commit())
            self.git.commit(
                f"restore the best state: iteration {best.iteration} "
                f"(score {best.score} against {last.score})"
            )
        state.elapsed = time.monotonic() - started
        self.save(state)
        report = LoopReport(
            passed=final.passed,
            stop_reason=stop,
            iterations=len(state.history) - 1,
            best_iteration=best.iteration,
            checks={c.name: c.status for c in final.checks},
            tokens=self.ledger.tokens,
            cost=round(self.ledger.cost, 6),
            seconds=round(state.elapsed, 3),
            budgets=self.budgets,
            history=state.history,
        )
        self.store.write_model("report.json", report)
        self.store.set_stage("verify", StageState.DONE)
        return report, final


def _unchanged_note(last: Iteration) -> str:
    reasons = "; ".join(sorted({f"{r.path}: {r.reason}" for r in last.rejected})[:4])
    return (
        "Your previous reply changed nothing"
        + (f" ({reasons})" if reasons else "")
        + ". Fix only the first failure now."
    )


UNDO = "undo.json"
UNDO_FROM = "undo-from.json"


class _UndoRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kept: bool
    undone: list[Undone]
    scores: list[int] = Field(description="the repair as made, then without the undone lines")


class _Files(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: dict[str, str]


class _Edits(BaseModel):
    model_config = ConfigDict(extra="ignore")

    applied: list[object] = Field(default_factory=list)
    rejected: list[Rejection] = Field(default_factory=list)


def run_repair(
    store: RunStore,
    repo: Path,
    settings: Settings,
    sandbox: Sandbox,
    *,
    model: ChatModel | None = None,
    plan_entries: dict[str, str] | None = None,
    on_iteration: Callable[[Iteration], None] | None = None,
    deadline: float | None = None,
) -> tuple[LoopReport, VerifyReport]:
    """Verify `repo` and repair it with the run's model until green or out of budget; the
    checks and their time limits are the settings'."""
    from papercoder.llm.gateway import open_gateway

    gateway = open_gateway(settings, store, model, deadline)
    loop = RepairLoop(
        repo, store, sandbox, gateway, gateway.ledger, settings, plan_entries, on_iteration,
        deadline,
    )  # fmt: skip
    return loop.run()
