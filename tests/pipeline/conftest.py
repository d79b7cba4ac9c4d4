from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from papercoder.testing import Rule, ScriptedServer, load_script
from papercoder.testing.server import Script
from tests.conftest import REPO
from tests.paper.helpers import build_fixture

SCRIPTED = REPO / "fixtures" / "scripted"


@pytest.fixture(scope="session")
def fixture_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture(tmp_path_factory.mktemp("fixture"))


def scripted(*first: dict[str, Any]) -> Script:
    """The fixture build's script, with `first` rules matched before it."""
    script = load_script(SCRIPTED / "build.yaml")
    return Script(model=script.model, rules=[*(Rule(**r) for r in first), *script.rules])


def plan_json(name: str) -> dict[str, Any]:
    data = json.loads((SCRIPTED / "plan" / f"{name}.json").read_text("utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(scripted()) as srv:
        yield srv
