"""The repair agent: the digest in, SEARCH/REPLACE edits out. Edits that match nothing go
back to the model with the nearest real lines (bounded); guard refusals are final."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict, Field

from papercoder import prompts
from papercoder.agents.planner import system_message
from papercoder.llm.client import ChatModel, ChatRequest, Message
from papercoder.repair.patch import Edit, PatchResult, Rejection, apply_edits, parse_edits

RETRIES = 2


class RepairOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str
    replies: list[str] = Field(default_factory=list)
    result: PatchResult


def _problems(rejected: list[Rejection]) -> str:
    parts = []
    for rejection in rejected:
        text = f"- {rejection.path}: {rejection.reason}"
        if rejection.nearest and rejection.reason.startswith("no such file"):
            text += f"; the repository's Python files are:\n{rejection.nearest}"
        elif rejection.nearest:
            text += f"; the closest lines in the file are:\n```\n{rejection.nearest}\n```"
        parts.append(text)
    return "\n".join(parts)


def repair_prompt(digest: str, files: Iterable[str]) -> str:
    """The repair prompt; its example names a real file, since small models copy it."""
    example = next((p for p in files if p.endswith(".py") and f"## {p}" in digest), "model.py")
    return prompts.render("repair", digest=digest, example_path=example)


def repair(
    model: ChatModel,
    digest: str,
    files: dict[str, str],
    is_link: Callable[[str], bool],
    max_tokens: int,
) -> RepairOutcome:
    prompt = repair_prompt(digest, files)
    messages = [system_message(), Message(role="user", content=prompt)]
    replies: list[str] = []
    applied: list[Edit] = []
    final: list[Rejection] = []
    for attempt in range(RETRIES + 1):
        reply = model.complete(
            ChatRequest(agent="repairer", messages=tuple(messages), max_tokens=max_tokens)
        )
        replies.append(reply.content)
        edits = parse_edits(reply.content)
        result = apply_edits(files, edits, is_link)
        files = result.files
        applied += result.applied
        retry = [r for r in result.rejected if r.nearest]
        final += [r for r in result.rejected if not r.nearest]
        if not edits:
            retry = [Rejection(path="(reply)", reason="it holds no SEARCH/REPLACE block")]
        if not retry or attempt == RETRIES:
            final += [r for r in retry if r.path != "(reply)"] if attempt == RETRIES else []
            break
        messages += [
            Message(role="assistant", content=reply.content),
            Message(role="user", content=prompts.render("repair_retry", problems=_problems(retry))),
        ]
    return RepairOutcome(
        prompt=prompt,
        replies=replies,
        result=PatchResult(files=files, applied=applied, rejected=final),
    )
