"""The planning agent: one conversation of four turns (overall plan, architecture, logic
design, config). Each answer is schema-validated (the schema carries its bounds), then the
defects a tool can fix are fixed (`plan_normalise`, each fix recorded), then `plan_checks`
runs; only what remains is asked again, once, and a re-ask answered word for word like the
first is not asked again: the build stops with the problems."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from papercoder import prompts
from papercoder.agents import contract
from papercoder.agents import plan_checks as checks
from papercoder.agents import plan_normalise as normalise
from papercoder.agents.plan import (
    SMALL_ENTRIES,
    SMALL_LINE,
    SMALL_SUMMARY,
    Architecture,
    ConfigPlan,
    LogicDesign,
    OverallPlan,
    Plan,
    bounded,
    small_overall,
    with_paths,
)
from papercoder.agents.plan_normalise import PlanFix
from papercoder.errors import ModelOutputError
from papercoder.llm.client import Message
from papercoder.llm.structured import StructuredClient

T = TypeVar("T", bound=BaseModel)

TURNS = ("overall", "architecture", "logic", "config")


def system_message() -> Message:
    return Message(role="system", content=prompts.render("system"))


def context(paper_text: str, plan_text: str = "(none yet)", values: str = "(none found)") -> str:
    return prompts.render("context", paper=paper_text, plan=plan_text, values=values)


class Planner:
    def __init__(
        self,
        client: StructuredClient,
        paper_text: str,
        max_tokens: int = 4096,
        values: str = "(none found)",
        prompt_suffix: str = "",
    ):
        self.client = client
        first = context(paper_text, values=values)
        self.history = [system_message(), Message(role="user", content=first)]
        self.max_tokens = max_tokens
        self.suffix = prompt_suffix
        self.fixes: list[PlanFix] = []

    def question(self, name: str) -> Message:
        return Message(role="user", content=plan_prompt(f"plan_{name}{self.suffix}"))

    def turn(
        self,
        name: str,
        schema: type[T],
        check: Callable[[T], list[str]],
        fix: Callable[[T], tuple[T, list[PlanFix]]] = lambda x: (x, []),
        json_schema: dict[str, object] | None = None,
    ) -> T:
        """Ask one turn; the conversation keeps only the accepted answer, so a resumed run
        sends byte-identical later turns (and the cache answers them)."""
        messages = [*self.history, self.question(name)]
        agent = f"planner.{name}"
        raw = self.client.ask(agent, messages, schema, self.max_tokens, json_schema)
        answer, fixes = fix(raw)
        problems = check(answer)
        if problems:
            listed = "\n".join(f"- {p}" for p in problems)
            retry = [
                *messages,
                Message(role="assistant", content=raw.model_dump_json()),
                Message(role="user", content=prompts.render("plan_reask", problems=listed)),
            ]
            again = self.client.ask(agent, retry, schema, self.max_tokens, json_schema)
            if again.model_dump_json() == raw.model_dump_json():
                raise ModelOutputError(
                    f"the {name} plan is invalid and the re-ask returned the same answer word"
                    f" for word: {'; '.join(problems)}",
                    "try a stronger model (--model); the replies are in the run's llm/ folder",
                    problems=problems,
                )
            answer, fixes = fix(again)
            problems = check(answer)
            if problems:
                raise ModelOutputError(
                    f"the {name} plan is still invalid after a re-ask: {'; '.join(problems)}",
                    "try a stronger model (--model); the replies are in the run's llm/ folder",
                    problems=problems,
                )
        self.fixes += fixes
        self.remember(name, answer)
        return answer

    def remember(self, name: str, answer: BaseModel) -> None:
        self.history += [
            self.question(name),
            Message(role="assistant", content=answer.model_dump_json()),
        ]


def plan_prompt(name: str) -> str:
    """The prompt `name` of a plan turn, with the bounds the small profile's prompts state."""
    return prompts.render(name, entries=SMALL_ENTRIES, line=SMALL_LINE, summary=SMALL_SUMMARY)


def make_plan(
    client: StructuredClient,
    paper_text: str,
    done: dict[str, BaseModel] | None = None,
    on_turn: Callable[[str, BaseModel], None] | None = None,
    max_tokens: int = 4096,
    *,
    values: str = "(none found)",
    small: bool = False,
) -> tuple[Plan, list[PlanFix]]:
    """The four turns in order; `done` holds turns answered in an earlier session. Returns
    the plan and the fixes the tool made to it. `small`: the small-model prompts (shorter
    answers) and the tool's architecture and logic (`agents.contract`): two turns fewer."""
    planner = Planner(client, paper_text, max_tokens, values, "_small" if small else "")
    done = done or {}

    def step(
        name: str,
        schema: type[T],
        check: Callable[[T], list[str]],
        fix: Callable[[T], tuple[T, list[PlanFix]]] = lambda x: (x, []),
        json_schema: dict[str, object] | None = None,
    ) -> T:
        earlier = done.get(name)
        if isinstance(earlier, schema):
            planner.remember(name, earlier)
            return earlier
        answer = planner.turn(name, schema, check, fix, json_schema)
        if on_turn:
            on_turn(name, answer)
        return answer

    asked = planner.question("overall").content
    overall = step(
        "overall",
        OverallPlan,
        lambda _: [],
        lambda x: normalise.normalise_overall(x, asked),
        # a small model lists every value it was shown; config.yaml takes them anyway
        small_overall(OverallPlan.model_json_schema()) if small else None,
    )
    if small:  # the small profile's files and interface are the tool's (agents.contract)
        architecture, logic = contract.architecture(), contract.logic()
        for name, answer in (("architecture", architecture), ("logic", logic)):
            if on_turn and name not in done:
                on_turn(name, answer)
    else:
        architecture = step(
            "architecture",
            Architecture,
            checks.check_architecture,
            normalise.normalise_architecture,
        )
        paths = [f.path for f in architecture.files if f.path.endswith(".py")]
        logic = step(
            "logic",
            LogicDesign,
            lambda x: checks.check_logic(x, architecture),
            lambda x: normalise.normalise_logic(x, architecture),
            with_paths(LogicDesign.model_json_schema(), paths),
        )
    planner.fixes += [
        PlanFix(turn="logic", fix="noted", why=gap)
        for gap in checks.diagram_gaps(logic, architecture)
    ]
    config = step(
        "config",
        ConfigPlan,
        checks.check_config,
        normalise.normalise_config,
        bounded(ConfigPlan.model_json_schema(), "entries", SMALL_ENTRIES) if small else None,
    )
    plan = Plan(overall=overall, architecture=architecture, logic=logic, config=config)
    return plan, planner.fixes
