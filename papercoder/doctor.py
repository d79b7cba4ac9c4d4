"""`papercoder doctor`: is everything a run needs in place, and if not, how to fix it."""

from __future__ import annotations

from typing import Literal

import docker.errors
import openai
from docker import DockerClient
from pydantic import BaseModel, ConfigDict

from papercoder.errors import SandboxError
from papercoder.sandbox import engine
from papercoder.settings import Settings

Status = Literal["ok", "warn", "fail"]
Area = Literal["sandbox", "endpoint"]

_NET_PROBE = "import os; print(' '.join(sorted(os.listdir('/sys/class/net'))))"


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    area: Area
    status: Status
    detail: str
    fix: str = ""


class DoctorReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: list[Check]

    def failed(self, area: Area) -> bool:
        return any(c.status == "fail" and c.area == area for c in self.checks)


def diagnose(settings: Settings) -> DoctorReport:
    return DoctorReport(checks=[*_docker_checks(), _endpoint_check(settings)])


def _docker_checks() -> list[Check]:
    try:
        client = engine.connect(timeout=30)
    except SandboxError as exc:
        return [
            Check(
                name="docker engine",
                area="sandbox",
                status="fail",
                detail=exc.message,
                fix=exc.hint,
            )
        ]
    try:
        return _engine_checks(client)
    finally:
        client.close()


def _engine_checks(client: DockerClient) -> list[Check]:
    version = client.version().get("Version", "?")
    checks = [
        Check(
            name="docker engine",
            area="sandbox",
            status="ok",
            detail=f"Docker {version} at {client.api.base_url}",
        )
    ]
    image = engine.local_base_image(client)
    if image is None:
        checks.append(
            Check(
                name="base image",
                area="sandbox",
                status="fail",
                detail=f"neither {engine.BASE_IMAGE} nor {engine.PUBLIC_BASE_IMAGE} is present",
                fix="build it offline: sudo sandbox/build-base-image.sh",
            )
        )
        return checks
    try:
        output = client.containers.run(
            image,
            ["python3", "-c", _NET_PROBE],
            network_mode="none",
            remove=True,
            user="65534",
            labels={engine.CONTAINER_LABEL: "doctor"},
        )
        interfaces = output.decode().strip()
    except docker.errors.DockerException as exc:
        checks.append(
            Check(
                name="isolated container",
                area="sandbox",
                status="fail",
                detail=f"a trivial container in {image} failed: {exc}",
                fix="see the engine's log (e.g. /tmp/papercoder-dockerd.log)",
            )
        )
        return checks
    isolated = interfaces == "lo"
    checks.append(
        Check(
            name="isolated container",
            area="sandbox",
            status="ok" if isolated else "fail",
            detail=f"{image} runs with network_mode=none; interfaces: {interfaces}",
            fix=""
            if isolated
            else "the engine does not honour network_mode=none; check its config",
        )
    )
    return checks


def _endpoint_check(settings: Settings) -> Check:
    if not settings.endpoint_configured:
        return Check(
            name="model endpoint",
            area="endpoint",
            status="warn",
            detail="not configured (needed by build and repair, not by demo or verify --no-repair)",
            fix="set OPENAI_BASE_URL (and OPENAI_API_KEY), or run `papercoder serve --gguf FILE`",
        )
    url = settings.effective_base_url
    key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
    with openai.OpenAI(base_url=url, api_key=key, timeout=10, max_retries=0) as client:
        return _list_models(client, settings, url)


def _list_models(client: openai.OpenAI, settings: Settings, url: str) -> Check:
    try:
        names = [m.id for m in client.models.list()]
    except openai.APIStatusError as exc:
        return Check(
            name="model endpoint",
            area="endpoint",
            status="fail",
            detail=f"{url} answered HTTP {exc.status_code}",
            fix="check OPENAI_API_KEY and that the URL ends in /v1",
        )
    except openai.APIError as exc:
        return Check(
            name="model endpoint",
            area="endpoint",
            status="fail",
            detail=f"{url} is unreachable ({type(exc).__name__})",
            fix="start the server or set OPENAI_BASE_URL to one that runs",
        )
    known = settings.model in names or not names
    return Check(
        name="model endpoint",
        area="endpoint",
        status="ok" if known else "warn",
        detail=f"{url} answers; model {settings.model!r} "
        + ("listed" if known else f"not among {', '.join(names[:5])}"),
        fix="" if known else "set --model / PAPERCODER_MODEL to a listed model",
    )
