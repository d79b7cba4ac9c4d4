"""Plan validation: pure functions, each returning the problems it finds (empty when fine)."""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Iterable

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from papercoder.agents.plan import Architecture, ConfigPlan, LogicDesign

ALLOWED_SUFFIXES = (".py", ".yaml", ".yml", ".md", ".txt", ".toml", ".json", ".cfg")
_CLASS = re.compile(r"^\s*class\s+([A-Za-z_]\w*)", re.M)
# import names whose pip name differs, for requirements a model writes as modules
_PIP_NAMES = {"yaml": "pyyaml", "sklearn": "scikit-learn", "cv2": "opencv-python", "PIL": "pillow"}


def check_path(path: str) -> list[str]:
    problems = []
    if not path or path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path):
        problems.append(f"file path {path!r} must be relative to the repository root")
    parts = path.replace("\\", "/").split("/")
    if ".." in parts or "." in parts:
        problems.append(f"file path {path!r} must stay inside the repository (no '..' or '.')")
    if not path.endswith(ALLOWED_SUFFIXES):
        problems.append(f"file {path!r} has an unexpected type; use one of {ALLOWED_SUFFIXES}")
    if path.endswith(".py"):
        for part in [*parts[:-1], parts[-1][:-3]]:
            if not part.isidentifier() or keyword.iskeyword(part):
                problems.append(f"{path!r} is not an importable module path ({part!r})")
                break
    return problems


def check_architecture(arch: Architecture) -> list[str]:
    problems = [p for f in arch.files for p in check_path(f.path)]
    paths = [f.path for f in arch.files]
    if len(set(paths)) != len(paths):
        problems.append("the file list names a file twice")
    if arch.entry_point not in paths:
        problems.append(f"entry point {arch.entry_point!r} is not in the file list")
    if not arch.smoke_command.strip():
        problems.append("no smoke command is declared")
    elif arch.entry_point.removesuffix(".py").replace("/", ".") not in (
        arch.smoke_command.replace("/", ".")
    ):
        problems.append(f"smoke command {arch.smoke_command!r} does not run the entry point")
    for text, header in (
        (arch.class_diagram, "classDiagram"),
        (arch.sequence_diagram, "sequenceDiagram"),
    ):
        if text.strip():  # diagrams are optional (a small model's plan may have none)
            problems += check_mermaid(text, header)
    core = [
        p
        for p in paths
        if p.endswith(".py")
        and not p.startswith("tests/")
        and p != arch.entry_point
        and not p.endswith("__init__.py")
    ]
    for module in core:
        test = f"tests/test_{module.rsplit('/', 1)[-1]}"
        if test not in paths:
            problems.append(f"core module {module!r} has no tests file {test!r}")
    return problems


def check_mermaid(text: str, header: str) -> list[str]:
    body = re.sub(r"^\s*```(?:mermaid)?\s*|\s*```\s*$", "", text.strip())
    first = body.splitlines()[0].strip() if body.strip() else ""
    problems = []
    if first != header:
        problems.append(f"the Mermaid block must start with '{header}' (found {first[:40]!r})")
    if body.count("{") != body.count("}"):
        problems.append(f"the Mermaid {header} has unbalanced braces")
    return problems


def diagram_classes(text: str) -> list[str]:
    return _CLASS.findall(text)


def check_logic(logic: LogicDesign, arch: Architecture) -> list[str]:
    problems: list[str] = []
    python = {f.path for f in arch.files if f.path.endswith(".py")}
    described = {f.path for f in logic.files}
    for missing in sorted(python - described):
        problems.append(f"file {missing!r} has no entry in the logic design")
    for extra in sorted(described - python):
        problems.append(f"logic entry {extra!r} is not in the architecture's file list")
    for entry in logic.files:
        for dep in entry.depends_on:
            if dep not in described:
                problems.append(f"{entry.path!r} depends on {dep!r}, which is not a file")
            if dep == entry.path:
                problems.append(f"{entry.path!r} depends on itself")
    cycle = find_cycle({f.path: [d for d in f.depends_on if d in described] for f in logic.files})
    if cycle:
        problems.append("the dependency graph has a cycle: " + " -> ".join(cycle))
    if sorted(logic.task_order) != sorted(described):
        problems.append("task_order must list every Python file exactly once")
    return problems + _check_classes_and_requirements(logic, arch)


