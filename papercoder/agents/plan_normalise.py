"""Plan defects with a mechanical fix, fixed by the tool (pure functions).

A model's plan often has defects a tool can decide: the entry point missing from the file
list, `tests.py` as a core module, a file named twice, a path with a dash, a dependency on a
module spelt without `.py`, a task order that contradicts the dependency graph, a config key
with spaces. Each is fixed here and recorded as a `PlanFix` (what, why), so only what a tool
cannot decide goes back to the model.
"""

from __future__ import annotations

import itertools
import keyword
import re
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from papercoder.agents.plan import (
    Architecture,
    ConfigEntry,
    ConfigPlan,
    FileLogic,
    FileSpec,
    LogicDesign,
    OverallPlan,
)
from papercoder.agents.plan_checks import (
    ALLOWED_SUFFIXES,
    check_mermaid,
    find_cycle,
    normalise_requirement,
    waves,
)
from papercoder.grounding import parse_number

DEFAULT_ENTRY = "main.py"
DIAGRAMS = (("class_diagram", "classDiagram"), ("sequence_diagram", "sequenceDiagram"))


class PlanFix(BaseModel):
    model_config = ConfigDict(extra="forbid")

    turn: str
    fix: str
    why: str


class PlanFixes(BaseModel):
    """plan/fixes.json: every fix the tool made to the model's plan."""

    model_config = ConfigDict(extra="forbid")

    fixes: list[PlanFix] = []


def clean_path(raw: str) -> str | None:
    """`raw` as a relative path inside the repository with importable module names, or None
    when it cannot be one (a URL, an unknown file type)."""
    path = raw.strip().strip("`'\"").replace("\\", "/")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path) or "://" in path:
        return None
    path = re.sub(r"^(\./)+", "", path)
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    name = parts[-1]
    if "." not in name:
        name += ".py"
    if not name.endswith(ALLOWED_SUFFIXES):
        return None
    if name.endswith(".py"):
        stem = _identifier(name[:-3])
        parts = [_identifier(p) for p in parts[:-1]] + [f"{stem}.py"]
    else:
        parts = [*parts[:-1], name]
    return "/".join(parts)


def _identifier(part: str) -> str:
    text = re.sub(r"\W", "_", part.strip().replace("-", "_").replace(" ", "_")) or "module"
    if text[0].isdigit():
        text = f"m_{text}"
    return f"{text}_" if keyword.iskeyword(text) else text


