"""The plan's artifacts: what the planner produces in four turns, one model per turn."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hyperparameter(_Model):
    name: str
    value: str
    source: str = Field(description="where the paper states it, e.g. 'Table 1'")


class OverallPlan(_Model):
    summary: str
    methodology: list[str]
    experiments: list[str]
    datasets: list[str]
    hyperparameters: list[Hyperparameter]
    open_questions: list[str] = Field(default_factory=list)


class FileSpec(_Model):
    path: str
    purpose: str


class Architecture(_Model):
    implementation_approach: str
    files: list[FileSpec]
    entry_point: str
    smoke_command: str
    class_diagram: str
    sequence_diagram: str


class FileLogic(_Model):
    path: str
    responsibilities: str
    depends_on: list[str] = Field(default_factory=list)
    classes: list[str] = Field(default_factory=list)
    functions: list[str] = Field(default_factory=list)


class LogicDesign(_Model):
    files: list[FileLogic]
    task_order: list[str]
    requirements: list[str] = Field(default_factory=list)


class ConfigEntry(_Model):
    key: str
    value: str | int | float | bool
    source: str
    assumption: bool = False


class ConfigPlan(_Model):
    entries: list[ConfigEntry]


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
