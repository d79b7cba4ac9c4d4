"""Output capped at a head and a tail, with the cut marked: gigabytes printed cost kilobytes."""

from __future__ import annotations


class CappedOutput:
    def __init__(self, head: int, tail: int) -> None:
        self._head_cap = head
        self._tail_cap = tail
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def write(self, data: bytes) -> None:
        self.total += len(data)
        room = self._head_cap - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            if len(self._tail) > 2 * self._tail_cap:
                del self._tail[: len(self._tail) - self._tail_cap]

    def text(self) -> str:
        tail = bytes(self._tail[-self._tail_cap :])
        cut = self.total - len(self._head) - len(tail)
        middle = f"\n[... {cut} bytes cut by papercoder ...]\n".encode() if cut > 0 else b""
        return (bytes(self._head) + middle + tail).decode("utf-8", "replace")
