"""The coding agent: one file per call, seeing the interfaces of the files it imports; a reply
that is not valid Python is asked again with the syntax error."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from papercoder import prompts
from papercoder.errors import ModelOutputError
from papercoder.llm.client import ChatModel, ChatRequest, Message
from papercoder.llm.gateway import TruncatedReply
from papercoder.llm.loops import before_loop
from papercoder.repo import syntax_problem

REASKS = 2
_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.S)


def extract_python(reply: str) -> str:
    """The code in the reply: its (largest) fenced block, or the whole reply."""
    blocks = _FENCE.findall(reply)
    if blocks:
        return str(max(blocks, key=len)).strip("\n") + "\n"
    return reply.strip("\n") + "\n"


class CodedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    salvaged: str = Field(default="", description="why only a part of a reply was kept")


def code_file(
    model: ChatModel,
    shared: list[Message],
    path: str,
    analysis: str,
    interfaces: str,
    max_tokens: int,
    packages: list[str] | None = None,
) -> CodedFile:
    """The file `path`, asked again with the problem when the reply is not valid Python, and
    asked again shorter and warmer when it loops. When every reply looped, the longest start
    of one that parses is kept (the repair loop takes it from there), or the error is raised."""
    task = prompts.render(
        "code_file",
        path=path,
        analysis=analysis,
        interfaces=interfaces or "(it imports no repository file)",
        packages=", ".join(_packages(path, packages or [])),
        rules=TEST_RULES if _is_test(path) else "",
    )
    messages = [*shared, Message(role="user", content=task)]
    problem = ""
    temperature = 0.0
    looped: list[str] = []
    for _ in range(REASKS + 1):
        try:
            reply = model.complete(
                ChatRequest(
                    agent="coder",
                    messages=tuple(messages),
                    max_tokens=max_tokens,
                    temperature=temperature,
                )
            )
        except TruncatedReply as exc:  # it looped: ask again, warmer, for a shorter file
            looped.append(str(exc.context.get("content", "")))
            problem = f"the reply ran past {max_tokens} tokens, repeating itself"
            note = prompts.render("code_shorter", limit=max_tokens, path=path)
            messages = [*shared, Message(role="user", content=f"{task}\n\n{note}")]
            temperature = 0.5
            continue
        code = extract_python(reply.content)
        problem = syntax_problem(code, path) or ""
        if not problem:
            return CodedFile(code=code)
        messages += [
            Message(role="assistant", content=reply.content),
            Message(role="user", content=prompts.render("code_reask", problem=problem, path=path)),
        ]
    kept = max((salvage(text) for text in looped), key=len, default="")
    if kept and _defines(kept):
        lines = kept.count("\n")
        return CodedFile(code=kept, salvaged=f"every reply looped; kept the first {lines} lines")
    raise ModelOutputError(
        f"the coder's reply for {path} is still not valid Python: {problem}",
        "try a stronger model (--model); the replies are in the run's llm/ folder",
    )


# what a small model's test files got wrong: data loaded at import (one failure stops every
# test of the file), `pytest.config` (gone since pytest 5), shapes asserted from nowhere
TEST_RULES = (
    "\n\nIn a test file, only imports stand at the top level. Each test makes its own tiny"
    " input (a few rows of numpy arrays, settings from config.yaml's `smoke` section where it"
    " has one), calls the repository's functions and asserts on what they return: a shape"
    " that follows from the input, a finite loss, a value that must hold."
)


def _is_test(path: str) -> bool:
    return path.rsplit("/", 1)[-1].startswith("test_")


def _packages(path: str, planned: list[str]) -> list[str]:
    """What the file may import beyond the standard library: the plan's requirements (numpy
    when it names none), and pytest for a test file."""
    names = list(planned) or ["numpy"]
    if _is_test(path) and "pytest" not in names:
        names.append("pytest")
    return names


def parsing_prefix(code: str) -> str:
    """The longest start of `code` that parses, ending before a top-level definition repeats
    (what is left of a reply that looped)."""
    lines = code.splitlines(keepends=True)
    seen: set[str] = set()
    ends = []
    for number, line in enumerate(lines):
        top = re.match(r"(?:async\s+)?(?:def|class)\s+(\w+)", line)
        if top:
            if top.group(1) in seen:
                lines = lines[:number]
                break
            seen.add(top.group(1))
        if line.strip() and not line[0].isspace():
            ends.append(number)
    for end in [len(lines), *reversed(ends)]:
        candidate = "".join(lines[:end]).rstrip() + "\n"
        if candidate.strip() and syntax_problem(candidate, "x.py") is None:
            return candidate
    return ""


def salvage(reply: str) -> str:
    """What can be kept of a reply that was cut off: its code before any loop, up to where
    it stops parsing."""
    return parsing_prefix(before_loop(unfenced(reply)))


def unfenced(reply: str) -> str:
    """The code of a reply that was cut off, its opening fence never closed."""
    return (
        re.sub(r"^.*?```[\w+-]*[ \t]*\n", "", reply, count=1, flags=re.S)
        if "```" in reply
        else reply
    )


def _defines(code: str) -> bool:
    return bool(re.search(r"^(?:async\s+)?(?:def|class)\s", code, re.M))
