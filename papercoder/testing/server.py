"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for tests and `papercoder demo`.

It serves ``/v1/chat/completions`` and ``/v1/models``. Each request is matched against the
script's rules in order (on the ``X-PaperCoder-Agent`` header, message text and requested
``response_format``); the first rule that matches and still has uses left answers, with
content or a fault. Every request is recorded for assertions.

    python -m papercoder.testing.server --script FILE --port N
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

AGENT_HEADER = "x-papercoder-agent"
STREAM_CHARS = 8  # characters per streamed chunk, about two tokens


class Rule(BaseModel):
    """When a request matches (every given matcher), answer with content or a fault."""

    model_config = ConfigDict(extra="forbid")

    agent: str | None = None
    contains: str | None = Field(default=None, description="substring of any message")
    format: Literal["json_schema", "json_object", "text"] | None = None
    times: int | None = Field(default=None, ge=1, description="uses before the rule is spent")
    content: str | None = None
    content_file: str | None = None
    finish_reason: str = "stop"
    status: int | None = Field(default=None, description="answer with this HTTP error")
    error_message: str = "scripted fault"
    retry_after: float | None = None
    delay: float = Field(default=0.0, ge=0, description="seconds to wait before answering")
    malformed: bool = False
    usage: bool = True
    prompt_cached: int | None = Field(
        default=None, description="report llama.cpp-style timings: this many prompt tokens cached"
    )

    def matches(self, agent: str, text: str, fmt: str) -> bool:
        return (
            (self.agent is None or self.agent == agent)
            and (self.contains is None or self.contains in text)
            and (self.format is None or self.format == fmt)
        )


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = "scripted"
    rules: list[Rule]


def load_script(path: Path) -> Script:
    """A script from YAML or JSON; `content_file` paths are read relative to it."""
    script = Script.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    for rule in script.rules:
        if rule.content_file is not None:
            rule.content = (path.parent / rule.content_file).read_text(encoding="utf-8")
            rule.content_file = None
    return script


class RecordedRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    agent: str
    body: dict[str, Any]
    rule: int | None

    @property
    def text(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.body.get("messages", []))


class ScriptedServer:
    """Runs in a background thread; use as a context manager."""

    def __init__(self, script: Script, port: int = 0) -> None:
        self.script = script
        self.requests: list[RecordedRequest] = []
        self._uses = [0] * len(script.rules)
        self._lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", port), self)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def chat_requests(self, agent: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path.endswith("/chat/completions") and agent in (None, r.agent)
            ]

    def pick(self, path: str, agent: str, body: dict[str, Any]) -> Rule | None:
        text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        fmt = (body.get("response_format") or {}).get("type", "text")
        with self._lock:
            chosen = None
            for index, rule in enumerate(self.script.rules):
                spent = rule.times is not None and self._uses[index] >= rule.times
                if not spent and rule.matches(agent, text, fmt):
                    self._uses[index] += 1
                    chosen = index
                    break
            self.requests.append(RecordedRequest(path=path, agent=agent, body=body, rule=chosen))
        return None if chosen is None else self.script.rules[chosen]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], scripted: ScriptedServer) -> None:
        super().__init__(address, _Handler)
        self.scripted = scripted


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            model = {
                "id": self.server.scripted.script.model,
                "object": "model",
                "owned_by": "scripted",
            }
            self._json(200, {"object": "list", "data": [model]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._json(400, {"error": {"message": "request body is not JSON"}})
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        agent = self.headers.get(AGENT_HEADER, "")
        rule = self.server.scripted.pick(self.path, agent, body)
        if rule is None:
            message = f"scripted server: no rule matches agent {agent!r}"
            self._json(400, {"error": {"message": message, "type": "no_rule"}})
            return
        self._answer(rule, body)

    def _answer(self, rule: Rule, body: dict[str, Any]) -> None:
        if rule.delay:
            time.sleep(rule.delay)
        if rule.status is not None:
            headers = {"Retry-After": f"{rule.retry_after:g}"} if rule.retry_after else {}
            self._json(rule.status, {"error": {"message": rule.error_message}}, headers)
            return
        if rule.malformed:
            self._raw(200, b"<html>502 upstream garbage", "application/json")
            return
        content = rule.content or ""
        prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        payload: dict[str, Any] = {
            "id": "chatcmpl-scripted",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", self.server.scripted.script.model),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": rule.finish_reason,
                }
            ],
        }
        if rule.usage:
            usage = {
                "prompt_tokens": prompt // 4 + 1,
                "completion_tokens": len(content) // 4 + 1,
            }
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            payload["usage"] = usage
            if rule.prompt_cached is not None:
                cached = min(rule.prompt_cached, usage["prompt_tokens"])
                payload["timings"] = {
                    "cache_n": cached,
                    "prompt_n": usage["prompt_tokens"] - cached,
                }
        if body.get("stream"):
            self._stream(payload, content, rule.finish_reason)
        else:
            self._json(200, payload)

    def _stream(self, payload: dict[str, Any], content: str, finish_reason: str) -> None:
        """`payload` as server-sent events, its content STREAM_CHARS at a time, llama.cpp's
        timings with the finish reason and the usage in a last chunk, as OpenAI and llama.cpp
        send them."""
        base = {k: payload[k] for k in ("id", "created", "model")}
        base["object"] = "chat.completion.chunk"
        pieces = [content[i : i + STREAM_CHARS] for i in range(0, len(content), STREAM_CHARS)]
        events = [
            {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            for piece in pieces
        ]
        last = {"index": 0, "delta": {}, "finish_reason": finish_reason}
        timings = {"timings": payload["timings"]} if "timings" in payload else {}
        events.append({**base, "choices": [last], **timings})  # where llama.cpp puts them
        if "usage" in payload:
            events.append({**base, "choices": [], "usage": payload["usage"]})
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for event in [*(f"data: {json.dumps(e)}" for e in events), "data: [DONE]"]:
                data = f"{event}\n\n".encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client stopped reading: it has what it wanted

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(payload).encode("utf-8"), "application/json", headers)

    def _raw(
        self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout): nothing to answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--script", type=Path, required=True)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    with ScriptedServer(load_script(args.script), port=args.port) as server:
        print(f"scripted server at {server.base_url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
