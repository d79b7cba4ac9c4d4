"""Connecting to the Docker engine (honours ``DOCKER_HOST``), with errors that say how to fix it."""

from __future__ import annotations

import os
import socket

import docker
import docker.errors
import requests
from docker import DockerClient

from papercoder.errors import SandboxError

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
BASE_IMAGE = "papercoder-base:bookworm"
PUBLIC_BASE_IMAGE = "python:3.11-slim"
CONTAINER_LABEL = "papercoder.sandbox"  # on every container PaperCoder starts

START_HINT = (
    "start the engine (as root: `dockerd --bridge=none --iptables=false &`, or run ./scripts/setup)"
    " or point DOCKER_HOST at one"
)


def connect(timeout: int = 120) -> DockerClient:
    """A client for the engine named by the environment; `SandboxError` when it is not there."""
    host = os.environ.get("DOCKER_HOST", DEFAULT_SOCKET)
    if host.startswith("unix://"):
        _probe_unix_socket(host.removeprefix("unix://"))
    try:
        client = docker.from_env(timeout=timeout)
    except docker.errors.DockerException as exc:
        raise SandboxError(
            f"no Docker engine answers at {host} ({_short(exc)})", START_HINT
        ) from exc
    try:
        client.ping()
    except (docker.errors.DockerException, requests.RequestException) as exc:
        client.close()
        raise SandboxError(
            f"no Docker engine answers at {host} ({_short(exc)})", START_HINT
        ) from exc
    return client


def _probe_unix_socket(path: str) -> None:
    """Fail fast, and without the socket leak docker-py has on a dead unix socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(5)
        try:
            probe.connect(path)
        except OSError as exc:
            raise SandboxError(
                f"no Docker engine answers at unix://{path} ({exc.strerror or exc})", START_HINT
            ) from exc


def local_base_image(client: DockerClient) -> str | None:
    """The first base image present locally: the offline one, then the public one."""
    for name in (BASE_IMAGE, PUBLIC_BASE_IMAGE):
        try:
            client.images.get(name)
            return name
        except docker.errors.ImageNotFound:
            continue
    return None


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) < 160 else text[:157] + "..."
