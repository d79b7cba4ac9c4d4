"""Bad plans and bad code from the model: re-asked once with the exact problem, then a clear
exit-coded error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from papercoder.cli import app
from papercoder.errors import ModelOutputError
from papercoder.pipeline import build
from papercoder.settings import Settings
from papercoder.testing import ScriptedServer
from tests.pipeline.conftest import plan_json, scripted

runner = CliRunner()


def run(srv: ScriptedServer, pdf: Path, tmp: Path) -> None:
    build(
        pdf,
        Settings.resolve(
            {"base_url": srv.base_url, "model": "scripted", "runs_dir": tmp / "runs"}, {}
        ),
    )


def variant(name: str, change: dict[str, Any]) -> str:
    data = plan_json(name)
    data.update(change)
    return json.dumps(data)


def cyclic_logic() -> str:
    data = plan_json("logic")
    data["files"][0]["depends_on"] = ["main.py"]  # data.py -> main.py -> data.py
    return json.dumps(data)


def outside_path() -> str:
    data = plan_json("architecture")
    data["files"].append({"path": "../x.py", "purpose": "escapes"})
    return json.dumps(data)


FAULTS = [
    ("planner.overall", "Sure, here is the plan! {not json", "could not be used"),
    ("planner.logic", cyclic_logic(), "the dependency graph has a cycle"),
    ("planner.architecture", outside_path(), "must stay inside the repository"),
    (
        "planner.architecture",
        variant("architecture", {"class_diagram": "class ResidualMLP {\n}"}),
        "must start with 'classDiagram'",
    ),
]


@pytest.mark.parametrize(("agent", "reply", "problem"), FAULTS)
def test_fault_once_is_reasked_with_the_problem(
    fixture_pdf: Path, tmp_path: Path, agent: str, reply: str, problem: str
) -> None:
    with ScriptedServer(scripted({"agent": agent, "content": reply, "times": 1})) as srv:
        run(srv, fixture_pdf, tmp_path)
    asked = srv.chat_requests(agent)
    assert len(asked) == 2
    assert problem in asked[1].body["messages"][-1]["content"]


@pytest.mark.parametrize(("agent", "reply", "problem"), FAULTS)
def test_fault_twice_is_exit_4_with_the_problem(
    fixture_pdf: Path, tmp_path: Path, agent: str, reply: str, problem: str
) -> None:
    with ScriptedServer(scripted({"agent": agent, "content": reply})) as srv:
        result = runner.invoke(
            app,
            [
                "build",
                str(fixture_pdf),
                "--no-verify",
                "--base-url",
                srv.base_url,
                "--model",
                "scripted",
                "--runs-dir",
                str(tmp_path / "runs"),
            ],
        )
    assert result.exit_code == 4, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("error: ") and " — " in line
    if "could not be used" not in problem:
        assert problem in line


def test_coder_reply_that_is_not_python_is_reasked_with_the_syntax_error(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    bad = {
        "agent": "coder",
        "contains": "FILE: main.py\n",
        "times": 1,
        "content": "```python\ndef main(:\n    pass\n```",
    }
    with ScriptedServer(scripted(bad)) as srv:
        run(srv, fixture_pdf, tmp_path)
    main_requests = [r for r in srv.chat_requests("coder") if "FILE: main.py\n" in r.text]
    assert len(main_requests) == 2
    assert "invalid syntax" in main_requests[1].body["messages"][-1]["content"]


def test_coder_never_writing_python_is_a_clear_error(fixture_pdf: Path, tmp_path: Path) -> None:
    bad = {"agent": "coder", "contains": "FILE: main.py\n", "content": "I cannot do that."}
    with ScriptedServer(scripted(bad)) as srv, pytest.raises(ModelOutputError, match=r"main\.py"):
        run(srv, fixture_pdf, tmp_path)
    assert not list((tmp_path / "runs").glob("*/repo/main.py")), "nothing invalid is written"
    assert list((tmp_path / "runs").glob("*/repo/data.py")), "completed files stay on disk"
