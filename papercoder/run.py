"""The library's entry points: build a paper, verify (and repair) a repository, resume a run.

Each call owns one run directory and returns a typed result; progress goes to an optional
callback as typed events. Nothing here prints or exits, and nothing is global: one process
may run many papers, each with its own settings, run directory and events.

    from papercoder.run import build
    from papercoder.settings import Settings
    outcome = build(Path("paper.pdf"), Settings.resolve({"model": "gpt-4o-mini"}, os.environ))
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from papercoder.agents.plan import LogicDesign
from papercoder.errors import UsageError
from papercoder.fidelity import FIDELITY, Fidelity, assess
from papercoder.llm.client import ChatModel
from papercoder.loop import Iteration, LoopReport, run_repair
from papercoder.pipeline import BuildResult, Progress, check_paper, open_run, run_stages
from papercoder.runstore import RunStore, sha256_file
from papercoder.sandbox.protocol import Sandbox
from papercoder.settings import Settings
from papercoder.verify import run as verify_run
from papercoder.verify.checks import check_repo
from papercoder.verify.report import VerifyReport

if TYPE_CHECKING:
    from papercoder.sandbox.docker import DockerSandbox


class RunOpened(BaseModel):
    """The run directory is known: from here on an interrupted run can be resumed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["run"] = "run"
    run_dir: Path


class BuildDone(BaseModel):
    """Generation finished: the repository is written (verification may follow)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["built"] = "built"
    result: BuildResult


class IterationDone(BaseModel):
    """One verification of the repair loop, with the repair before it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["iteration"] = "iteration"
    record: Iteration


Event = Annotated[RunOpened | Progress | BuildDone | IterationDone, Field(discriminator="kind")]
EventFn = Callable[[Event], None]


class VerifyOutcome(BaseModel):
    """A verification: the final report (naming the repository as given), the repair loop's
    report when it ran, and the repair as a patch for a user's repository."""

    model_config = ConfigDict(extra="forbid")

    run_dir: Path
    report: VerifyReport
    loop: LoopReport | None = None
    patch: verify_run.PatchDelivery | None = None
    fidelity: Fidelity | None = None  # signs in the code that a green proves little

    @property
    def passed(self) -> bool:
        return self.loop.passed if self.loop is not None else self.report.passed


class BuildOutcome(BaseModel):
    """A build: what generation made, and its verification when one ran."""

    model_config = ConfigDict(extra="forbid")

    run_dir: Path
    build: BuildResult
    verification: VerifyOutcome | None = None

    @property
    def passed(self) -> bool:
        return self.verification is None or self.verification.passed


def build(
    paper: Path,
    settings: Settings,
    *,
    run_dir: Path | None = None,
    verify: bool = True,
    fresh: bool = False,
    demo: bool = False,
    sandbox: Sandbox | None = None,
    model: ChatModel | None = None,
    events: EventFn | None = None,
) -> BuildOutcome:
    """Turn `paper` into a repository (resuming its run when one exists), then verify and
    repair it. `run_dir` defaults to one named after the paper under `settings.runs_dir`;
    `--max-time` bounds the whole call. A sandbox given is used and left open."""
    deadline = _deadline(settings)
    check_paper(paper)  # a missing paper is bad input, whether or not Docker is up
    with _sandbox_if(settings, sandbox, verify) as box:
        store = open_run(paper, settings, run_dir, fresh=fresh, demo=demo)
        return _build_in(store, paper, settings, box, model, events, deadline)


def verify(
    repo: Path,
    settings: Settings,
    *,
    repair: bool = True,
    apply: bool = False,
    report_path: Path | None = None,
    junit_path: Path | None = None,
    sandbox: Sandbox | None = None,
    model: ChatModel | None = None,
    events: EventFn | None = None,
) -> VerifyOutcome:
    """Verify `repo` with the settings' checks and time limits; with a model (given, or an
    endpoint configured) and `repair`, repair a copy of it in a new run directory and
    deliver the change as repair.patch (`apply`: into the repository's working tree when
    every check passes). The repository itself is only read."""
    deadline = _deadline(settings)
    verify_run.check_outputs(report_path, junit_path)
    check_repo(repo)  # a bad repository is bad input, whether or not Docker is up
    repairing = repair and (model is not None or settings.endpoint_configured)
    with _sandbox(settings, sandbox) as box:
        store = verify_run.new_run(repo, settings, copy=repairing)
        _notify(events, RunOpened(run_dir=store.root))
        if not repairing:
            report = verify_run.verify_once(store, repo, settings, box)
            verify_run.publish(report, report_path, junit_path)
            return VerifyOutcome(run_dir=store.root, report=report, fidelity=_assess(store, repo))
        outcome = _repair(
            store, store.path(verify_run.COPY), settings, box, model, events, deadline
        )
    verify_run.publish(outcome.report, report_path, junit_path)
    return outcome.model_copy(update={"patch": verify_run.deliver(store, apply and outcome.passed)})