def _is_test(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return path.startswith("tests/") or name.startswith("test_") or name in ("tests.py", "test.py")


def test_path(module: str) -> str:
    return f"tests/test_{module.rsplit('/', 1)[-1]}"


def normalise_overall(overall: OverallPlan, question: str) -> tuple[OverallPlan, list[PlanFix]]:
    """Drop list items that repeat the question's own instructions (a small model answered
    adam's methodology with the prompt's bullets: "Define the method in at most three
    sentences")."""
    asked = [_words(line) for line in question.splitlines() if len(_words(line)) > 3]
    fixes: list[PlanFix] = []
    update: dict[str, list[str]] = {}
    for field in ("methodology", "experiments", "datasets", "open_questions"):
        items: list[str] = getattr(overall, field)
        kept = [i for i in items if not any(_echoes(_words(i), a) for a in asked)]
        kept = list(dict.fromkeys(kept))  # the same item twice: once
        if kept != items:
            update[field] = kept
            fixes.append(
                PlanFix(
                    turn="overall",
                    fix=f"dropped {len(items) - len(kept)} {field} item(s)",
                    why="they repeated the question's instructions or each other",
                )
            )
    return overall.model_copy(update=update), fixes


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _echoes(item: list[str], asked: list[str]) -> bool:
    if not item:
        return False
    shared = len(set(item) & set(asked))
    return shared / len(set(item)) >= 0.7


def normalise_architecture(arch: Architecture) -> tuple[Architecture, list[PlanFix]]:
    fixes: list[PlanFix] = []

    def fix(what: str, why: str) -> None:
        fixes.append(PlanFix(turn="architecture", fix=what, why=why))

    files = _clean_files(arch.files, fix)
    entry = clean_path(arch.entry_point) or DEFAULT_ENTRY
    if not entry.endswith(".py") or _is_test(entry):
        entry = DEFAULT_ENTRY
    if entry != arch.entry_point:
        fix(f"entry point {arch.entry_point!r} became {entry!r}", "it must be a Python file")
    if entry not in files:
        purpose = "entry point: runs the method; --smoke runs it end to end at tiny sizes"
        files[entry] = FileSpec(path=entry, purpose=purpose)
        fix(f"added the entry point {entry!r} to the files", "the file list lacked it")
    smoke = arch.smoke_command.strip()
    if not smoke or entry.removesuffix(".py").replace("/", ".") not in smoke.replace("/", "."):
        smoke = f"python {entry} --smoke"
        fix(f"smoke command became {smoke!r}", "it must run the entry point")
    for module in [p for p in files if _is_core(p, entry)]:
        test = test_path(module)
        if test not in files:
            files[test] = FileSpec(path=test, purpose=f"tests of {module}")
            fix(f"planned {test!r}", f"core module {module!r} had no tests file")
    diagrams = {}
    for field, header in (
        ("class_diagram", "classDiagram"),
        ("sequence_diagram", "sequenceDiagram"),
    ):
        text = getattr(arch, field)
        diagrams[field] = _mermaid(text, header)
        if diagrams[field] != text:
            state = "repaired" if diagrams[field] else "dropped"
            fix(f"{field} {state}", "not a valid Mermaid block")
    update = {"files": list(files.values()), "entry_point": entry, "smoke_command": smoke}
    return arch.model_copy(update=update | diagrams), fixes


def _clean_files(specs: list[FileSpec], fix: Callable[[str, str], None]) -> dict[str, FileSpec]:
    files: dict[str, FileSpec] = {}
    for spec in specs:
        path = clean_path(spec.path)
        if path is None:
            fix(f"dropped {spec.path!r}", "not a file inside the repository PaperCoder can write")
            continue
        if path != spec.path:
            fix(f"renamed {spec.path!r} to {path!r}", "paths must be importable module paths")
        if path.endswith(".py") and _is_test(path) and not path.startswith("tests/test_"):
            name = path.rsplit("/", 1)[-1]
            if name in ("tests.py", "test.py"):
                fix(f"dropped {path!r}", "tests live in tests/test_<module>.py, planned below")
                continue
            moved = f"tests/{name}"
            fix(f"moved {path!r} to {moved!r}", "tests live under tests/")
            path = moved
        if path in files:
            fix(f"dropped the second {path!r}", "the file list named it twice")
            continue
        files[path] = spec.model_copy(update={"path": path})
    return files


def _is_core(path: str, entry: str) -> bool:
    return (
        path.endswith(".py")
        and not _is_test(path)
        and path != entry
        and not path.endswith("__init__.py")
    )


def _mermaid(text: str, header: str) -> str:
    """A Mermaid block that starts with `header` and balances its braces, or '' (diagrams
    are documentation: a broken one is dropped, never a reason to stop)."""
    body = re.sub(r"^\s*```(?:mermaid)?\s*|\s*```\s*$", "", text.strip())
    if not body.strip():
        return ""
    if header in body and not body.lstrip().startswith(header):
        body = body[body.index(header) :]
    if not body.lstrip().startswith(header):
        body = f"{header}\n{body}"
    return body if not check_mermaid(body, header) else ""


def _as_planned(raw: str, known: set[str]) -> str | None:
    """`raw` (a path, a module name, a dotted module) as one of the `known` files."""
    text = raw.strip().strip("`'\"")
    candidates = [clean_path(text), clean_path(text.replace(".", "/").removesuffix("/py"))]
    for candidate in candidates:
        if candidate in known:
            return candidate
    base = (candidates[0] or "").rsplit("/", 1)[-1]
    matches = [k for k in known if k.rsplit("/", 1)[-1] == base]
    return matches[0] if len(matches) == 1 else None


def normalise_logic(logic: LogicDesign, arch: Architecture) -> tuple[LogicDesign, list[PlanFix]]:
    fixes: list[PlanFix] = []

    def fix(what: str, why: str) -> None:
        fixes.append(PlanFix(turn="logic", fix=what, why=why))

    python = [f.path for f in arch.files if f.path.endswith(".py")]
    known = set(python)
    entries: dict[str, FileLogic] = {}
    for entry in logic.files:
        path = _as_planned(entry.path, known)
        if path is None:
            fix(f"dropped the entry for {entry.path!r}", "not a Python file of the architecture")
            continue
        if path in entries:
            fix(f"dropped the second entry for {path!r}", "the design described it twice")
            continue
        entries[path] = entry.model_copy(update={"path": path})
    purposes = {f.path: f.purpose for f in arch.files}
    for path in python:
        if path not in entries:
            entries[path] = FileLogic(path=path, responsibilities=purposes.get(path, ""))
            fix(f"added an entry for {path!r}", "the design left it out")
    _clean_dependencies(entries, known, fix)
    _break_cycles(entries, arch.entry_point, fix)
    graph = {p: list(e.depends_on) for p, e in entries.items()}
    order = [p for wave in waves(graph) for p in wave]
    given = [_as_planned(p, known) for p in logic.task_order]
    if not _respects(given, graph) or sorted(p for p in given if p) != sorted(graph):
        fix("task_order derived from the dependency graph", "the given order broke it")
    else:
        order = [p for p in given if p]
    requirements: list[str] = []
    for raw in logic.requirements:
        try:
            requirements.append(normalise_requirement(raw))
        except ValueError as exc:
            fix(f"dropped requirement {raw!r}", str(exc))
    fixed = logic.model_copy(
        update={"files": list(entries.values()), "task_order": order, "requirements": requirements}
    )
    return fixed, fixes


def _clean_dependencies(
    entries: dict[str, FileLogic], known: set[str], fix: Callable[[str, str], None]
) -> None:
    for path, entry in entries.items():
        deps: list[str] = []
        for raw in entry.depends_on:
            dep = _as_planned(raw, known)
            if dep is None or dep == path or dep in deps:
                fix(f"dropped {path!r} → {raw!r}", "not another planned Python file")
                continue
            deps.append(dep)
        entries[path] = entry.model_copy(update={"depends_on": deps})


def _break_cycles(
    entries: dict[str, FileLogic], entry_point: str, fix: Callable[[str, str], None]
) -> None:
    """Drop one edge per cycle: an import of the entry point (nothing imports it), else the
    import of the file that itself imports the most (the higher-level one)."""
    while cycle := find_cycle({p: list(e.depends_on) for p, e in entries.items()}):
        edges = list(itertools.pairwise(cycle))
        source, target = max(
            edges, key=lambda e: (e[1] == entry_point, len(entries[e[1]].depends_on))
        )
        entry = entries[source]
        entries[source] = entry.model_copy(
            update={"depends_on": [d for d in entry.depends_on if d != target]}
        )
        fix(f"dropped {source!r} → {target!r}", "it closed a cycle: " + " -> ".join(cycle))


def _respects(order: list[str | None], graph: dict[str, list[str]]) -> bool:
    position = {p: i for i, p in enumerate(order) if p}
    return all(
        position.get(dep, -1) < position.get(path, -1)
        for path, deps in graph.items()
        for dep in deps
    )


_DASH = "[-\u2212\u2013]?"  # papers write 10^-8 with a minus sign or an en dash too
_NUMERIC = (
    r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?"
    rf"|10\^{_DASH}\d+|[\d.]+ ?[x*] ?10\^{_DASH}\d+"
)


def _typed(value: str | int | float | bool) -> str | int | float | bool:
    """A number or boolean given as a string, as what it is ('128', '1e-8', '10^-8', 'true')."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    if re.fullmatch(_NUMERIC, text):
        number = parse_number(text)
        return number if number is not None else value
    return value


def normalise_config(config: ConfigPlan) -> tuple[ConfigPlan, list[PlanFix]]:
    fixes: list[PlanFix] = []

    def fix(what: str, why: str) -> None:
        fixes.append(PlanFix(turn="config", fix=what, why=why))

    entries: dict[str, ConfigEntry] = {}
    for entry in config.entries:
        parts = [_identifier(p) for p in re.split(r"[./]", entry.key.strip()) if p.strip()]
        key = ".".join(parts) or "value"
        if key != entry.key:
            fix(f"key {entry.key!r} became {key!r}", "keys are dotted identifiers")
        if key in entries:
            fix(f"dropped the second {key!r}", "a config key appears once")
            continue
        update: dict[str, object] = {"key": key}
        typed = _typed(entry.value)
        if typed != entry.value or type(typed) is not type(entry.value):
            update["value"] = typed
            fix(f"{key!r}: {entry.value!r} became {typed!r}", "a number written as a string")
        if not entry.assumption and not entry.source.strip():
            update["assumption"] = True
            fix(f"{key!r} marked as an assumption", "it names no source in the paper")
        entries[key] = entry.model_copy(update=update)
    for key in list(entries):
        if any(other.startswith(key + ".") for other in entries):
            del entries[key]
            fix(f"dropped {key!r}", "it is both a value and a section")
    return config.model_copy(update={"entries": list(entries.values())}), fixes
