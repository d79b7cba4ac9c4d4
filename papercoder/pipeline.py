"""The build pipeline: ingest → plan → analyse → code, each stage resumable from disk.

The run directory is named after the paper's file and content hash, so running the same
build again continues it; every model call goes through the gateway's cache, so a resumed
run never pays twice for an answered call.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from papercoder import grounding, prompts
from papercoder.agents import contract, plan_checks
from papercoder.agents.analyst import FileAnalysis, analyse
from papercoder.agents.coder import code_file
from papercoder.agents.plan import (
    Architecture,
    ConfigPlan,
    LogicDesign,
    OverallPlan,
    Plan,
    overall_markdown,
    plan_text,
)
from papercoder.agents.plan_normalise import PlanFix, PlanFixes
from papercoder.agents.planner import context, make_plan, system_message
from papercoder.agents.stubs import Stub, fill_stubs, readers, stubs, without_stubs
from papercoder.errors import InputError, UsageError
from papercoder.link import (
    called_undefined,
    link,
    missing_methods,
    unfinished,
    with_functions,
    with_methods,
)
from papercoder.llm.client import ChatModel, Message
from papercoder.llm.gateway import Gateway, open_gateway
from papercoder.llm.structured import StructuredClient
from papercoder.paper import Paper, load_paper
from papercoder.paper.render import to_prompt
from papercoder.repair.digest import is_test_file, read_repo
from papercoder.repo import GitRepo, defined_names, interfaces, write_file
from papercoder.requirements import missing_requirements, with_requirements
from papercoder.runstore import MANIFEST, InputRecord, RunStore, StageState, sha256_file, slugify
from papercoder.settings import Settings
from papercoder.verify.checks import pinned

T = TypeVar("T")
R = TypeVar("R")

STAGES = ("ingest", "plan", "analyse", "code")
# stubs asked for one function at a time, per file (papercoder.agents.stubs), and the output
# tokens of one such function
STUBS = 8  # the stubs of one file asked for alone, at most
FUNCTION_TOKENS = 768
PREDICT = frozenset({"Model.predict"})
# model.py's methods the small profile asks for last: written first, gcn's __init__ made no
# arrays and distillation's others than predict then read (papers-22); written last, it sees
# every array and setting the other methods read
LAST = frozenset({"__init__"})
PLAN_TURNS: dict[str, type[BaseModel]] = {
    "overall": OverallPlan,
    "architecture": Architecture,
    "logic": LogicDesign,
    "config": ConfigPlan,
}


class Progress(BaseModel):
    """A build stage's progress: items done of total, and the spend so far."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["stage"] = "stage"
    stage: str
    done: int
    total: int
    tokens: int
    cost: float
    elapsed: float


ProgressFn = Callable[[Progress], None]


class BuildResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_dir: str
    repo: str
    files: list[str]
    smoke_command: str
    tokens: int
    cost: float
    seconds: float
    stage_seconds: dict[str, float] = {}


def check_paper(paper: Path) -> None:
    if paper.is_dir():
        raise InputError(
            f"{paper} is a directory, not a paper", "pass the paper's file: .pdf, .md, .tex or .txt"
        )
    if not paper.is_file():
        raise InputError(f"paper {paper} does not exist", "check the path")


def ownership_problem(store: RunStore, paper: Path, digest: str) -> UsageError | None:
    """Why `paper` may not be built in `store`'s directory: a run belongs to one paper."""
    recorded = store.manifest.inputs.get("paper")
    fix = "build into another directory (--out), or pass --fresh to start this one over"
    if recorded is None:
        return UsageError(f"{store.root} is a verify run, not a build", fix)
    if recorded.sha256 == digest:
        return None
    if Path(recorded.path) == paper.resolve():
        return UsageError(
            f"{paper} changed since the run in {store.root} began "
            f"(content {recorded.sha256[:8]}, now {digest[:8]})",
            fix,
        )
    return UsageError(
        f"{store.root} belongs to another paper ({Path(recorded.path).name}, "
        f"content {recorded.sha256[:8]})",
        fix,
    )