def resume(
    run_dir: Path,
    overrides: Mapping[str, object] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    verify: bool = True,
    paper: Path | None = None,
    sandbox: Sandbox | None = None,
    model: ChatModel | None = None,
    events: EventFn | None = None,
) -> BuildOutcome | VerifyOutcome:
    """Continue the run in `run_dir` with the settings its manifest stored, the `overrides`
    given (Settings fields; None: not given) in their place, and recorded. Calls already
    answered come from the cache; `paper` stands in for a paper file that is gone."""
    store = RunStore.open(run_dir)
    settings = resumed_settings(store, overrides or {}, env or {})
    store.manifest.settings = settings
    store.save_manifest()
    deadline = _deadline(settings)
    if "repo" in store.manifest.inputs:
        copy = verify_run.repair_copy(store)
        with _sandbox(settings, sandbox) as box:
            _notify(events, RunOpened(run_dir=store.root))
            outcome = _repair(store, copy, settings, box, model, events, deadline)
        return outcome.model_copy(update={"patch": verify_run.deliver(store, apply=False)})
    with _sandbox_if(settings, sandbox, verify) as box:
        return _build_in(store, _paper_of(store, paper), settings, box, model, events, deadline)


def resumed_settings(
    store: RunStore, overrides: Mapping[str, object], env: Mapping[str, str]
) -> Settings:
    """The settings a resume of `store` runs with: exactly the stored ones unless given."""
    return store.manifest.settings.resumed(overrides, env)


def open_sandbox(settings: Settings) -> DockerSandbox:
    """The Docker sandbox, connected now: a run that will verify fails before generating
    when the engine is down. The one place a DockerSandbox is made."""
    from papercoder.sandbox.docker import DockerSandbox

    return DockerSandbox(base_image=settings.base_image, constraints=settings.pip_constraint)


def build_sandbox_image(settings: Settings) -> tuple[str, bool]:
    """The sandbox image's tag, built now if missing; and whether it was built."""
    box = open_sandbox(settings)
    try:
        tag = box.ensure_image()
    finally:
        box.close()
    return tag, bool(box.built_images)


def _build_in(
    store: RunStore,
    paper: Path | None,
    settings: Settings,
    sandbox: Sandbox | None,
    model: ChatModel | None,
    events: EventFn | None,
    deadline: float | None,
) -> BuildOutcome:
    _notify(events, RunOpened(run_dir=store.root))
    result = run_stages(store, paper, settings, model, events, deadline)
    _notify(events, BuildDone(result=result))
    outcome = BuildOutcome(run_dir=store.root, build=result)
    if sandbox is None:
        return outcome
    repo = Path(result.repo)
    verification = _repair(store, repo, settings, sandbox, model, events, deadline)
    return outcome.model_copy(update={"verification": verification})


def _repair(
    store: RunStore,
    repo: Path,
    settings: Settings,
    sandbox: Sandbox,
    model: ChatModel | None,
    events: EventFn | None,
    deadline: float | None,
) -> VerifyOutcome:
    logic = store.read_model("plan/logic.json", LogicDesign)
    loop, final = run_repair(
        store,
        repo,
        settings,
        sandbox,
        model=model,
        plan_entries={f.path: f.responsibilities for f in logic.files} if logic else {},
        on_iteration=(lambda r: events(IterationDone(record=r))) if events else None,
        deadline=deadline,
    )
    report = verify_run.as_given(store, final)
    fidelity = _assess(store, repo)
    return VerifyOutcome(run_dir=store.root, report=report, loop=loop, fidelity=fidelity)


def _assess(store: RunStore, repo: Path) -> Fidelity | None:
    """What the verified code says of whether a green proves something (papercoder.fidelity),
    kept in the run directory as fidelity.json; None when the code cannot be read."""
    try:
        fidelity = assess(repo)
    except (OSError, ValueError, RecursionError):  # warnings only: never fail a verification
        return None
    store.write_model(FIDELITY, fidelity)
    return fidelity


def _paper_of(store: RunStore, paper: Path | None) -> Path | None:
    """The paper file a resumed build reads: needed only when paper.json was never written."""
    record = store.manifest.inputs.get("paper")
    if record is None:
        raise UsageError(f"{store.root} is not a build run", "resume it as a verify run")
    recorded = Path(record.path)
    if paper is None and recorded.is_file() and not store.path("paper.json").is_file():
        if sha256_file(recorded) != record.sha256:
            raise UsageError(
                f"{recorded} changed since the run in {store.root} began",
                "restore it, or start over with `papercoder build --fresh`",
            )
        return recorded
    return paper


@contextlib.contextmanager
def _sandbox(settings: Settings, given: Sandbox | None) -> Iterator[Sandbox]:
    """The sandbox a run verifies in: the one given (left open), else a Docker sandbox
    opened now and closed when the run ends, however it ends."""
    if given is not None:
        yield given
        return
    box = open_sandbox(settings)
    try:
        yield box
    finally:
        box.close()


@contextlib.contextmanager
def _sandbox_if(
    settings: Settings, given: Sandbox | None, needed: bool
) -> Iterator[Sandbox | None]:
    """`_sandbox` when the run verifies, else None."""
    if not needed:
        yield None
        return
    with _sandbox(settings, given) as box:
        yield box


def _deadline(settings: Settings) -> float | None:
    limit = settings.budgets.max_time
    return None if limit is None else time.monotonic() + limit


def _notify(events: EventFn | None, event: Event) -> None:
    if events is not None:
        events(event)
