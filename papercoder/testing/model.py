"""A model double in process: replies computed by a function of the request, no HTTP."""

from __future__ import annotations

from collections.abc import Callable

from papercoder.llm.client import ChatReply, ChatRequest, Usage
from papercoder.tokens import estimate_tokens


class FunctionModel:
    """A `ChatModel` whose reply to each request is `reply(request)`; every request is kept
    in `requests`, for assertions."""

    def __init__(self, reply: Callable[[ChatRequest], str], name: str = "function") -> None:
        self._reply = reply
        self._name = name
        self.requests: list[ChatRequest] = []

    @property
    def name(self) -> str:
        return self._name

    def complete(self, request: ChatRequest) -> ChatReply:
        self.requests.append(request)
        content = self._reply(request)
        usage = Usage(
            prompt_tokens=estimate_tokens(request.prompt_text()),
            completion_tokens=estimate_tokens(content),
        )
        return ChatReply(content=content, finish_reason="stop", usage=usage)
