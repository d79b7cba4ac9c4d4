"""What the reviewer reads, within the model's context: the paper's digest, the plan, the
generated repository (the entry point and the files the plan makes central first), and the
reference repository when one is given. Deterministic, so the samples share a byte-identical
prefix and a rerun is answered from the cache."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from papercoder import prompts
from papercoder.agents.plan import Architecture, LogicDesign, OverallPlan, overall_markdown
from papercoder.errors import InputError
from papercoder.eval.measures import python_files
from papercoder.eval.model import EvalContext, ShownFile, judgement_schema
from papercoder.paper import Paper
from papercoder.paper.render import to_prompt
from papercoder.repair.digest import read_repo
from papercoder.runstore import RunStore
from papercoder.tokens import CHARS_PER_TOKEN, estimate_tokens

PAPER_CAP = 12000
MIN_CUT = 200  # a file cut shorter than this many tokens is left out instead
CUT = "\n# [... cut to fit the context budget ...]"
MARGIN = 300


@dataclass(frozen=True)
class Review:
    """The review's prompt: the shared context, the instruction, and what went into it."""

    context: str
    instruction: str
    components: list[str]
    shown: EvalContext


def fit(text: str, tokens: int) -> tuple[str, bool]:
    """`text` within `tokens` (estimated), cut at a line end with a marker; True when cut."""
    if estimate_tokens(text) <= tokens:
        return text, False
    limit = max(0, (tokens - 1) * CHARS_PER_TOKEN - len(CUT))
    head = text[:limit]
    head = head[: head.rfind("\n")] if "\n" in head else head
    return head.rstrip() + CUT, True


def ranked(files: list[str], entry: str | None, logic: LogicDesign | None) -> list[str]:
    """Most relevant first: the entry point, the plan's files by how many others import them
    (then in plan order), other code, config.yaml, the tests, requirements.txt."""
    planned = [f.path for f in logic.files] if logic else []
    imported = dict.fromkeys(planned, 0)
    for spec in logic.files if logic else []:
        for dep in spec.depends_on:
            imported[dep] = imported.get(dep, 0) + 1

    def key(path: str) -> tuple[int, int, int, str]:
        name = Path(path).name
        test = name.startswith("test_") or path.startswith("tests/") or name == "conftest.py"
        if path == entry:
            group = 0
        elif test:
            group = 4
        elif path in imported:
            group = 1
        elif path.endswith(".py"):
            group = 2
        else:
            group = 3 if path == "config.yaml" else 5
        order = planned.index(path) if path in planned else len(planned)
        return group, -imported.get(path, 0), order, path

    return sorted(files, key=key)


def within(
    files: dict[str, str], order: list[str], tokens: int
) -> tuple[str, list[ShownFile], list[str]]:
    """The files in `order` as fenced blocks until `tokens` is spent: the one that no longer
    fits is cut when enough room is left, the rest are named as left out."""
    parts: list[str] = []
    shown: list[ShownFile] = []
    omitted: list[str] = []
    for path in order:
        language = "python" if path.endswith(".py") else ""
        block = f"## {path}\n```{language}\n{files[path].rstrip()}\n```"
        cost = estimate_tokens(block) + 1
        if cost <= tokens:
            parts.append(block)
            shown.append(ShownFile(path=path, tokens=cost))
            tokens -= cost
        elif tokens >= MIN_CUT:
            body, _ = fit(files[path].rstrip(), tokens - estimate_tokens(path) - 10)
            block = f"## {path}\n```{language}\n{body}\n```"
            parts.append(block)
            shown.append(ShownFile(path=path, tokens=estimate_tokens(block), cut=True))
            tokens = 0
        else:
            omitted.append(path)
    if omitted:
        parts.append("Left out for length: " + ", ".join(omitted))
    return "\n\n".join(parts), shown, omitted


def generated_files(repo: Path) -> dict[str, str]:
    """The generated repository's code and config (its README restates the plan)."""
    found = read_repo(repo)
    keep = {p: t for p, t in found.items() if p.endswith(".py") and t.strip()}
    keep.update({p: found[p] for p in ("config.yaml", "requirements.txt") if p in found})
    return keep


