"""Responses cached by request hash, so a rerun or resume pays nothing for answered calls."""

from __future__ import annotations

from pathlib import Path

from papercoder.llm.client import ChatReply
from papercoder.runstore import atomic_write_text


class ResponseCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> ChatReply | None:
        path = self._path(key)
        try:
            return ChatReply.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, reply: ChatReply) -> None:
        atomic_write_text(self._path(key), reply.model_dump_json())
