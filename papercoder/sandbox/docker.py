"""`DockerSandbox`: each check in a fresh container with the network off, a read-only root,
a non-root user, no capabilities, and limits on memory, processes, CPU, time and output.

Files go in through the Docker API (a tar streamed into ``tar -x`` by an exec, since
``put_archive`` refuses a read-only root), so a remote ``DOCKER_HOST`` works the same.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import socket
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
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
CONTAINER_LABEL = "papercoder.sandbox"


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


def read_frames(raw: socket.socket) -> Iterator[bytes]:
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
            yield pending[8 : 8 + size]
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

    def run(self, image: str, repo: Path, argv: list[str], timeout: float) -> RunResult:
        """Run `argv` in /work holding a copy of `repo`; killed after `timeout` seconds."""
        archive = repo_tar(repo)
        started = time.monotonic()
        container = self._create(image)
        try:
            container.start()
            self._upload(container, archive)
            output, exit_code, timed_out = self._exec(container, argv, timeout)
            collected = {} if timed_out else self._collect(container)
            oom = bool(collected.get("oom")) or (exit_code == 137 and not timed_out)
            files = collected.get("files", {})
            return RunResult(
                exit_code=None if timed_out else exit_code,
                output=output.text(),
                output_bytes=output.total,
                timed_out=timed_out,
                oom=oom and not timed_out,
                duration_s=time.monotonic() - started,
                files=files if isinstance(files, dict) else {},
            )
        finally:
            self._remove(container)

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
                labels={CONTAINER_LABEL: "check"},
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
    ) -> tuple[CappedOutput, int | None, bool]:
        output = CappedOutput(self.limits.output_head, self.limits.output_tail)
        exec_id, conn = self._open_exec(container, argv, stdin=False)

        def drain() -> None:
            try:
                for payload in read_frames(conn.raw):
                    output.write(payload)
            except OSError:
                pass  # the container was killed under us: the timeout path

        with conn:
            reader = threading.Thread(target=drain, daemon=True)
            reader.start()
            reader.join(timeout)
            timed_out = reader.is_alive()
            if timed_out:
                self._kill(container)
                reader.join(10)
                return output, None, True
        return output, self._client.api.exec_inspect(exec_id).get("ExitCode"), False

    def _collect(self, container: Container) -> dict[str, Any]:
        result = container.exec_run(["python3", "/opt/papercoder/runner.py", "collect"])
        raw = result.output if isinstance(result.output, bytes) else b""
        try:
            data = json.loads(raw.decode("utf-8", "replace").strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {}
        return data if isinstance(data, dict) else {}

    def _kill(self, container: Container) -> None:
        with contextlib.suppress(docker.errors.APIError):
            container.kill()

    def _remove(self, container: Container) -> None:
        try:
            container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if "in progress" not in str(exc):
                raise
