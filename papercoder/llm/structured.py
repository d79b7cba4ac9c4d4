"""Structured output: a reply validated by a pydantic model.

Three ways to ask, chosen by the `structured_mode` setting: a ``response_format`` JSON schema,
JSON mode, or a fenced ``json`` block. When the endpoint refuses a mode, the next one is used
(and remembered). An invalid reply is asked again with the validation error, a bounded number
of times, then `ModelOutputError` names the field at fault.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from papercoder import prompts
from papercoder.errors import ModelOutputError
from papercoder.llm.client import ChatModel, ChatRequest, Message, ResponseFormatRejected
from papercoder.settings import StructuredMode

T = TypeVar("T", bound=BaseModel)

_MODES: tuple[StructuredMode, ...] = ("json_schema", "json_object", "fenced")
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.DOTALL)


def extract_json(text: str) -> Any:
    """The JSON value in `text`: the whole reply, a fenced block, or the outermost object."""
    candidates = [text.strip(), *(m.group(1) for m in _FENCE.finditer(text))]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            error = error or exc
    raise ValueError(f"the reply is not JSON ({error.msg if error else 'empty reply'})")


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"field '{where}': {err['msg']}")
    return "; ".join(parts)


class StructuredClient:
    """Asks a `ChatModel` for a reply that validates against a pydantic model."""

    def __init__(self, model: ChatModel, mode: StructuredMode = "json_schema", reasks: int = 1):
        self.model = model
        self._mode_index = _MODES.index(mode)
        self._reasks = reasks
        self._lock = threading.Lock()

    @property
    def mode(self) -> StructuredMode:
        return _MODES[self._mode_index]

    def ask(
        self,
        agent: str,
        messages: list[Message],
        schema: type[T],
        max_tokens: int = 4096,
        json_schema: dict[str, Any] | None = None,
        temperature: float = 0.0,
    ) -> T:
        """A reply validated by `schema`; `json_schema` (default: the schema's own) is what the
        endpoint is asked to enforce, e.g. with enums the validation leaves lenient.
        `temperature` above zero is for sampling several independent answers."""
        history = list(messages)
        problem = ""
        sent = json_schema or schema.model_json_schema()
        for _ in range(self._reasks + 1):
            content = self._send(agent, history, schema.__name__, sent, max_tokens, temperature)
            try:
                return schema.model_validate(extract_json(content))
            except ValidationError as exc:
                problem = describe_validation_error(exc)
            except ValueError as exc:
                problem = str(exc)
            history += [
                Message(role="assistant", content=content),
                Message(role="user", content=prompts.render("reask_invalid", error=problem)),
            ]
        raise ModelOutputError(
            f"the {agent} reply did not fit {schema.__name__} after {self._reasks + 1} attempts:"
            f" {problem}",
            "try a stronger model (--model), or --structured-mode fenced for weak JSON models",
        )

    def _send(
        self,
        agent: str,
        history: list[Message],
        name: str,
        schema: dict[str, Any],
        limit: int,
        temperature: float = 0.0,
    ) -> str:
        while True:
            mode = self.mode
            request = ChatRequest(
                agent=agent,
                messages=(*history[:-1], self._with_format(history[-1], schema, mode)),
                max_tokens=limit,
                temperature=temperature,
                response_format=_response_format(name, schema, mode),
            )
            try:
                return self.model.complete(request).content
            except ResponseFormatRejected:
                with self._lock:
                    if self._mode_index == len(_MODES) - 1:
                        raise
                    if self.mode == mode:
                        self._mode_index += 1

    @staticmethod
    def _with_format(last: Message, schema: dict[str, Any], mode: StructuredMode) -> Message:
        text = json.dumps(schema, indent=1, sort_keys=True)
        template = "format_fenced" if mode == "fenced" else "format_json"
        instruction = prompts.render(template, schema=text)
        return Message(role=last.role, content=f"{last.content}\n\n{instruction}")


def _response_format(
    name: str, schema: dict[str, Any], mode: StructuredMode
) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
    if mode == "json_object":
        return {"type": "json_object"}
    return None