def diagram_gaps(logic: LogicDesign, arch: Architecture) -> list[str]:
    """Classes of the class diagram that no file defines: worth a note, not a re-ask (the
    diagram documents the design; the files are the design)."""
    defined = {c for f in logic.files for c in f.classes}
    return [
        f"class {name!r} of the class diagram is defined in no file"
        for name in diagram_classes(arch.class_diagram)
        if name not in defined
    ]


def _check_classes_and_requirements(logic: LogicDesign, arch: Architecture) -> list[str]:
    problems = []
    for requirement in logic.requirements:
        try:
            normalise_requirement(requirement)
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def find_cycle(graph: dict[str, list[str]]) -> list[str]:
    """A cycle in `graph` as a path that returns to its start, or [] when acyclic."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def waves(graph: dict[str, list[str]]) -> list[list[str]]:
    """Files grouped so that each file comes after everything it depends on."""
    done: set[str] = set()
    result: list[list[str]] = []
    remaining = sorted(graph)
    while remaining:
        ready = [n for n in remaining if all(d in done or d not in graph for d in graph[n])]
        if not ready:
            raise ValueError("the dependency graph has a cycle")
        result.append(ready)
        done.update(ready)
        remaining = [n for n in remaining if n not in done]
    return result


def normalise_requirement(text: str) -> str:
    """A valid pip requirement with a canonical name, or ValueError saying why not."""
    cleaned = text.strip()
    name = re.split(r"[<>=!~;\[ ]", cleaned, maxsplit=1)[0]
    if name in _PIP_NAMES:
        cleaned = _PIP_NAMES[name] + cleaned[len(name) :]
    elif name in sys.stdlib_module_names:
        raise ValueError(f"requirement {text!r} is part of the standard library: drop it")
    try:
        requirement = Requirement(cleaned)
    except InvalidRequirement as exc:
        raise ValueError(f"requirement {text!r} is not a valid pip requirement ({exc})") from exc
    if requirement.url:
        raise ValueError(f"requirement {text!r} points at a URL: name a package instead")
    requirement.name = canonicalize_name(requirement.name)
    return str(requirement)


def normalise_requirements(lines: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for line in lines:
        try:
            requirement = normalise_requirement(line)
        except ValueError:
            continue
        seen.setdefault(Requirement(requirement).name, requirement)
    return sorted(seen.values())


def render_config(config: ConfigPlan, comments: dict[str, str] | None = None) -> str:
    """config.yaml with a comment per value saying where the paper states it (`comments`:
    the checked source of each key, when the sources have been checked)."""
    lines = ["# Hyperparameters of the paper; `assumption` marks values the paper leaves open."]
    previous: list[str] = []
    for entry in sorted(config.entries, key=lambda e: e.key):
        parts = entry.key.split(".")
        common = 0
        while common < min(len(previous), len(parts) - 1) and previous[common] == parts[common]:
            common += 1
        for depth in range(common, len(parts) - 1):
            lines.append("  " * depth + f"{parts[depth]}:")
        value = yaml.safe_dump(entry.value, default_flow_style=True).strip().removesuffix("...")
        source = "assumption" if entry.assumption else entry.source
        source = (comments or {}).get(entry.key, source).replace("\n", " ")
        lines.append("  " * (len(parts) - 1) + f"{parts[-1]}: {value.strip()}  # {source}")
        previous = parts[:-1]
    return "\n".join(lines) + "\n"


def check_config(config: ConfigPlan) -> list[str]:
    problems = []
    keys = [e.key for e in config.entries]
    for key in keys:
        if not all(part.isidentifier() for part in key.split(".")):
            problems.append(f"config key {key!r} must be dotted identifiers")
        if any(other.startswith(key + ".") for other in keys):
            problems.append(f"config key {key!r} is both a value and a section")
    if len(set(keys)) != len(keys):
        problems.append("a config key appears twice")
    for entry in config.entries:
        if not entry.assumption and not entry.source.strip():
            problems.append(f"config key {entry.key!r} has no source; mark it as an assumption")
    if not problems:
        try:
            yaml.safe_load(render_config(config))
        except yaml.YAMLError as exc:
            problems.append(f"config.yaml does not parse: {exc}")
    return problems
