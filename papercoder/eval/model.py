"""What `papercoder eval` produces: the reviewer's answer per sample (the schema an endpoint
enforces, with its bounds), and eval.json, which gathers the samples, their mean and spread,
the verdict per component of the method, and the measures that need no model."""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from papercoder.agents.plan import Line, Name, Paragraph, cut

Status = Literal["implemented", "missing", "wrong"]
Severity = Literal["low", "medium", "high"]
Score = Literal[1, 2, 3, 4, 5]
MAX_COMPONENTS, MAX_OTHERS = 12, 3
WORSE: dict[str, int] = {"implemented": 0, "missing": 1, "wrong": 2}
HIGHER: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComponentJudgement(_Model):
    """One numbered component of the method, as one review judged it."""

    id: int = Field(description="the component's number in the list")
    status: Status
    severity: Severity = Field(description="how much the gap matters; low when implemented")
    note: Line = Field(description="the evidence: file and function, or what is absent")


class OtherFinding(_Model):
    """A part of the paper's method that the numbered list leaves out."""

    component: Name
    status: Literal["missing", "wrong"]
    severity: Severity
    note: Line


class Judgement(_Model):
    """One review of the repository against the paper (what the model answers)."""

    components: Annotated[
        list[ComponentJudgement], cut(MAX_COMPONENTS), Field(max_length=MAX_COMPONENTS)
    ]
    others: Annotated[list[OtherFinding], cut(MAX_OTHERS), Field(max_length=MAX_OTHERS)] = Field(
        default_factory=list
    )
    critique: Paragraph
    score: Score = Field(description="1: unrelated to the paper … 5: a faithful implementation")


def judgement_schema(components: int) -> dict[str, Any]:
    """The schema sent to the endpoint: component numbers are an enum of the listed ones and
    there are as many entries as components, so a grammar-constrained model cannot judge a
    component that does not exist or stop short (validation stays lenient: `normalise`)."""
    schema = copy.deepcopy(Judgement.model_json_schema())
    ids = schema["$defs"]["ComponentJudgement"]["properties"]["id"]
    ids["enum"] = list(range(1, components + 1))
    schema["properties"]["components"].update(minItems=components, maxItems=components)
    return schema


class Sample(_Model):
    """One review: ok, failed (no usable answer after the re-ask), or skipped (a budget)."""

    index: int
    outcome: Literal["ok", "failed", "skipped"]
    error: str = ""
    judgement: Judgement | None = None
    fixes: list[str] = Field(
        default_factory=list, description="what the tool corrected in the answer, mechanically"
    )


class ScoreStats(_Model):
    samples: int
    mean: float
    stdev: float = Field(description="sample standard deviation; 0 for a single sample")
    min: int
    max: int


class ComponentResult(_Model):
    """One component over every usable sample: the majority verdict (a tie goes to the worse)."""

    id: int
    component: str
    status: Status | Literal["not judged"]
    severity: Severity | None = None
    votes: dict[str, int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)


class OtherResult(_Model):
    component: str
    status: Literal["missing", "wrong"]
    severity: Severity
    samples: int
    notes: list[str] = Field(default_factory=list)


class ShownFile(_Model):
    path: str
    tokens: int
    cut: bool = False


class EvalContext(_Model):
    """What the reviewer was shown, within the context budget."""

    paper_tokens: int
    plan_tokens: int
    files: list[ShownFile]
    omitted: list[str] = Field(default_factory=list)
    reference_files: list[ShownFile] = Field(default_factory=list)
    reference_omitted: list[str] = Field(default_factory=list)


class TestMeasures(_Model):
    __test__ = False  # not a pytest test class, despite its name

    collected: int | None = None
    passed: int | None = None
    failed: int | None = None
    errors: int | None = None
    skipped: int | None = None
    asserting: int = Field(description="test functions with at least one live assert")
    asserts: int = Field(description="live asserts over every test function")


class HyperparameterMeasures(_Model):
    stated_in_paper: int | None = Field(description="values PaperCoder found in the paper's text")
    config_values: int = Field(description="values in config.yaml")
    in_config: int = Field(description="config values the paper states (verified or re-cited)")
    verified: int
    re_cited: int
    assumption: int
    source: Literal["grounding", "config.yaml", "none"]


class UsageMeasures(_Model):
    calls: int = Field(description="calls the endpoint answered")
    cached: int = Field(default=0, description="calls answered from the run's cache")
    prompt_tokens: int
    completion_tokens: int
    tokens: int
    cost: float | None = Field(default=None, description="USD; None when no price is known")


class Measures(_Model):
    """Read from the run directory, no model involved."""

    verified: bool
    iteration: int | None = Field(description="the verify iteration measured (the best one)")
    checks: dict[str, str] = Field(default_factory=dict)
    checks_green: int = 0
    tests: TestMeasures
    smoke_status: str | None = None
    smoke_seconds: float | None = None
    lines: dict[str, int] = Field(description="non-blank lines per Python file")
    lines_total: int
    hyperparameters: HyperparameterMeasures
    repair_iterations: int | None = None
    stop_reason: str | None = None
    usage: UsageMeasures = Field(description="the build and repair's model use (not the eval's)")


class EvalReport(_Model):
    """eval.json in the run directory."""

    run: str
    mode: Literal["reference-free", "reference-based", "measures-only"]
    reference: str | None = None
    model: str | None = None
    samples_asked: int
    score: ScoreStats | None = None
    components: list[ComponentResult] = Field(default_factory=list)
    others: list[OtherResult] = Field(default_factory=list)
    samples: list[Sample] = Field(default_factory=list)
    stopped: str = Field(default="", description="why sampling ended early (a budget)")
    context: EvalContext | None = None
    measures: Measures
    usage: UsageMeasures | None = Field(default=None, description="the eval's own model use")
    seconds: float = 0.0
