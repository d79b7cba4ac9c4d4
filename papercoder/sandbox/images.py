"""Sandbox images: the check-tool image (tagged by the content of ``sandbox/``) and one
dependency image per requirements hash, both built offline from wheels the host's pip resolved.

The host's pip reads its own configuration (index, proxy, certificates, local wheel folders);
nothing here names a registry.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import requests
from docker import DockerClient

from papercoder.errors import SandboxError
from papercoder.resources import data_dir
from papercoder.runstore import atomic_write_text
from papercoder.sandbox.engine import CONTAINER_LABEL

SANDBOX_FILES = (
    "Dockerfile",
    "runner.py",
    "mypy.ini",
    "tools.txt",
    "lifetime.py",
    "pytest_main.py",
    "sitecustomize.py",
)
SANDBOX_REPO = "papercoder-sandbox"
DEPS_REPO = "papercoder-deps"
LABEL = "papercoder.image"

_NOT_FOUND = re.compile(
    r"(?:No matching distribution found for|satisfies the requirement)\s+([^\s(]+)", re.I
)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "papercoder"


@dataclass(frozen=True)
class Platform:
    """What the container's Python accepts, so the host's pip picks the right wheels."""

    python: tuple[int, int]
    glibc: tuple[int, int]
    machine: str

    def pip_args(self) -> list[str]:
        major, minor = self.python
        tags = [f"manylinux_2_{m}_{self.machine}" for m in range(self.glibc[1], 16, -1)]
        if self.glibc >= (2, 17):
            tags.append(f"manylinux2014_{self.machine}")
        args = [
            "--only-binary=:all:",
            "--python-version",
            f"{major}.{minor}",
            "--implementation",
            "cp",
            "--abi",
            f"cp{major}{minor}",
        ]
        for tag in tags:
            args += ["--platform", tag]
        return args


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def image_exists(client: DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def sandbox_tag(client: DockerClient, base_image: str) -> str:
    """The tag of the sandbox image: content of sandbox/ and the base image's id."""
    folder = data_dir("sandbox")
    base_id = client.images.get(base_image).id or base_image
    parts = [(folder / name).read_bytes() for name in SANDBOX_FILES]
    return f"{SANDBOX_REPO}:{digest(base_id, *parts)}"


def pip_download(
    requirements: Path, dest: Path, platform: Platform, constraints: Path | None, extra: list[str]
) -> tuple[bool, str]:
    """Resolve `requirements` into wheels for `platform` with the host's own pip."""
    argv = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--dest",
        str(dest),
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
        *platform.pip_args(),
        "-r",
        str(requirements),
    ]
    if constraints is not None:
        argv += ["-c", str(constraints)]
    done = subprocess.run([*argv, *extra], capture_output=True, text=True, check=False)
    noise = "WARNING: Location"
    log = "\n".join(
        line for line in (done.stdout + done.stderr).splitlines() if not line.startswith(noise)
    )
    return done.returncode == 0, f"$ pip download -r requirements.txt\n{log}"


def failed_requirement(log: str) -> str | None:
    match = _NOT_FOUND.search(log)
    return match.group(1).rstrip(",;") if match else None


def build(
    client: DockerClient, context: Path, tag: str, buildargs: dict[str, str], log_path: Path
) -> tuple[bool, str]:
    """Build `context` with the network off; the log is kept at `log_path`."""
    lines: list[str] = []
    ok = True
    try:
        stream = client.api.build(
            path=str(context),
            tag=tag,
            buildargs=buildargs,
            network_mode="none",
            rm=True,
            forcerm=True,
            decode=True,
            labels={LABEL: tag.split(":")[0]},
        )
        for chunk in stream:
            ok = _consume(chunk, lines) and ok
    except docker.errors.DockerException as exc:
        lines.append(f"error: {exc}")
        ok = False
    log = "".join(lines)
    atomic_write_text(log_path, log)
    return ok, log


def _consume(chunk: dict[str, Any], lines: list[str]) -> bool:
    if "stream" in chunk:
        lines.append(str(chunk["stream"]))
    if "error" in chunk or "errorDetail" in chunk:
        lines.append(f"error: {chunk.get('error') or chunk.get('errorDetail')}\n")
        return False
    return True


def build_sandbox_image(client: DockerClient, base_image: str, tag: str) -> None:
    """Build the check-tool image `tag` from `base_image`; `SandboxError` with the log path."""
    folder = data_dir("sandbox")
    cache = cache_root()
    log_path = cache / "logs" / f"build-{tag.replace(':', '-')}.log"
    with tempfile.TemporaryDirectory(prefix="papercoder-ctx-") as tmp:
        context = Path(tmp)
        for name in SANDBOX_FILES:
            shutil.copy2(folder / name, context / name)
        wheels = context / "wheels"
        wheels.mkdir()
        platform = probe_platform(client, base_image)
        ok, log = pip_download(folder / "tools.txt", wheels, platform, None, [])
        if not ok:
            atomic_write_text(log_path, log)
            raise SandboxError(
                "could not fetch the sandbox's check tools with the host's pip",
                f"check pip's configuration and network; log: {log_path}",
            )
        ok, _ = build(client, context, tag, {"BASE_IMAGE": base_image}, log_path)
    if not ok:
        raise SandboxError(f"building the sandbox image {tag} failed", f"see the log: {log_path}")


_PROBE = (
    "import platform, sys; v = platform.libc_ver()[1] or '2.17';"
    "print(sys.version_info[0], sys.version_info[1], *v.split('.')[:2], platform.machine())"
)


def probe_platform(client: DockerClient, image: str) -> Platform:
    """Ask the image's own Python what it is."""
    container = None
    try:
        container = client.containers.create(
            image,
            ["python3", "-c", _PROBE],
            network_mode="none",
            user="65534",
            labels={CONTAINER_LABEL: "probe"},
        )
        container.start()
        status = container.wait(timeout=60).get("StatusCode")
        raw = container.logs(stdout=True, stderr=False)
        if status != 0:
            raise docker.errors.DockerException(f"exit {status}")
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise SandboxError(
            f"cannot run python3 in the image {image}: {exc}",
            "use a base image with python3 (sandbox/build-base-image.sh builds one)",
        ) from exc
    finally:
        if container is not None:
            container.remove(force=True)
    major, minor, gmajor, gminor, machine = raw.decode().split()
    return Platform((int(major), int(minor)), (int(gmajor), int(gminor)), machine)
