"""`DockerSandbox`: each check in a fresh container with the network off, a read-only root,
a non-root user, no capabilities, and limits on memory, processes, CPU, time and output.

Files go in through the Docker API (a tar streamed into ``tar -x`` by an exec, since
``put_archive`` refuses a read-only root), so a remote ``DOCKER_HOST`` works the same.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import socket
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker.errors
from docker import DockerClient
from docker.models.containers import Container
from docker.types import LogConfig

from papercoder.errors import InputError, SandboxError
from papercoder.resources import data_dir
from papercoder.sandbox import engine, images
from papercoder.sandbox.output import CappedOutput
from papercoder.sandbox.protocol import InstallResult, Limits, RunResult

USER = "10001:10001"
SKIP_PARTS = {".git", "__pycache__", ".venv", "venv", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
CONTAINER_LABEL = engine.CONTAINER_LABEL
RESULTS_CAP = 16 * 1024 * 1024
PID_LABEL = "papercoder.pid"
HOST_LABEL = "papercoder.host"


def _alive(pid: str) -> bool:
    if not pid.isdigit():
        return True  # not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def repo_tar(repo: Path) -> bytes:
    """The repo as a tar archive, without VCS data, caches and virtual environments."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in sorted(repo.rglob("*")):
            relative = path.relative_to(repo)
            if SKIP_PARTS.intersection(relative.parts) or path.suffix == ".pyc":
                continue
            archive.add(path, arcname=str(relative), recursive=False)
    return buffer.getvalue()


def normalise_requirements(text: str) -> tuple[list[str], str | None]:
    """Requirement lines without comments; the first line the sandbox cannot install offline."""
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-") or "://" in line or line.startswith((".", "/")):
            return lines, line
        lines.append(line)
    return lines, None


def read_frames(raw: socket.socket) -> Iterator[tuple[int, bytes]]:
    """Payloads of Docker's multiplexed stream (8-byte header: kind, 0, 0, 0, big-endian size)."""
    pending = b""
    while True:
        data = raw.recv(1 << 16)
        if not data:
            return
        pending += data
        while len(pending) >= 8:
            size = int.from_bytes(pending[4:8], "big")
            if len(pending) < 8 + size:
                break
            yield pending[0], pending[8 : 8 + size]
            pending = pending[8 + size :]


class _Closing:
    """Closes both docker-py's socket wrapper and the socket under it (it leaks otherwise)."""

    def __init__(self, wrapper: Any, raw: socket.socket) -> None:
        self.wrapper = wrapper
        self.raw = raw

    def __enter__(self) -> _Closing:
        return self

    def __exit__(self, *exc: object) -> None:
        for part in (self.wrapper, self.raw):
            with contextlib.suppress(OSError):
                part.close()


def _parse_results(text: str, output: CappedOutput) -> dict[str, Any]:
    """The runner's JSON results; anything else it wrote to stderr joins the log."""
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        output.write(f"\n[sandbox runner stderr]\n{text}".encode())
        return {}
    return data if isinstance(data, dict) else {}


class DockerSession:
    """Runs commands on one copy of a repo, each in a fresh container. The next container is
    prepared (created, started, repo copied in) while the current command runs, and used ones
    are removed in the background: the checks, not Docker, set the pace."""

    def __init__(self, box: DockerSandbox, image: str, archive: bytes) -> None:
        self._box = box
        self._image = image
        self._archive = archive
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="papercoder-sandbox")
        self._next: Future[Container] | None = self._prepare()
        self._removals: list[Future[None]] = []

    def _prepare(self) -> Future[Container]:
        return self._pool.submit(self._box.prepare, self._image, self._archive)

    def run(self, argv: list[str], timeout: float, prepare_next: bool = True) -> RunResult:
        pending = self._next  # kept until taken, so close() removes it even on Ctrl-C
        container = pending.result() if pending else self._box.prepare(self._image, self._archive)
        self._next = None
        if prepare_next:
            self._next = self._prepare()
        try:
            return self._box.execute(container, argv, timeout)
        finally:
            self._removals.append(self._pool.submit(self._box.remove, container))

    def close(self) -> None:
        if self._next is not None:
            with contextlib.suppress(Exception):
                self._box.remove(self._next.result())
        for removal in self._removals:
            with contextlib.suppress(Exception):
                removal.result()
        self._pool.shutdown(wait=True)


