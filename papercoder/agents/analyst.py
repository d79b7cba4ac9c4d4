"""The analysis agent: one detailed design per file, all files concurrently."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from papercoder import prompts
from papercoder.agents.plan import Line, Name, Paragraph, Plan, Steps, cut
from papercoder.llm.client import Message
from papercoder.llm.structured import StructuredClient

Interfaces = Annotated[list[Line], cut(16), Field(max_length=16)]
Cases = Annotated[list[Line], cut(6), Field(max_length=6)]


class FileAnalysis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Name
    summary: Paragraph
    interfaces: Interfaces = Field(description="each class and function with its signature")
    steps: Steps
    edge_cases: Cases = Field(default_factory=list)

    def to_markdown(self) -> str:
        parts = [f"# {self.path}", "", self.summary, "", "## Interfaces"]
        parts += [f"- `{i}`" for i in self.interfaces]
        parts += ["", "## Steps", *(f"{n}. {s}" for n, s in enumerate(self.steps, 1))]
        if self.edge_cases:
            parts += ["", "## Edge cases", *(f"- {e}" for e in self.edge_cases)]
        return "\n".join(parts) + "\n"


def analyse(
    client: StructuredClient, shared: list[Message], plan: Plan, path: str, max_tokens: int
) -> FileAnalysis:
    logic = plan.logic_of(path).model_dump_json(indent=1)
    task = Message(role="user", content=prompts.render("analyse_file", path=path, logic=logic))
    answer = client.ask("analyst", [*shared, task], FileAnalysis, max_tokens)
    return answer.model_copy(update={"path": path})
