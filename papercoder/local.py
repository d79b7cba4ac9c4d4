"""A local OpenAI-compatible server for a GGUF model, on 127.0.0.1, with xllamacpp
(llama.cpp's server in a wheel): `papercoder serve` and `--local FILE`.

Install with `pip install 'papercoder[local]'`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from papercoder.errors import EndpointError, InputError, UsageError

GGUF_MAGIC = b"GGUF"
LOCAL_MODEL = "local"


def server_log(runs_dir: Path | None) -> Path:
    """Where a --local server's own log goes: beside the runs when --runs-dir is given, else
    in the per-user state directory (never in the folder being verified)."""
    from papercoder.settings import user_state_dir

    return (runs_dir if runs_dir is not None else user_state_dir()) / "local-server.log"


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
    """Serves `gguf` on 127.0.0.1 while the context is open.

    The server runs in a child process whose output (llama.cpp's own log lines) goes to
    `log` (a temporary file when not given), never to the user's terminal. The child exits
    when its standard input closes, so it cannot outlive PaperCoder, even after a kill -9.
    """

    def __init__(
        self,
        gguf: Path,
        port: int = 0,
        ctx: int = 8192,
        threads: int = 0,
        log: Path | None = None,
    ) -> None:
        self.gguf = check_gguf(gguf)
        self.port = free_port(port)
        self.ctx = ctx
        self.threads = threads
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, ready_timeout: float = 300) -> LocalServer:
        if importlib.util.find_spec("xllamacpp") is None:
            raise UsageError(
                "the local model server is not installed",
                "pip install 'papercoder[local]' (it brings xllamacpp)",
            )
        if self.log is None:
            handle, name = tempfile.mkstemp(prefix="papercoder-local-server-", suffix=".log")
            os.close(handle)
            self.log = Path(name)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "papercoder.local", str(self.gguf), str(self.port)]
        argv += [str(self.ctx), str(self.threads)]
        with self.log.open("ab") as sink:
            self._process = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=sink, stderr=subprocess.STDOUT
            )
        self._wait(ready_timeout)
        return self

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                self.stop()
                raise EndpointError(
                    f"the local model {self.gguf.name} failed to load: {self._last_error()}",
                    f"check the file (a complete GGUF?) and the free memory; log: {self.log}",
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=5):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise EndpointError(
            f"the local model server did not answer within {timeout:g}s",
            f"check the free memory and the server's log: {self.log}",
        )

    def _last_error(self) -> str:
        lines = (self.log.read_text("utf-8", errors="replace") if self.log else "").splitlines()
        errors = [x for x in lines if " E " in x or "error" in x.lower()]
        return (errors or lines or ["no output"])[-1].strip()[:300]

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin:
            process.stdin.close()  # the child's watchdog exits on end of input
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _serve(gguf: str, port: int, ctx: int, threads: int) -> None:
    """The child process: serve until standard input closes (the parent is gone)."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = gguf
    params.model_alias = LOCAL_MODEL
    params.n_ctx = ctx
    params.hostnames = ["127.0.0.1"]
    params.port = port
    if threads:
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
    server: Any = xllamacpp.Server(params)
    sys.stdin.buffer.read()  # blocks until the parent closes the pipe or dies
    del server
    os._exit(0)


def served_settings(server: LocalServer, ctx: int) -> dict[str, object]:
    """The settings that point a run at `server`: its URL and model, sized for `ctx`."""
    return {
        "base_url": server.base_url,
        "model": LOCAL_MODEL,
        "context_tokens": ctx,
        "max_output_tokens": min(2048, ctx // 4),
        "timeout": 600.0,
        "jobs": 1,  # one server slot holds the whole context: calls queue there anyway
    }


def serve_until_interrupted() -> None:
    """Wait until Ctrl-C (the server runs in its own process meanwhile)."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return


@contextlib.contextmanager
def serving(
    gguf: Path | None, ctx: int, runs_dir: Path | None, say: Callable[[str], None]
) -> Iterator[dict[str, object]]:
    """Settings that point at the GGUF model `gguf` served for the duration, or none when
    None. The server's own log goes to local-server.log in the runs directory (`say` tells
    where), never to the terminal."""
    if gguf is None:
        yield {}
        return
    log = server_log(runs_dir)
    say(f"starting the local model {gguf.name} on 127.0.0.1 (log: {log}) ...")
    with LocalServer(gguf, ctx=ctx, log=log) as server:
        yield served_settings(server, ctx)


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