def open_run(
    paper: Path,
    settings: Settings,
    run_dir: Path | None,
    *,
    fresh: bool = False,
    demo: bool = False,
) -> RunStore:
    """The run directory of `paper`: the existing run when it is this paper's, else a new one.
    The paper is read before a new directory is made, so a bad paper leaves nothing behind."""
    check_paper(paper)
    digest = sha256_file(paper)
    root = run_dir or settings.runs_dir / f"{slugify(paper.stem)}-{digest[:8]}"
    if (root / MANIFEST).is_file():
        store = RunStore.open(root)
        problem = None if fresh else ownership_problem(store, paper, digest)
        if problem is not None:
            raise problem
        if not fresh:
            return store
        shutil.rmtree(root)
    elif root.is_dir() and any(root.iterdir()):
        raise UsageError(
            f"{root} is not empty and holds no run", "choose a new or empty directory for --out"
        )
    document = load_paper(paper)
    store = RunStore.create_at(root)
    store.manifest.inputs["paper"] = InputRecord(path=str(paper.resolve()), sha256=digest)
    store.manifest.settings = settings
    store.manifest.demo = demo
    store.write_model("paper.json", document)
    store.set_stage("ingest", StageState.DONE)
    return store


class Builder:
    """One build's stages over one run directory."""

    def __init__(
        self,
        store: RunStore,
        settings: Settings,
        model: ChatModel | None,
        progress: ProgressFn | None,
        deadline: float | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.gateway: Gateway = open_gateway(settings, store, model, deadline)
        self.client = StructuredClient(self.gateway, settings.structured_mode)
        self.progress = progress
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self.repo = store.path("repo")
        self.stage_seconds: dict[str, float] = {}

    def report(self, stage: str, done: int, total: int) -> None:
        if self.progress:
            ledger = self.gateway.ledger
            self.progress(
                Progress(
                    stage=stage,
                    done=done,
                    total=total,
                    tokens=ledger.tokens,
                    cost=ledger.cost,
                    elapsed=time.monotonic() - self.started,
                )
            )

    def stage(self, name: str, work: Callable[[], T]) -> T:
        self.store.set_stage(name, StageState.RUNNING)
        started = time.monotonic()
        try:
            result = work()
        except BaseException:
            self.store.set_stage(name, StageState.FAILED)
            raise
        self.stage_seconds[name] = round(time.monotonic() - started, 3)
        self.store.set_stage(name, StageState.DONE)
        return result

    def ingest(self, paper_path: Path | None) -> Paper:
        stored = self.store.read_model("paper.json", Paper)  # written whole or not at all
        if stored is not None:
            return stored
        if paper_path is None:
            raise InputError(
                f"the paper of {self.store.root} is gone and was never read in full",
                "build again from the paper",
            )
        paper = load_paper(paper_path)
        self.store.write_model("paper.json", paper)
        return paper

    def paper_prompt(self, paper: Paper) -> str:
        share = 3 if self.settings.small_model else 2  # a small model's turns must fit too
        return to_prompt(paper, min(12000, self.settings.context_tokens // share))

    def plan(self, paper: Paper) -> Plan:
        done = {
            name: model
            for name, kind in PLAN_TURNS.items()
            if (model := self.store.read_model(f"plan/{name}.json", kind)) is not None
        }
        self.report("plan", len(done), len(PLAN_TURNS))

        def keep(name: str, answer: BaseModel) -> None:
            self.store.write_model(f"plan/{name}.json", answer)
            done[name] = answer
            self.report("plan", len(done), len(PLAN_TURNS))

        candidates = grounding.extract(paper, limit=25 if self.settings.small_model else 40)
        plan, fixes = make_plan(
            self.client,
            self.paper_prompt(paper),
            done,
            keep,
            self.settings.max_output_tokens,
            values=grounding.candidates_text(candidates, quotes=not self.settings.small_model),
            small=self.settings.small_model,
        )
        self.record_fix(*fixes)
        carried, added = grounding.carry_stated(plan.config, candidates)
        self.record_fix(
            *(
                PlanFix(
                    turn="config",
                    fix=f"added {what}",
                    why="the paper states it and the plan's config.yaml left it out",
                )
                for what in added
            )
        )
        config, groundings = grounding.ground_config(paper, carried, candidates)
        plan = plan.model_copy(update={"config": config})
        self.store.write_model(
            "plan/grounding.json", grounding.GroundingReport(values=candidates, config=groundings)
        )
        config_yaml = plan_checks.render_config(config, grounding.config_comments(groundings))
        self.store.write_model("plan/architecture.json", plan.architecture)
        self.store.write_model("plan/logic.json", plan.logic)
        self.store.write_text("plan/overall_plan.md", overall_markdown(plan.overall))
        self.store.write_text("plan/config.yaml", config_yaml)
        self.scaffold(paper, plan, config_yaml)
        return plan

    def scaffold(self, paper: Paper, plan: Plan, config_yaml: str) -> None:
        git = GitRepo(self.repo)
        git.init()
        arch = plan.architecture
        requirements = plan_checks.normalise_requirements(plan.logic.requirements)
        write_file(self.repo, "config.yaml", config_yaml)
        write_file(self.repo, "requirements.txt", "\n".join(requirements))
        write_file(
            self.repo,
            "pyproject.toml",
            f'[tool.papercoder]\nsmoke = "{arch.smoke_command}"\n\n'
            '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
        )
        assumptions = [f"- `{e.key}` = {e.value}" for e in plan.config.entries if e.assumption]
        write_file(
            self.repo,
            "README.md",
            prompts.render(
                "repo_readme",
                title=paper.title,
                summary=plan.overall.summary,
                smoke=arch.smoke_command,
                entry=arch.entry_point,
                files="\n".join(f"- `{f.path}`: {f.purpose}" for f in arch.files),
                assumptions="\n".join(assumptions) or "- none",
                questions="\n".join(f"- {q}" for q in plan.overall.open_questions) or "- none",
            ),
        )
        git.commit("plan: config.yaml, requirements.txt and README from the paper's plan")

    def shared(self, paper: Paper, plan: Plan) -> list[Message]:
        """The byte-identical prefix of every per-file call: the paper and the plan."""
        text = plan_text(plan, plan_checks.render_config(plan.config))
        return [
            system_message(),
            Message(role="user", content=context(self.paper_prompt(paper), text)),
        ]

    def analyse(self, paper: Paper, plan: Plan) -> dict[str, FileAnalysis]:
        files = plan.python_files()
        if self.settings.small_model:  # the tool writes the contract's other files
            files = [p for p in files if p in contract.WRITTEN_BY_MODEL]
        found = {
            p: a
            for p in files
            if (a := self.store.read_model(f"analysis/{p}.json", FileAnalysis)) is not None
        }
        shared = self.shared(paper, plan)
        limit = self.settings.max_output_tokens
        if self.settings.small_model:  # a short design: the coder reads it whole
            limit = min(limit, 768)

        def one(path: str) -> FileAnalysis:
            result = analyse(self.client, shared, plan, path, limit)
            self.store.write_model(f"analysis/{path}.json", result)
            self.store.write_text(f"analysis/{path}.md", result.to_markdown())
            with self._lock:
                found[path] = result
                self.report("analyse", len(found), len(files))
            return result

        self.report("analyse", len(found), len(files))
        run_all(one, [p for p in files if p not in found], self.settings.jobs)
        return found

    def code(self, paper: Paper, plan: Plan, analyses: dict[str, FileAnalysis]) -> list[str]:
        if self.settings.small_model:
            return self.code_contract(paper, plan, analyses)
        files = plan.python_files()
        graph = {
            f.path: [d for d in f.depends_on if d in files]
            for f in plan.logic.files
            if f.path in files
        }
        shared = self.shared(paper, plan)
        written = [p for p in files if (self.repo / p).is_file()]
        waves = plan_checks.waves(graph)
        entry = plan.architecture.entry_point
        # what a file may import: its planned dependencies, then every module of the earlier
        # waves (a small model's plan leaves dependencies out, and its coder then writes the
        # functions again or calls them without importing them)
        shown = {
            path: [
                *graph[path],
                *(
                    p
                    for earlier in waves[:i]
                    for p in earlier
                    if p not in graph[path] and p != entry and not is_test_file(p)
                ),
            ]
            for i, wave in enumerate(waves)
            for path in wave
        }

        def one(path: str) -> None:
            deps = "\n\n".join(
                f"# {dep}\n{interfaces((self.repo / dep).read_text('utf-8'))}"
                for dep in shown[path]
            )
            coded = code_file(
                self.gateway,
                shared,
                path,
                analyses[path].to_markdown(),
                deps,
                self.settings.max_output_tokens,
                plan.logic.requirements,
            )
            code, filled = self.ask_alone(
                path,
                coded.code,
                shared,
                analyses,
                STUBS,
                elsewhere=frozenset(
                    n for dep in shown[path] for n in defined_names(self.repo / dep)
                ),
            )
            coded = coded.model_copy(update={"code": code})
            self.record_fix(
                *(
                    PlanFix(
                        turn="code",
                        fix=f"{path}: asked for {name} alone",
                        why="the file's reply left it doing nothing",
                    )
                    for name in filled
                )
            )
            write_file(self.repo, path, coded.code)
            if coded.salvaged:
                self.record_fix(
                    PlanFix(
                        turn="code",
                        fix=f"{path}: {coded.salvaged}",
                        why="the repair loop completes it",
                    )
                )
            with self._lock:
                written.append(path)
                self.report("code", len(written), len(files))

        self.report("code", len(written), len(files))
        for wave in waves:
            run_all(one, [p for p in wave if p not in written], self.settings.jobs)
        for package in {str(Path(p).parent) for p in files if "/" in p} - {"tests"}:
            if not (self.repo / package / "__init__.py").exists():
                write_file(self.repo, f"{package}/__init__.py", "")
        GitRepo(self.repo).commit(f"code: {len(files)} files written from the plan")
        order = [p for wave in waves for p in wave]
        self.link(order, entry)
        self.complete(order, shared, analyses)
        self.sync_requirements()
        return files

    def code_contract(
        self, paper: Paper, plan: Plan, analyses: dict[str, FileAnalysis]
    ) -> list[str]:
        """The small profile's code (agents.contract): the tool writes the data, the settings,
        the gradients, the building blocks (ops.py), the entry point and the tests; the model
        writes each method of model.py alone, with data.py, gradients.py and ops.py in its
        design (the shapes it makes, how to ask for gradients, what it may call). The tool
        writes its files again last (whatever linking did) and pins them in pyproject.toml,
        so the checks fail a repair that changes them."""
        files = list(contract.FILES)
        shared = self.shared(paper, plan)
        done = [p for p in contract.WRITTEN_BY_MODEL if (self.repo / p).is_file()]
        self.report("code", len(done), len(files))
        self.write_tool_files(paper)  # first: model.py is written knowing data.py's shapes
        for path in contract.WRITTEN_BY_MODEL:
            if path in done:
                continue  # written whole in an earlier session
            equations = contract.model_equations(paper.equations)
            code = contract.skeleton(path, paper.title, plan.config)
            design = self.design(path, analyses)
            tokens = min(self.settings.max_output_tokens, FUNCTION_TOKENS)
            code, _ = fill_stubs(
                self.gateway,
                shared,
                path,
                code,
                design,
                tokens,
                len(stubs(code)),
                last=LAST,
                targets=partial(contract.first_stubs, equations=equations),
            )
            if equations and any(s.name == "predict" for s in stubs(code)):
                # told the equations, resnet's predict looped (papers-41): asked as before
                code, _ = fill_stubs(
                    self.gateway, shared, path, code, design, tokens, 1, only=PREDICT
                )
            self.record_fix(
                *(
                    PlanFix(
                        turn="code",
                        fix=f"{path}: {s.qualname} is still empty",
                        why="no reply gave it a body; the checks and the repair loop judge it",
                    )
                    for s in stubs(code)
                )
            )
            write_file(self.repo, path, code)
            done.append(path)
            self.report("code", len(done), len(files))
        self.write_tool_files(paper)
        GitRepo(self.repo).commit(
            f"code: {len(files)} files of the small profile's contract, the functions of"
            f" {', '.join(contract.WRITTEN_BY_MODEL)} written by the model"
        )
        order = list(contract.WRITTEN_BY_MODEL)
        self.link(order, contract.MAIN)
        yaml_text = self.config_yaml()
        sizes = contract.paper_sizes(yaml_text)
        names = contract.setting_names(yaml_text)
        self.mend_model(names, sizes)
        judged = partial(self.mended, names=names, sizes=sizes, config_yaml=yaml_text)
        more = (
            contract.recursive,
            contract.unmade_params,
            partial(contract.unread_params, config_yaml=yaml_text),
            partial(contract.misshapen, config_yaml=yaml_text),
            partial(contract.calls_unmade, config_yaml=yaml_text),
            partial(
                contract.unread_paper_settings,
                config_yaml=yaml_text,
                sources={w: t for w, t in grounding.places(paper) if w.startswith("Algorithm")},
            ),
        )
        self.complete(order, shared, analyses, more, judged)
        # the L2 penalty the loss asked for again still leaves out, and the dropout and
        # momentum predict and step leave out, the tool adds
        self.mend_model(names, sizes, adds=True)
        again = self.with_state_set(order, shared, analyses, more, judged)
        if again:  # what the methods written again need (adam's step now reading self.m)
            self.record_fix(*again)
            GitRepo(self.repo).commit(f"code: wrote {len(again)} functions again, for the others")
            self.mend_model(names, sizes, adds=True)
        self.sync_requirements()
        if self.write_tool_files(paper):
            GitRepo(self.repo).commit("code: the contract's own files as PaperCoder wrote them")
        pyproject = (self.repo / "pyproject.toml").read_text("utf-8")
        if "[tool.papercoder.pinned]" not in pyproject:  # the checks judge by these files
            tools = {p: (self.repo / p).read_text("utf-8") for p in contract.WRITTEN_BY_TOOL}
            write_file(self.repo, "pyproject.toml", f"{pyproject.rstrip()}\n\n{pinned(tools)}")
            GitRepo(self.repo).commit("code: pyproject.toml pins PaperCoder's main.py and tests")
        self.report("code", len(files), len(files))
        return files

    def mend_model(
        self,
        names: list[str],
        sizes: dict[str, int] | None = None,
        adds: bool = False,
    ) -> None:
        """Fix in model.py what needs no model, each recorded and committed: a setting read
        bare (contract.settings_from_names), from self.params or from self unset
        (contract.settings_from_params), one kept in
        self.params (contract.settings_out_of_params), gradients asked of one array
        (contract.whole_params_to_gradients), for a loss computed before gradients() is
        called, the loss taken anew (contract.loss_taken_anew), state kept by array started
        as anything but a dict (contract.state_by_array), a variable named as the function it calls
        (contract.unshadowed), given the paper's `sizes`, the arrays sized by them
        (contract.capped_sizes), a product in predict whose arrays' shapes meet only the
        other way round swapped (contract.swapped_products), a sum of a matrix that fits as a
        product taken so (contract.sums_as_products), a readout to one score per class
        where no array makes them (contract.readout_added) and, where it `adds` (once the
        model was asked for them), the settings of config.yaml no method reads whose meaning
        is fixed: an L2 penalty added to the loss (contract.penalty_added), a momentum to a
        plain gradient descent in step (contract.momentum_added), the weights drawn as the
        paper initialises them (contract.init_added), the hidden arrays sized by the paper's
        width (contract.width_from_paper), predict's hidden layer stacked to the paper's
        depth (contract.depth_added), a dropout after predict's hidden activations
        (contract.dropout_added); and arrays drawn wider than 1 drawn at He's scale
        (contract.wide_draws_narrowed)."""
        code = (self.repo / contract.MODEL).read_text("utf-8")
        fixes = []
        for mend, fix, why in self.mends(names, sizes, self.config_yaml(), adds):
            code, what = mend(code)
            if what:
                what_fix = fix.format(", ".join(what))
                fixes.append(PlanFix(turn="code", fix=f"{contract.MODEL}: {what_fix}", why=why))
        if fixes:
            write_file(self.repo, contract.MODEL, code)
            self.record_fix(*fixes)
            GitRepo(self.repo).commit(
                f"code: {contract.MODEL} mended by the tool ({len(fixes)} mechanical fixes)"
            )

    def mended(
        self,
        code: str,
        names: list[str],
        sizes: dict[str, int],
        config_yaml: str = "",
    ) -> str:
        """model.py's `code` as mend_model would leave it, nothing recorded: what an answer
        is judged by when asked for (fill_stubs' `judged`)."""
        for mend, _, _ in self.mends(names, sizes, config_yaml):
            code, _ = mend(code)
        return code

    @staticmethod
    def mends(
        names: list[str],
        sizes: dict[str, int] | None,
        config_yaml: str = "",
        adds: bool = False,
    ) -> list[tuple[Callable[[str], tuple[str, list[str]]], str, str]]:
        """mend_model's mends, in order, each with what it fixed and why; where it `adds`,
        with the settings of config.yaml the tool adds (penalty, momentum, initialisation,
        depth, dropout)."""
        penalties = contract.penalty_settings(config_yaml) if adds else []
        momentums = contract.momentum_settings(config_yaml) if adds else []
        dropouts = contract.dropout_settings(config_yaml) if adds else []
        depths = contract.depth_settings(config_yaml) if adds else []
        inits = contract.init_settings(config_yaml) if adds else []
        widths = contract.width_settings(config_yaml) if adds else []
        return [
            (
                partial(contract.settings_from_names, names=names),
                "reads {} from self, not as names nothing defines",
                "settings of config.yaml read bare in a method: a NameError",
            ),
            (
                partial(contract.penalty_added, names=penalties),
                "adds to loss the paper's L2 penalty on the weights, {} · ½Σ‖w‖²",
                "the setting of an L2 penalty (weight decay) that no method read: asked again,"
                " the loss came back as it was",
            ),
            (
                partial(contract.momentum_added, names=momentums),
                "steps with the paper's momentum, {}, in a velocity kept by array",
                "the setting of gradient descent's momentum that no method read: asked again,"
                " the update came back as plain gradient descent",
            ),
            (
                partial(contract.init_added, names=inits),
                "draws the weights as the paper initialises them, by {}",
                "the setting of the weights' initialisation that no code read: weights drawn"
                " wider than the paper's grow the loss at its learning rate",
            ),
            (
                contract.wide_draws_narrowed,
                "draws at He's scale the arrays __init__ drew wider than 1: {}",
                "the contract asks small weights; drawn wider than 1, the paper's learning"
                " rate grows the loss",
            ),
            (
                partial(contract.dropout_added, names=dropouts),
                "applies the paper's dropout after predict's hidden activations, at {}",
                "the setting of a dropout rate no method read: ops.dropout draws a mask at each"
                " training step, and passes the value through while evaluating",
            ),
            (
                partial(contract.settings_from_params, names=names),
                "reads {} from self, set by __init__ from config",
                "settings of config.yaml, read from self.params (which holds the arrays"
                " __init__ makes) or from self where nothing set them: a KeyError or an"
                " AttributeError",
            ),
            (
                contract.settings_out_of_params,
                "keeps {} on self, not in self.params",
                "settings from config, where gradients() takes every array of self.params to"
                " differentiate and refuses a number",
            ),
            (
                contract.whole_params_to_gradients,
                "asks gradients() for all of self.params, then takes {}",
                "gradients(loss, params) takes the dict of every array; asked for one array,"
                " it failed",
            ),
            (
                contract.loss_taken_anew,
                "asks gradients() for self.loss taken anew, not {} computed before",
                "gradients() nudges each number of self.params and takes the loss again: a"
                " value computed once does not change, and it fails",
            ),
            (
                contract.state_by_array,
                "starts {} as an empty dict in __init__",
                "a method keeps them by array (self.m.get(name, 0)); as a number or unset, an"
                " AttributeError",
            ),
            (
                contract.arrays_read_by_name,
                "reads {} from self.params, the array of that name __init__ makes",
                "a name nothing defined, spelled as an array of self.params: a NameError",
            ),
            (
                contract.unshadowed,
                "renamed in {} the variables named as a function they call",
                "the assignment made the name local, so the call failed (UnboundLocalError, F823)",
            ),
            (
                partial(contract.width_from_paper, names=widths, config_yaml=config_yaml),
                "sizes the hidden arrays by the paper's width, {}",
                "the setting of the network's width that no code read, where __init__ sized"
                " its arrays by a size of the paper's data the synthetic data does not have",
            ),
            (
                partial(contract.capped_sizes, sizes=sizes or {}, config_yaml=config_yaml),
                "capped its reads of {} (min(setting, cap))",
                "the paper's sizes and depth for its real data or network; the synthetic data"
                " is tiny, and gradients() takes only so many numbers",
            ),
            (
                partial(contract.swapped_products, config_yaml=config_yaml),
                "swapped in predict {}",
                "the arrays' shapes meet that way round alone (the paper's W·x of a column is"
                " x @ W of a row per sample): the other is a ValueError",
            ),
            (
                partial(contract.sums_as_products, config_yaml=config_yaml),
                "took in predict {}",
                "a value of a row per sample and a matrix of self.params that meets its width"
                " are a layer: added or multiplied elementwise, a ValueError",
            ),
            (
                partial(contract.readout_added, config_yaml=config_yaml),
                "reads the scores out of {}",
                "the contract's scores are one per class of the synthetic data, and no array"
                " __init__ made had that many columns: the paper's own head is for its task",
            ),
            (  # last: after the readout, the layers go between the hidden value and it
                partial(contract.depth_added, names=depths, config_yaml=config_yaml),
                "stacks predict's hidden layer to the paper's depth, {} (capped at 4)",
                "the setting of the network's depth that no method read: the model wrote one"
                " hidden layer; the layers stacked are its own",
            ),
        ]

    def config_yaml(self) -> str:
        """The repository's config.yaml ("" where there is none)."""
        config = self.repo / "config.yaml"
        return config.read_text("utf-8") if config.is_file() else ""

    def write_tool_files(self, paper: Paper) -> bool:
        """Write the contract's files that are the tool's, as the tool has them; whether any
        was different on disk."""
        changed = False
        for path in contract.WRITTEN_BY_TOOL:
            text = contract.skeleton(path, paper.title)
            text = text if text.endswith("\n") else text + "\n"
            file = self.repo / path
            if not file.is_file() or file.read_text("utf-8") != text:
                write_file(self.repo, path, text)
                changed = True
        return changed

    def complete(
        self,
        order: list[str],
        shared: list[Message],
        analyses: dict[str, FileAnalysis],
        more: tuple[Callable[[str], list[Stub]], ...] = (),
        judged: Callable[[str], str] | None = None,
    ) -> None:
        """Write the functions a file calls that no file defines (train.py calling
        `save_model`, written nowhere) and the methods called on a repository class that
        lacks them (`model.update_weights(grads)` on a GCN without it), each asked for
        alone from its calls; one nobody could write stays undefined, for the checks to
        name. `more`: what else makes a function one to write again (link.unfinished);
        `judged`: the code an answer is judged by (fill_stubs)."""
        fixes = []
        methods = missing_methods(read_repo(self.repo))
        for path in order:
            text = (self.repo / path).read_text("utf-8")
            missing = called_undefined(text)
            lacking = methods.get(path, [])
            if not missing and not lacking:
                continue
            names = {name for name, _ in missing} | {f"{c}.{m}" for c, m, _ in lacking}
            code, filled = self.ask_alone(
                path,
                with_methods(with_functions(text, missing), lacking),
                shared,
                analyses,
                len(names),
                only=frozenset(names),
            )
            if not filled:
                continue
            write_file(self.repo, path, without_stubs(code, names - set(filled)))
            fixes += [
                PlanFix(
                    turn="code",
                    fix=f"{path}: asked for {name}, which "
                    + ("it calls" if "." not in name else "the code calls"),
                    why="no file defines it" if "." not in name else "its class lacks it",
                )
                for name in filled
            ]
        fixes += self.without_data_files(order, shared, analyses)
        fixes += self.with_state_set(order, shared, analyses, more, judged)
        if fixes:
            self.record_fix(*fixes)
            GitRepo(self.repo).commit(
                f"code: wrote {len(fixes)} functions again or anew (the code called them, or"
                " they read data files that do not exist)"
            )

    def design(self, path: str, analyses: dict[str, FileAnalysis]) -> str | Callable[[Stub], str]:
        """What the model is shown of how to write a function of `path`: its analysis and,
        for the small profile's model.py, what the method may use of the data's shapes, the
        gradients and the building blocks (contract.DESIGN_OF); the same when a function is
        asked for again as when it was first."""
        design = analyses[path].to_markdown() if path in analyses else ""
        if not (self.settings.small_model and path in contract.WRITTEN_BY_MODEL):
            return design

        def of(stub: Stub) -> str:
            shown = contract.DESIGN_OF.get(stub.name, contract.DESIGN_FILES)
            own = design if contract.GRADIENTS in shown else contract.without_gradients(design)
            return "\n\n".join([own, *(contract.design(known) for known in shown)])

        return of

    def ask_alone(
        self,
        path: str,
        code: str,
        shared: list[Message],
        analyses: dict[str, FileAnalysis],
        limit: int,
        **which: Any,
    ) -> tuple[str, list[str]]:
        """`fill_stubs` for the file `path` with its design: `which` says what to ask for."""
        design = self.design(path, analyses)
        tokens = min(self.settings.max_output_tokens, FUNCTION_TOKENS)
        return fill_stubs(self.gateway, shared, path, code, design, tokens, limit, **which)

    def without_data_files(
        self, order: list[str], shared: list[Message], analyses: dict[str, FileAnalysis]
    ) -> list[PlanFix]:
        """Ask again, alone, for each function that reads a data file the repository does not
        have (t-SNE's `load_data(file_path)` calling `np.loadtxt`): the sandbox has none, so
        the smoke run and every test that loads data would fail on it."""
        present = frozenset(
            p.relative_to(self.repo).as_posix()
            for p in self.repo.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(self.repo).parts
        )  # every file, data files too (read_repo keeps the text ones)

        def targets(code: str) -> list[Stub]:
            return readers(code, present)

        fixes = []
        for path in order:
            text = (self.repo / path).read_text("utf-8")
            found = targets(text)
            if not found:
                continue
            code, filled = self.ask_alone(path, text, shared, analyses, len(found), targets=targets)
            if filled:
                write_file(self.repo, path, code)
            fixes += [
                PlanFix(
                    turn="code",
                    fix=f"{path}: asked for {name} again",
                    why="it read a data file, and no data file exists",
                )
                for name in filled
            ]
        return fixes

    def with_state_set(
        self,
        order: list[str],
        shared: list[Message],
        analyses: dict[str, FileAnalysis],
        more: tuple[Callable[[str], list[Stub]], ...] = (),
        judged: Callable[[str], str] | None = None,
    ) -> list[PlanFix]:
        """Ask again, alone, for each function left unfinished (link.unfinished): an
        `__init__` that does not set attributes its class's other methods read (adam's step
        updating `self.m`, `self.v` and `self.t`, its moments, written apart from the
        `__init__` that never made them: each method is written in its own call, so the
        state one of them keeps is news to `__init__`), and a function reading a name
        nothing defines (adam's `__init__` drawing from an `rng` it never made)."""

        whys: dict[str, str] = {}  # why each was found, the first time: one may be found
        # only once another is written again (distillation's predict, misshapen once its
        # __init__ made arrays, papers-52)

        def targets(code: str) -> list[Stub]:
            found = unfinished(code, *more)
            for stub in found:
                whys.setdefault(stub.qualname, stub.why)
            return found

        fixes = []
        for path in order:
            whys.clear()
            text = (self.repo / path).read_text("utf-8")
            found = targets(text)
            if not found:
                continue
            code, filled = self.ask_alone(
                path, text, shared, analyses, len(found), targets=targets, judged=judged
            )
            if filled:
                write_file(self.repo, path, code)
            fixes += [
                PlanFix(turn="code", fix=f"{path}: asked for {name} again", why=f"it {whys[name]}")
                for name in filled
            ]
        return fixes

    def link(self, order: list[str], entry: str) -> None:
        """Make the separately written files one program (papercoder.link), recorded as fixes
        and committed on their own so the history shows what the tool changed."""
        current = read_repo(self.repo)
        linked, links = link(current, order, entry)
        if not links:
            return
        for path, text in linked.items():
            if text != current.get(path):
                write_file(self.repo, path, text)
        self.record_fix(*(PlanFix(turn="code", fix=k.fix, why=k.why) for k in links))
        GitRepo(self.repo).commit(f"code: linked the files ({len(links)} mechanical fixes)")

    def record_fix(self, *new: PlanFix) -> None:
        """Add to plan/fixes.json, the one record of what the tool fixed in the plan and code."""
        with self._lock:
            fixes = self.store.read_model("plan/fixes.json", PlanFixes) or PlanFixes()
            self.store.write_model("plan/fixes.json", PlanFixes(fixes=[*fixes.fixes, *new]))

    def sync_requirements(self) -> None:
        """List in requirements.txt what the code imports and the plan did not name."""
        current = read_repo(self.repo)
        added = missing_requirements(current)
        if not added:
            return
        text = with_requirements(current.get("requirements.txt", ""), added)
        write_file(self.repo, "requirements.txt", text)
        self.record_fix(
            PlanFix(
                turn="code",
                fix=f"added {', '.join(added)} to requirements.txt",
                why="the code imports them",
            )
        )
        GitRepo(self.repo).commit(
            f"code: requirements.txt lists what the code imports ({', '.join(added)})"
        )


def run_all(work: Callable[[T], R], items: Iterable[T], jobs: int) -> list[R]:
    """`work` over `items`, `jobs` at a time; the first failure cancels what has not started.

    The workers are daemon threads: on Ctrl-C or SIGTERM the run stops at once instead of
    waiting for the model calls in flight (a local model's may take minutes); what was
    answered is already cached, so a resume loses nothing."""
    todo = list(items)
    results: dict[int, R] = {}
    errors: list[tuple[int, BaseException]] = []
    lock = threading.Lock()
    finished = threading.Event()
    order = iter(range(len(todo)))

    def worker() -> None:
        while True:
            with lock:
                index = None if errors else next(order, None)
            if index is None:
                return
            try:
                value = work(todo[index])
            except BaseException as exc:
                with lock:
                    errors.append((index, exc))
                finished.set()
                return
            with lock:
                results[index] = value
                if len(results) == len(todo):
                    finished.set()

    threads = [
        threading.Thread(target=worker, name=f"papercoder-{n}", daemon=True)
        for n in range(min(jobs, len(todo)))
    ]
    for thread in threads:
        thread.start()
    if todo:
        finished.wait()  # interruptible: Ctrl-C raises here and the daemon workers are left
    if errors:
        for thread in threads:  # let the calls in flight finish and write what they made
            thread.join()
        raise min(errors, key=lambda e: e[0])[1]
    return [results[i] for i in range(len(todo))]


def run_stages(
    store: RunStore,
    paper_path: Path | None,
    settings: Settings,
    model: ChatModel | None = None,
    progress: ProgressFn | None = None,
    deadline: float | None = None,
) -> BuildResult:
    """The stages over an open run directory; each one done is skipped, and a run whose code
    is written is not touched again (its repo may hold repairs since). No model call starts
    after `deadline` (time.monotonic())."""
    built = store.read_model("build.json", BuildResult)
    if built is not None and store.stage_done("code"):
        return built
    builder = Builder(store, settings, model, progress, deadline)
    try:
        paper = builder.stage("ingest", lambda: builder.ingest(paper_path))
        plan = builder.stage("plan", lambda: builder.plan(paper))
        analyses = builder.stage("analyse", lambda: builder.analyse(paper, plan))
        files = builder.stage("code", lambda: builder.code(paper, plan, analyses))
    finally:
        builder.gateway.close()
    ledger = builder.gateway.ledger
    result = BuildResult(
        run_dir=str(store.root),
        repo=str(builder.repo),
        files=files,
        smoke_command=plan.architecture.smoke_command,
        tokens=ledger.tokens,
        cost=round(ledger.cost, 6),
        seconds=round(time.monotonic() - builder.started, 3),
        stage_seconds=builder.stage_seconds,
    )
    store.write_model("build.json", result)
    return result
