"""The planning agent: one conversation of four turns (overall plan, architecture, logic
design, config), each answer schema-validated, then checked by `plan_checks`; a violation is
asked again once with the exact problems, then fails with a clear error."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from papercoder import prompts
from papercoder.agents import plan_checks as checks
from papercoder.agents.plan import Architecture, ConfigPlan, LogicDesign, OverallPlan, Plan
from papercoder.errors import ModelOutputError
from papercoder.llm.client import Message
from papercoder.llm.structured import StructuredClient

T = TypeVar("T", bound=BaseModel)

TURNS = ("overall", "architecture", "logic", "config")


def system_message() -> Message:
    return Message(role="system", content=prompts.render("system"))


def context(paper_text: str, plan_text: str = "(none yet)") -> str:
    return prompts.render("context", paper=paper_text, plan=plan_text)


class Planner:
    def __init__(self, client: StructuredClient, paper_text: str, max_tokens: int = 4096):
        self.client = client
        self.history = [system_message(), Message(role="user", content=context(paper_text))]
        self.max_tokens = max_tokens

    def turn(self, name: str, schema: type[T], check: Callable[[T], list[str]]) -> T:
        """Ask one turn; the conversation keeps only the accepted answer, so a resumed run
        sends byte-identical later turns (and the cache answers them)."""
        question = Message(role="user", content=prompts.render(f"plan_{name}"))
        messages = [*self.history, question]
        agent = f"planner.{name}"
        answer = self.client.ask(agent, messages, schema, self.max_tokens)
        problems = check(answer)
        if problems:
            listed = "\n".join(f"- {p}" for p in problems)
            retry = [
                *messages,
                Message(role="assistant", content=answer.model_dump_json()),
                Message(role="user", content=prompts.render("plan_reask", problems=listed)),
            ]
            answer = self.client.ask(agent, retry, schema, self.max_tokens)
            problems = check(answer)
            if problems:
                raise ModelOutputError(
                    f"the {name} plan is still invalid after a re-ask: {'; '.join(problems)}",
                    "try a stronger model (--model); the replies are in the run's llm/ folder",
                    problems=problems,
                )
        self.remember(name, answer)
        return answer

    def remember(self, name: str, answer: BaseModel) -> None:
        self.history += [
            Message(role="user", content=prompts.render(f"plan_{name}")),
            Message(role="assistant", content=answer.model_dump_json()),
        ]


def make_plan(
    client: StructuredClient,
    paper_text: str,
    done: dict[str, BaseModel] | None = None,
    on_turn: Callable[[str, BaseModel], None] | None = None,
    max_tokens: int = 4096,
) -> Plan:
    """The four turns in order; `done` holds turns answered in an earlier session."""
    planner = Planner(client, paper_text, max_tokens)
    done = done or {}
    results: dict[str, BaseModel] = {}

    def step(name: str, schema: type[T], check: Callable[[T], list[str]]) -> T:
        earlier = done.get(name)
        if isinstance(earlier, schema):
            planner.remember(name, earlier)
            results[name] = earlier
            return earlier
        answer = planner.turn(name, schema, check)
        results[name] = answer
        if on_turn:
            on_turn(name, answer)
        return answer

    overall = step("overall", OverallPlan, lambda _: [])
    architecture = step("architecture", Architecture, checks.check_architecture)
    logic = step("logic", LogicDesign, lambda x: checks.check_logic(x, architecture))
    config = step("config", ConfigPlan, checks.check_config)
    return Plan(overall=overall, architecture=architecture, logic=logic, config=config)