def reference_files(repo: Path) -> dict[str, str]:
    """The reference repository's Python files."""
    if not repo.is_dir():
        raise InputError(
            f"reference repository {repo} is not a directory", "pass the folder of a checkout"
        )
    files = {
        p.relative_to(repo).as_posix(): p.read_text("utf-8", errors="replace")
        for p in python_files(repo)
    }
    files = {p: t for p, t in files.items() if t.strip()}
    if not files:
        raise InputError(
            f"reference repository {repo} holds no Python file",
            "pass the folder that holds the authors' code",
        )
    return files


def reference_order(files: dict[str, str]) -> list[str]:
    """Code before tests, shallow paths before deep ones."""

    def key(path: str) -> tuple[bool, int, str]:
        name = Path(path).name
        return name.startswith("test_") or "tests" in Path(path).parts, path.count("/"), path

    return sorted(files, key=key)


def load_run(store: RunStore) -> tuple[Paper, OverallPlan, Architecture, LogicDesign | None]:
    paper = store.read_model("paper.json", Paper)
    if paper is None:
        raise InputError(
            f"{store.root} holds no paper (a run of `papercoder verify`?)",
            "evaluate a run made by `papercoder build`",
        )
    overall = store.read_model("plan/overall.json", OverallPlan)
    arch = store.read_model("plan/architecture.json", Architecture)
    if overall is None or arch is None:
        raise InputError(
            f"the run in {store.root} has no plan yet", f"finish it: papercoder resume {store.root}"
        )
    return paper, overall, arch, store.read_model("plan/logic.json", LogicDesign)


def plan_digest(overall: OverallPlan, arch: Architecture) -> str:
    files = [f"- `{f.path}`: {f.purpose}" for f in arch.files]
    return "\n".join(
        [
            overall_markdown(overall).rstrip(),
            "",
            "## Files",
            *files,
            "",
            f"Entry point: `{arch.entry_point}`; smoke run: `{arch.smoke_command}`",
        ]
    )


def build_review(
    store: RunStore,
    context_tokens: int,
    reply_tokens: int,
    *,
    reference: Path | None = None,
    small: bool = False,
) -> Review:
    """The review prompt of the run in `store`, sized to `context_tokens`."""
    paper, overall, arch, logic = load_run(store)
    code = generated_files(store.path("repo"))
    if not any(p.endswith(".py") for p in code):
        raise InputError(
            f"the run in {store.root} has no generated code yet",
            f"finish it: papercoder resume {store.root}",
        )
    theirs = reference_files(reference) if reference is not None else None
    components = list(overall.methodology) or [f"the method of {paper.title}"]
    numbered = "\n".join(f"{n}. {step}" for n, step in enumerate(components, 1))
    suffix = "_small" if small else ""
    schema = json.dumps(judgement_schema(len(components)), indent=1)
    template = f"eval_{'reference' if theirs is not None else 'free'}{suffix}"
    bare = prompts.render(template, components=numbered, reference="")
    overhead = sum(
        estimate_tokens(t) for t in (prompts.render("eval_system"), bare, schema, "context")
    )
    room = context_tokens - reply_tokens - overhead - MARGIN
    if room < 2 * MIN_CUT:
        raise InputError(
            f"a context of {context_tokens} tokens leaves no room for the paper and the code",
            "raise --context-tokens (or --ctx with --local)",
        )
    share = 3 if theirs is not None else 2
    paper_text = to_prompt(paper, min(PAPER_CAP, room // (share + 1)))
    room -= estimate_tokens(paper_text)
    plan_text, _ = fit(plan_digest(overall, arch), max(MIN_CUT, room // 8))
    room -= estimate_tokens(plan_text)
    code_room = room // 2 if theirs is not None else room
    code_text, shown, omitted = within(code, ranked(list(code), arch.entry_point, logic), code_room)
    context = prompts.render("eval_context", paper=paper_text, plan=plan_text, code=code_text)
    reference_text, ref_shown, ref_omitted = "", list[ShownFile](), list[str]()
    if theirs is not None:
        ref_room = room - sum(f.tokens for f in shown)
        reference_text, ref_shown, ref_omitted = within(theirs, reference_order(theirs), ref_room)
    instruction = prompts.render(template, components=numbered, reference=reference_text)
    return Review(
        context=context,
        instruction=instruction,
        components=components,
        shown=EvalContext(
            paper_tokens=estimate_tokens(paper_text),
            plan_tokens=estimate_tokens(plan_text),
            files=shown,
            omitted=omitted,
            reference_files=ref_shown,
            reference_omitted=ref_omitted,
        ),
    )
