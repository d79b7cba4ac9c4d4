"""`papercoder batch` with its sandboxes on a remote engine through DOCKER_HOST: a second
dockerd, started here on its own unix socket, with its own data and exec roots, runs every
check; files reach it through the API alone."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker import DockerClient
from typer.testing import CliRunner

from papercoder.batch_summary import BatchSummary
from papercoder.cli import app
from papercoder.sandbox import engine, images
from papercoder.testing import ScriptedServer, load_script
from tests.conftest import REPO
from tests.paper.helpers import build_fixture

pytestmark = pytest.mark.docker

SCRIPT = REPO / "fixtures" / "scripted" / "build.yaml"


def _copy_image(source: DockerClient, target: DockerClient, name: str) -> None:
    """`docker save | docker -H … load`, streamed through the API."""
    target.api.load_image(source.api.get_image(name))


def _stop(proc: subprocess.Popen[bytes], root: Path) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    mounts = Path("/proc/mounts").read_text("utf-8").splitlines()
    for point in sorted((m.split()[1] for m in mounts if str(root) in m), reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def second_engine() -> Iterator[str]:
    """DOCKER_HOST of a second engine holding the base (and sandbox) image of the first."""
    if os.geteuid() != 0:
        pytest.skip("a second Docker engine needs root")
    if shutil.which("dockerd") is None:
        pytest.skip("no dockerd binary here to start a second engine")
    root = Path(tempfile.mkdtemp(prefix="pcd-", dir="/tmp"))  # unix socket paths are short
    host = f"unix://{root}/docker.sock"
    log = (root / "dockerd.log").open("wb")
    own = ["--data-root", f"{root}/data", "--exec-root", f"{root}/exec"]
    own += ["--pidfile", f"{root}/docker.pid", "-H", host]
    proc = subprocess.Popen(
        ["dockerd", *own, "--bridge=none", "--iptables=false", "--ip-masq=false"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        remote = _wait_for(host, proc, root)
        primary = docker.from_env(timeout=300)
        try:
            base = engine.local_base_image(primary)
            assert base is not None, "the first engine has no sandbox base image"
            _copy_image(primary, remote, base)
            tag = images.sandbox_tag(primary, base)
            if images.image_exists(primary, tag):  # spares building the check tools again
                _copy_image(primary, remote, tag)
        finally:
            primary.close()
            remote.close()
        yield host
    finally:
        log.close()
        _stop(proc, root)


def _wait_for(host: str, proc: subprocess.Popen[bytes], root: Path) -> DockerClient:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if Path(host.removeprefix("unix://")).exists():
            client = DockerClient(base_url=host, timeout=300)
            with contextlib.suppress(Exception):
                if client.ping():
                    return client
            client.close()
        time.sleep(0.5)
    tail = (root / "dockerd.log").read_text("utf-8", errors="replace")[-2000:]
    pytest.fail(f"the second dockerd did not come up:\n{tail}")


def test_batch_verifies_on_a_remote_engine_through_docker_host(
    second_engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = build_fixture(tmp_path)
    papers = [Path(shutil.copy(pdf, tmp_path / f"{name}.pdf")) for name in ("first", "second")]
    remote = DockerClient(base_url=second_engine, timeout=60)
    before = {t for i in remote.images.list() for t in i.tags}
    monkeypatch.setenv("DOCKER_HOST", second_engine)
    out = tmp_path / "batch"
    argv = ["batch", *map(str, papers), "--out", str(out), "--jobs", "2", "--max-iterations", "1"]
    with ScriptedServer(load_script(SCRIPT)) as srv:
        model = ["--base-url", srv.base_url, "--model", "scripted"]
        result = CliRunner().invoke(app, [*argv, *model], env={"COLUMNS": "200"})
    summary = BatchSummary.model_validate_json((out / "summary.json").read_text("utf-8"))
    assert [(r.status, r.stage, r.iterations) for r in summary.rows] == [("green", "verify", 0)] * 2
    assert result.exit_code == 0, result.output
    for row in summary.rows:
        logs = out / row.run_dir / "verify" / "iter-000"
        assert {"install.log", "tests.log", "smoke.log"} <= {p.name for p in logs.iterdir()}
    built = {t for i in remote.images.list() for t in i.tags} - before
    assert any(t.startswith(f"{images.DEPS_REPO}:") for t in built), built
    deadline = time.monotonic() + 60  # used containers are removed in the background
    while remote.containers.list(all=True, filters={"label": engine.CONTAINER_LABEL}):
        assert time.monotonic() < deadline, "check containers outlived the batch"
        time.sleep(0.5)
    remote.close()
