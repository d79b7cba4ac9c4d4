"""The `Sandbox` seam: install a repo's dependencies, run a command on a copy of the repo."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    """Resource limits of every check container."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    memory_mb: int = Field(default=2048, ge=64)
    pids: int = Field(default=256, ge=16)
    cpus: float = Field(default=1.0, gt=0)
    tmpfs_mb: int = Field(default=512, ge=16)
    output_head: int = Field(default=64 * 1024, ge=1024, description="bytes of output kept")
    output_tail: int = Field(default=64 * 1024, ge=1024, description="bytes of output kept")


class RunResult(BaseModel):
    """What one command in the sandbox did."""

    model_config = ConfigDict(extra="forbid")

    exit_code: int | None
    output: str
    output_bytes: int
    timed_out: bool = False
    timeout_s: float | None = Field(default=None, description="the limit it ran under")
    oom: bool = False
    memory_mb: int | None = Field(default=None, description="the memory limit it ran under")
    duration_s: float = 0.0
    files: dict[str, str] = Field(default_factory=dict, description="the runner's results")


class InstallResult(BaseModel):
    """The image a repo's checks run in, or why its requirements could not be installed."""

    model_config = ConfigDict(extra="forbid")

    image: str | None = Field(description="the image with the repo's dependencies, if installed")
    tools_image: str = Field(description="the check-tool image, for checks that need no deps")
    log: str = ""
    reused: bool = False
    failed_requirement: str | None = None
    declared_in: str | None = Field(default=None, description="the file declaring them")
    duration_s: float = 0.0


class Session(Protocol):
    """Commands on one copy of a repo; each command sees the repo as it was copied in."""

    def run(self, argv: list[str], timeout: float, prepare_next: bool = True) -> RunResult: ...


class Sandbox(Protocol):
    def install(self, repo: Path) -> InstallResult: ...

    def session(self, image: str, repo: Path) -> AbstractContextManager[Session]: ...
