"""The plan's artifacts: what the planner produces in four turns, one model per turn."""

from __future__ import annotations

import copy
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints


def cut(limit: int) -> BeforeValidator:
    """Keep the first `limit` characters or items: the schema sent to the endpoint carries
    the bound (so a grammar stops a looping model), and a reply that ignores it is cut, not
    refused."""
    return BeforeValidator(lambda v: v[:limit] if isinstance(v, str | list) else v)


NAME, LINE, PARAGRAPH, DIAGRAM = 80, 300, 1200, 2000
MAX_FILES, MAX_STEPS, MAX_ENTRIES, FEW = 16, 12, 40, 6
# config.yaml's entries a small model writes: the values the paper states are added by the
# tool (grounding.carry_stated); asked for 40, the 1.5B model spent 154 s of transformer's
# config turn on 1,583 tokens of assumed scheduler settings (papers-35)
SMALL_ENTRIES = 16
# the overall plan's bounds for a small model, as its prompt states them (items, and
# characters of each): bounded as for any model (12 steps of 300), the 1.5B model spent 116 s
# of gcn's overall turn on 1,081 tokens, its fifth step cut at 300 characters (papers-36)
SMALL_OVERALL = {"methodology": 8, "experiments": 3, "datasets": 3, "open_questions": 3}
SMALL_LINE, SMALL_SUMMARY = 200, 600

Name = Annotated[str, cut(NAME), StringConstraints(max_length=NAME)]
Line = Annotated[str, cut(LINE), StringConstraints(max_length=LINE)]
Paragraph = Annotated[str, cut(PARAGRAPH), StringConstraints(max_length=PARAGRAPH)]
Diagram = Annotated[str, cut(DIAGRAM), StringConstraints(max_length=DIAGRAM)]
Steps = Annotated[list[Line], cut(MAX_STEPS), Field(max_length=MAX_STEPS)]
Few = Annotated[list[Line], cut(FEW), Field(max_length=FEW)]
Names = Annotated[list[Name], cut(MAX_FILES), Field(max_length=MAX_FILES)]
MoreNames = Annotated[list[Name], cut(24), Field(max_length=24)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hyperparameter(_Model):
    name: Name
    value: Name
    source: Name = Field(description="where the paper states it, e.g. 'Table 1'")


class OverallPlan(_Model):
    summary: Paragraph
    methodology: Steps
    experiments: Few
    datasets: Few
    hyperparameters: Annotated[
        list[Hyperparameter], cut(MAX_ENTRIES), Field(max_length=MAX_ENTRIES)
    ]
    open_questions: Few = Field(default_factory=list)


class FileSpec(_Model):
    path: Name
    purpose: Line


class Architecture(_Model):
    implementation_approach: Paragraph
    files: Annotated[list[FileSpec], cut(MAX_FILES), Field(max_length=MAX_FILES)]
    entry_point: Name
    smoke_command: Name
    class_diagram: Diagram = ""
    sequence_diagram: Diagram = ""


class FileLogic(_Model):
    path: Name
    responsibilities: Paragraph
    depends_on: Names = Field(default_factory=list)
    classes: Names = Field(default_factory=list)
    functions: MoreNames = Field(default_factory=list)


class LogicDesign(_Model):
    files: Annotated[list[FileLogic], cut(MAX_FILES), Field(max_length=MAX_FILES)]
    task_order: Names
    requirements: Names = Field(default_factory=list)


class ConfigEntry(_Model):
    key: Name
    value: str | int | float | bool
    source: Name
    assumption: bool = False


class ConfigPlan(_Model):
    entries: Annotated[list[ConfigEntry], cut(MAX_ENTRIES), Field(max_length=MAX_ENTRIES)]


def with_paths(schema: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """`schema` (a LogicDesign's) with every file path an enum of the planned `paths`, so
    an endpoint that enforces the schema cannot produce a file that was not planned."""
    result = copy.deepcopy(schema)
    enum = {"type": "string", "enum": sorted(paths)}
    defs = result.get("$defs", {})
    logic = defs.get("FileLogic", {}).get("properties", {})
    if "path" in logic:
        logic["path"] = dict(enum)
        logic["depends_on"]["items"] = dict(enum)
    result["properties"]["task_order"]["items"] = dict(enum)
    return result


def small_overall(schema: dict[str, Any]) -> dict[str, Any]:
    """An OverallPlan's `schema` with the small profile's bounds: no values listed
    (config.yaml takes them), SMALL_OVERALL items of at most SMALL_LINE characters, a summary
    of at most SMALL_SUMMARY."""
    result = bounded(schema, "hyperparameters", 0)
    result["properties"]["summary"]["maxLength"] = SMALL_SUMMARY
    for field, most in SMALL_OVERALL.items():
        result["properties"][field]["maxItems"] = most
        result["properties"][field]["items"]["maxLength"] = SMALL_LINE
    return result


def bounded(schema: dict[str, Any], field: str, most: int) -> dict[str, Any]:
    """`schema` with the list `field` bounded to `most` items (none: an endpoint that
    enforces the schema writes `[]` there instead of spending minutes on it)."""
    result = copy.deepcopy(schema)
    result["properties"][field]["maxItems"] = most
    return result


class Plan(_Model):
    """All four turns, as the later stages read them."""

    overall: OverallPlan
    architecture: Architecture
    logic: LogicDesign
    config: ConfigPlan

    def logic_of(self, path: str) -> FileLogic:
        return next(f for f in self.logic.files if f.path == path)

    def python_files(self) -> list[str]:
        return [f.path for f in self.logic.files if f.path.endswith(".py")]


def plan_text(plan: Plan, config_yaml: str) -> str:
    """The plan as the analysis and coding agents read it (deterministic)."""
    overall = plan.overall
    arch = plan.architecture
    lines = ["## Overall plan", overall.summary, "", "Methodology:"]
    lines += [f"- {step}" for step in overall.methodology]
    lines += ["", "Experiments:", *(f"- {e}" for e in overall.experiments)]
    lines += ["", "Datasets:", *(f"- {d}" for d in overall.datasets)]
    lines += ["", "## Architecture", arch.implementation_approach, "", "Files:"]
    lines += [f"- `{f.path}`: {f.purpose}" for f in arch.files]
    lines += ["", f"Entry point: `{arch.entry_point}`; smoke command: `{arch.smoke_command}`"]
    lines += ["", "```mermaid", arch.class_diagram.strip(), "```"]
    lines += ["", "## Logic design"]
    for entry in plan.logic.files:
        deps = ", ".join(entry.depends_on) or "nothing"
        lines.append(f"- `{entry.path}` (imports {deps}): {entry.responsibilities}")
    lines += ["", "Requirements: " + (", ".join(plan.logic.requirements) or "none")]
    lines += ["", "## config.yaml", "```yaml", config_yaml.rstrip(), "```"]
    return "\n".join(lines)


def overall_markdown(overall: OverallPlan) -> str:
    parts = ["# Overall plan", "", overall.summary, "", "## Methodology"]
    parts += [f"{n}. {s}" for n, s in enumerate(overall.methodology, 1)]
    parts += ["", "## Experiments", *(f"- {e}" for e in overall.experiments)]
    parts += ["", "## Datasets", *(f"- {d}" for d in overall.datasets)]
    parts += ["", "## Hyperparameters", "| name | value | source |", "|---|---|---|"]
    parts += [f"| {h.name} | {h.value} | {h.source} |" for h in overall.hyperparameters]
    parts += ["", "## Open questions", *(f"- {q}" for q in overall.open_questions)]
    return "\n".join(parts) + "\n"