class DockerSandbox:
    def __init__(
        self,
        client: DockerClient | None = None,
        *,
        base_image: str | None = None,
        limits: Limits | None = None,
        constraints: Path | None = None,
        pip_args: tuple[str, ...] = (),
    ) -> None:
        self._client = client or engine.connect()
        self._base_image = base_image
        self.limits = limits or Limits()
        self._constraints = constraints
        self._pip_args = list(pip_args)
        self._image: str | None = None
        self.built_images: list[str] = []
        self.sweep_orphans()

    def sweep_orphans(self) -> int:
        """Remove check containers left by PaperCoder processes that died (e.g. SIGKILL)."""
        host = socket.gethostname()
        removed = 0
        for container in self._client.containers.list(all=True, filters={"label": CONTAINER_LABEL}):
            labels = container.labels or {}
            if labels.get(HOST_LABEL) != host or _alive(labels.get(PID_LABEL, "")):
                continue
            with contextlib.suppress(docker.errors.APIError):
                container.remove(force=True)
                removed += 1
        return removed

    def close(self) -> None:
        self._client.close()

    def ensure_image(self) -> str:
        """The sandbox image, built once per content of ``sandbox/`` and reused."""
        if self._image is not None:
            return self._image
        base = self._base_image or engine.local_base_image(self._client)
        if base is None:
            raise SandboxError(
                f"no sandbox base image ({engine.BASE_IMAGE} or {engine.PUBLIC_BASE_IMAGE})",
                "build one offline: sudo sandbox/build-base-image.sh",
            )
        if not images.image_exists(self._client, base):
            raise SandboxError(f"base image {base} is not present", "pull or build it first")
        tag = images.sandbox_tag(self._client, base)
        if not images.image_exists(self._client, tag):
            images.build_sandbox_image(self._client, base, tag)
            self.built_images.append(tag)
        self._image = tag
        return tag

    def install(self, repo: Path) -> InstallResult:
        started = time.monotonic()
        sandbox = self.ensure_image()
        path = repo / "requirements.txt"
        if not path.exists():
            return InstallResult(
                image=sandbox, tools_image=sandbox, reused=True, log="no requirements.txt"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"cannot read {path}: {exc}", "make it a readable UTF-8 text file"
            ) from exc
        lines, bad = normalise_requirements(text)
        if bad is not None:
            return InstallResult(
                image=None,
                tools_image=sandbox,
                failed_requirement=bad,
                log=f"requirements.txt line {bad!r} cannot be installed offline in the sandbox:"
                " use plain requirement specifiers (name, extras, version, markers)",
            )
        if not lines:
            return InstallResult(
                image=sandbox, tools_image=sandbox, reused=True, log="requirements.txt is empty"
            )
        result = self._dependency_image(sandbox, lines)
        return result.model_copy(update={"duration_s": time.monotonic() - started})

    def _dependency_image(self, sandbox: str, lines: list[str]) -> InstallResult:
        constraints = self._constraints.read_text(encoding="utf-8") if self._constraints else ""
        requirements = "\n".join(lines) + "\n"
        tag = f"{images.DEPS_REPO}:" + images.digest(
            sandbox, requirements, constraints, *self._pip_args
        )
        if images.image_exists(self._client, tag):
            return InstallResult(
                image=tag, tools_image=sandbox, reused=True, log=f"reused {tag}\n{requirements}"
            )
        with tempfile.TemporaryDirectory(prefix="papercoder-deps-") as tmp:
            context = Path(tmp)
            shutil.copy2(data_dir("sandbox") / "deps.Dockerfile", context / "Dockerfile")
            (context / "requirements.txt").write_text(requirements, encoding="utf-8")
            (context / "constraints.txt").write_text(constraints, encoding="utf-8")
            (context / "wheels").mkdir()
            platform = images.probe_platform(self._client, sandbox)
            ok, log = images.pip_download(
                context / "requirements.txt",
                context / "wheels",
                platform,
                context / "constraints.txt",
                self._pip_args,
            )
            if not ok:
                return InstallResult(
                    image=None,
                    tools_image=sandbox,
                    log=log,
                    failed_requirement=images.failed_requirement(log),
                )
            log_path = images.cache_root() / "logs" / f"build-{tag.replace(':', '-')}.log"
            ok, build_log = images.build(
                self._client, context, tag, {"SANDBOX_IMAGE": sandbox}, log_path
            )
        self.built_images.append(tag)
        return InstallResult(
            image=tag if ok else None, tools_image=sandbox, log=f"{log}\n{build_log}"
        )

    @contextlib.contextmanager
    def session(self, image: str, repo: Path) -> Iterator[DockerSession]:
        """Commands on one copy of `repo` in `image`, each in a fresh container."""
        session = DockerSession(self, image, repo_tar(repo))
        try:
            yield session
        finally:
            session.close()

    def run(self, image: str, repo: Path, argv: list[str], timeout: float) -> RunResult:
        """Run `argv` in /work holding a copy of `repo`; killed after `timeout` seconds."""
        with self.session(image, repo) as session:
            return session.run(argv, timeout, prepare_next=False)

    def prepare(self, image: str, archive: bytes) -> Container:
        """A started container with the repo copied into /work, waiting for a command."""
        container = self._create(image)
        try:
            container.start()
            self._upload(container, archive)
        except BaseException:
            self.remove(container)
            raise
        return container

    def execute(self, container: Container, argv: list[str], timeout: float) -> RunResult:
        started = time.monotonic()
        output, results, exit_code, timed_out = self._exec(container, argv, timeout)
        oom = bool(results.get("oom")) or exit_code == 137
        files = results.get("files", {})
        return RunResult(
            exit_code=exit_code,
            output=output.text(),
            output_bytes=output.total,
            timed_out=timed_out,
            oom=oom and not timed_out,
            duration_s=time.monotonic() - started,
            files=files if isinstance(files, dict) else {},
        )

    def _create(self, image: str) -> Container:
        limits = self.limits
        memory = f"{limits.memory_mb}m"
        try:
            return self._client.containers.create(
                image,
                ["sleep", "infinity"],
                init=True,
                user=USER,
                working_dir="/work",
                network_mode="none",
                read_only=True,
                tmpfs={
                    "/work": f"size={limits.tmpfs_mb}m,uid=10001,gid=10001,mode=0755",
                    "/tmp": f"size={limits.tmpfs_mb}m,mode=1777",
                },
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                pids_limit=limits.pids,
                mem_limit=memory,
                memswap_limit=memory,
                nano_cpus=int(limits.cpus * 1e9),
                environment={"PYTHONPATH": "/work", "PAPERCODER_SMOKE": "1"},
                log_config=LogConfig(type=LogConfig.types.NONE),
                labels={
                    CONTAINER_LABEL: "check",
                    PID_LABEL: str(os.getpid()),
                    HOST_LABEL: socket.gethostname(),
                },
            )
        except docker.errors.DockerException as exc:
            raise SandboxError(
                f"cannot create a sandbox container: {exc}", engine.START_HINT
            ) from exc

    def _open_exec(self, container: Container, argv: list[str], stdin: bool) -> tuple[str, Any]:
        """Start an exec and return its id and raw socket (closed by the caller)."""
        api = self._client.api
        exec_id = api.exec_create(container.id, argv, stdin=stdin, stdout=True, stderr=True)["Id"]
        wrapper: Any = api.exec_start(exec_id, socket=True)
        raw = getattr(wrapper, "_sock", wrapper)
        return exec_id, _Closing(wrapper, raw)

    def _upload(self, container: Container, archive: bytes) -> None:
        exec_id, conn = self._open_exec(container, ["tar", "-x", "-C", "/work"], stdin=True)
        with conn:
            conn.raw.sendall(archive)
            conn.raw.shutdown(socket.SHUT_WR)
            while conn.raw.recv(65536):
                pass
        code = self._client.api.exec_inspect(exec_id).get("ExitCode")
        if code != 0:
            raise SandboxError(
                f"copying the repo into the sandbox failed (tar exit {code})",
                "check the repo's size against the sandbox's tmpfs limit",
            )

    def _exec(
        self, container: Container, argv: list[str], timeout: float
    ) -> tuple[CappedOutput, dict[str, Any], int | None, bool]:
        """Output (capped), the runner's results (from stderr), exit code, timed out."""
        output = CappedOutput(self.limits.output_head, self.limits.output_tail)
        results = CappedOutput(RESULTS_CAP, 1024)
        exec_id, conn = self._open_exec(container, argv, stdin=False)

        def drain() -> None:
            try:
                for kind, payload in read_frames(conn.raw):
                    (results if kind == 2 else output).write(payload)
            except OSError:
                pass  # the container was killed under us: the timeout path

        with conn:
            reader = threading.Thread(target=drain, daemon=True)
            reader.start()
            reader.join(timeout)
            if reader.is_alive():
                self._kill(container)
                reader.join(10)
                return output, {}, None, True
        exit_code = self._client.api.exec_inspect(exec_id).get("ExitCode")
        return output, _parse_results(results.text(), output), exit_code, False

    def _kill(self, container: Container) -> None:
        with contextlib.suppress(docker.errors.APIError):
            container.kill()

    def remove(self, container: Container) -> None:
        try:
            container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if "in progress" not in str(exc):
                raise
