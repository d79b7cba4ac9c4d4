"""A local OpenAI-compatible server for a GGUF model, on 127.0.0.1, with xllamacpp
(llama.cpp's server in a wheel): `papercoder serve` and `--local FILE`.

Install with `pip install 'papercoder[local]'`.
"""

from __future__ import annotations

import gc
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from papercoder.errors import EndpointError, InputError, UsageError

GGUF_MAGIC = b"GGUF"
LOCAL_MODEL = "local"


def check_gguf(path: Path) -> Path:
    if not path.is_file():
        raise InputError(f"model file {path} does not exist", "pass the path of a .gguf file")
    with path.open("rb") as handle:
        if handle.read(4) != GGUF_MAGIC:
            raise InputError(
                f"{path} is not a GGUF model (no GGUF header)", "pass a llama.cpp .gguf file"
            )
    return path


def free_port(port: int) -> int:
    """`port` if it can be bound on 127.0.0.1 (0: any free one), else a usage error."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UsageError(
                f"port {port} on 127.0.0.1 is busy ({exc.strerror})",
                "pass another --port, or stop what listens there",
            ) from exc
        return int(probe.getsockname()[1])


class LocalServer:
    """Serves `gguf` on 127.0.0.1 while the context is open."""

    def __init__(self, gguf: Path, port: int = 0, ctx: int = 8192, threads: int = 0) -> None:
        self.gguf = check_gguf(gguf)
        self.port = free_port(port)
        self.ctx = ctx
        self.threads = threads
        self._server: Any = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, ready_timeout: float = 300) -> LocalServer:
        try:
            import xllamacpp
        except ImportError as exc:
            raise UsageError(
                "the local model server is not installed",
                "pip install 'papercoder[local]' (it brings xllamacpp)",
            ) from exc
        params = xllamacpp.CommonParams()
        params.model.path = str(self.gguf)
        params.model_alias = LOCAL_MODEL
        params.n_ctx = self.ctx
        params.hostnames = ["127.0.0.1"]
        params.port = self.port
        if self.threads:
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:
            raise EndpointError(
                f"the local model {self.gguf.name} failed to load ({exc})",
                "check the file (a complete GGUF?) and the free memory",
            ) from exc
        self._wait(ready_timeout)
        return self

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=5):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise EndpointError(
            f"the local model server did not answer within {timeout:g}s",
            "check the free memory and the server's log above",
        )

    def stop(self) -> None:
        self._server = None
        gc.collect()  # the server stops when its object is destroyed

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
