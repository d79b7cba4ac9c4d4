"""The run directory (DESIGN.md §4): atomic writes, a manifest with stage states, the call log.

A run killed at any moment resumes from what is on disk: every file is written to a
temporary name and renamed into place, so a reader sees the old file or the new one,
never half of one. The call log is append-only JSON lines; a torn last line is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from papercoder import __version__
from papercoder.errors import InputError
from papercoder.settings import Settings

M = TypeVar("M", bound=BaseModel)

MANIFEST = "manifest.json"
CALLS = "llm/calls.jsonl"
CACHE = "llm/cache"
STEP_PREFIX = "iter-"
Step = Literal["verify", "repair"]


def step_dir(root: Path, step: Step, iteration: int) -> Path:
    """The folder of one iteration's verification or repair: the one place its name is made."""
    return root / step / f"{STEP_PREFIX}{iteration:03d}"


def verified_iterations(root: Path) -> list[int]:
    """The iterations of the run at `root` whose verification wrote its report, in order."""
    return sorted(
        int(folder.name.removeprefix(STEP_PREFIX))
        for folder in (root / "verify").glob(f"{STEP_PREFIX}*")
        if (folder / "report.json").is_file() and folder.name.removeprefix(STEP_PREFIX).isdigit()
    )


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers never see a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class StageState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class InputRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    sha256: str


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: str
    created: float
    papercoder_version: str = __version__
    inputs: dict[str, InputRecord] = Field(default_factory=dict)
    settings: Settings = Field(default_factory=Settings, description="no secrets")
    stages: dict[str, StageState] = Field(default_factory=dict)
    tool_versions: dict[str, str] = Field(default_factory=dict)
    demo: bool = Field(default=False, description="made by `papercoder demo` (scripted model)")


def slugify(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "run"


class RunStore:
    """One run directory; all writes go through here."""

    def __init__(self, root: Path, manifest: Manifest) -> None:
        self.root = root.resolve()  # given relative or absolute, every recorded path agrees
        self.manifest = manifest

    @classmethod
    def create(cls, runs_dir: Path, name: str, run_id: str | None = None) -> RunStore:
        run_id = run_id or time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
        return cls.create_at(runs_dir / f"{slugify(name)}-{run_id}")

    @classmethod
    def create_at(cls, root: Path) -> RunStore:
        root.mkdir(parents=True, exist_ok=True)
        store = cls(root, Manifest(run_id=root.name, created=time.time()))
        store.save_manifest()
        return store

    @classmethod
    def open(cls, root: Path) -> RunStore:
        path = root / MANIFEST
        if not path.is_file():
            raise InputError(
                f"{root} is not a run directory (no {MANIFEST})",
                "pass a directory made by `papercoder build` or `papercoder verify`",
            )
        try:
            manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError(f"{path} is corrupt: {exc}", "delete the run and start again") from exc
        return cls(root, manifest)

    def path(self, relative: str | Path) -> Path:
        """A path in the run: `relative` to its root (a path already inside it stays)."""
        return self.root / relative

    def verify_dir(self, iteration: int) -> Path:
        """verify/iter-NNN: the report and the log per check of one verification."""
        return step_dir(self.root, "verify", iteration)

    def repair_dir(self, iteration: int) -> Path:
        """repair/iter-NNN: the prompt, replies, edits and diff of one repair."""
        return step_dir(self.root, "repair", iteration)

    def report_path(self, iteration: int) -> Path:
        return self.verify_dir(iteration) / "report.json"

    def verified_iterations(self) -> list[int]:
        return verified_iterations(self.root)

    def write_text(self, relative: str | Path, text: str) -> Path:
        target = self.path(relative)
        atomic_write_text(target, text)
        return target

    def write_model(self, relative: str | Path, model: BaseModel) -> Path:
        return self.write_text(relative, model.model_dump_json(indent=2) + "\n")

    def read_model(self, relative: str | Path, kind: type[M]) -> M | None:
        """The model stored at `relative`, or None when absent or unreadable (then redo it)."""
        target = self.path(relative)
        try:
            return kind.model_validate_json(target.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save_manifest(self) -> None:
        self.write_model(MANIFEST, self.manifest)

    def set_stage(self, stage: str, state: StageState) -> None:
        self.manifest.stages[stage] = state
        self.save_manifest()

    def stage_done(self, stage: str) -> bool:
        return self.manifest.stages.get(stage) is StageState.DONE

    def record_input(self, name: str, path: Path) -> None:
        self.manifest.inputs[name] = InputRecord(path=str(path), sha256=sha256_file(path))
        self.save_manifest()

    @property
    def calls_path(self) -> Path:
        return self.path(CALLS)

    @property
    def cache_dir(self) -> Path:
        return self.path(CACHE)


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line in a single write, so concurrent writers never interleave."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, sort_keys=True) + "\n"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every complete record; a line torn by a kill is skipped."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
