"""The coding agent: one file per call, seeing the interfaces of the files it imports; a reply
that is not valid Python is asked again with the syntax error."""

from __future__ import annotations

import re

from papercoder import prompts
from papercoder.errors import ModelOutputError
from papercoder.llm.client import ChatModel, ChatRequest, Message
from papercoder.llm.gateway import TruncatedReply
from papercoder.repo import syntax_problem

REASKS = 2
_FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.S)


def extract_python(reply: str) -> str:
    """The code in the reply: its (largest) fenced block, or the whole reply."""
    blocks = _FENCE.findall(reply)
    if blocks:
        return str(max(blocks, key=len)).strip("\n") + "\n"
    return reply.strip("\n") + "\n"


def code_file(
    model: ChatModel,
    shared: list[Message],
    path: str,
    analysis: str,
    interfaces: str,
    max_tokens: int,
) -> str:
    task = prompts.render(
        "code_file",
        path=path,
        analysis=analysis,
        interfaces=interfaces or "(it imports no repository file)",
    )
    messages = [*shared, Message(role="user", content=task)]
    problem = ""
    temperature = 0.0
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
        except TruncatedReply:  # it looped: ask again, warmer, for a shorter file
            problem = f"the reply ran past {max_tokens} tokens, repeating itself"
            note = prompts.render("code_reask", problem=problem, path=path)
            messages = [
                *messages[: len(shared) + 1],
                Message(role="user", content=task + "\n\n" + note),
            ]
            temperature = 0.5
            continue
        code = extract_python(reply.content)
        problem = syntax_problem(code, path) or ""
        if not problem:
            return code
        messages += [
            Message(role="assistant", content=reply.content),
            Message(role="user", content=prompts.render("code_reask", problem=problem, path=path)),
        ]
    raise ModelOutputError(
        f"the coder's reply for {path} is still not valid Python: {problem}",
        "try a stronger model (--model); the replies are in the run's llm/ folder",
    )
