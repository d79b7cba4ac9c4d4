from __future__ import annotations

import pytest
from typer.testing import CliRunner

from papercoder.cli import app
from tests.llm.helpers import server

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


@pytest.mark.docker
def test_doctor_runs_an_isolated_container_and_reports_missing_endpoint() -> None:
    result = runner.invoke(app, ["doctor"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "interfaces: lo" in result.output
    assert "not configured" in result.output and "OPENAI_BASE_URL" in result.output


@pytest.mark.docker
def test_doctor_reaches_a_configured_endpoint() -> None:
    with server({"content": "x"}) as srv:
        result = runner.invoke(
            app, ["doctor", "--base-url", srv.base_url, "--model", "scripted"], terminal_width=200
        )
    assert result.exit_code == 0, result.output
    assert "answers" in result.output


def test_doctor_without_docker_exits_5(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    result = runner.invoke(app, ["doctor"], terminal_width=200)
    assert result.exit_code == 5
    assert "no Docker engine answers" in result.output and "dockerd" in result.output


def test_doctor_with_unreachable_endpoint_exits_4(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with server({"content": "x"}) as srv:
        url = srv.base_url
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    result = runner.invoke(app, ["doctor"], terminal_width=200)
    assert "unreachable" in result.output
    assert result.exit_code == 5, "Docker down outranks the endpoint"
