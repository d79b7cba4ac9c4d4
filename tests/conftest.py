"""Every test gets its own home and working directory, and no network beyond 127.0.0.1."""

from __future__ import annotations

import gc
import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
PAPERS = REPO.parent / "shared" / "papers"
REAL_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")  # before isolation

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _allowed(address: Any) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX: the Docker engine's socket
        return True
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _allowed(address):
        raise OSError(f"test tried to reach {address!r}: only 127.0.0.1 is allowed in tests")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _allowed(address):
        raise OSError(f"test tried to reach {address!r}: only 127.0.0.1 is allowed in tests")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "PAPERCODER_MODEL",
        "PAPERCODER_DEBUG",
        "GITHUB_STEP_SUMMARY",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield work


def docker_available() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        pass
    # a refused connection leaves its socket to the collector (once the exception is gone),
    # whose ResourceWarning would otherwise fail whichever test runs next
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Docker tests skip on a machine without an engine, but never in CI."""
    if os.environ.get("CI") or docker_available():
        return
    skip = pytest.mark.skip(
        reason="no Docker engine here (./scripts/setup starts one); CI runs these"
    )
    for item in items:
        if "docker" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `papercoder demo` run (scripted model, real sandbox) for the whole session; tests
    take copies with `copy_run`, so what one writes into it no other sees."""
    runs = tmp_path_factory.mktemp("demo-runs")
    done = subprocess.run(
        [sys.executable, "-m", "papercoder", "demo", "--runs-dir", str(runs)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [run] = [p for p in runs.iterdir() if p.is_dir()]
    return run


def copy_run(run: Path, into: Path) -> Path:
    """A copy of the run directory `run` under `into`, same name."""
    return Path(shutil.copytree(run, into / run.name, symlinks=True))
