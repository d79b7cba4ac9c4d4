from __future__ import annotations

import json
from pathlib import Path

import pytest

from papercoder import run
from papercoder.settings import Settings
from papercoder.testing import Rule, ScriptedServer, load_script
from papercoder.testing.server import Script
from tests.conftest import REPO
from tests.paper.helpers import build_fixture

SCRIPTED = REPO / "fixtures" / "scripted"
COMPONENTS = 5  # the scripted plan's methodology steps


@pytest.fixture(scope="session")
def paper_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture(tmp_path_factory.mktemp("paper"))


@pytest.fixture
def built_run(paper_pdf: Path, tmp_path: Path) -> Path:
    """A run of the fixture paper built (not verified) by the scripted model."""
    with ScriptedServer(load_script(SCRIPTED / "build.yaml")) as srv:
        settings = Settings.resolve(
            {"base_url": srv.base_url, "model": "scripted", "runs_dir": tmp_path / "runs"}, {}
        )
        outcome = run.build(paper_pdf, settings, verify=False)
    return outcome.run_dir


def review(score: int, *statuses: str, others: list[dict[str, str]] | None = None) -> str:
    """A reviewer's reply: `statuses` for the first components, the rest implemented."""
    verdicts = list(statuses) + ["implemented"] * (COMPONENTS - len(statuses))
    components = [
        {
            "id": n,
            "status": status,
            "severity": "low" if status == "implemented" else "high",
            "note": f"component {n} is {status} (review scoring {score})",
        }
        for n, status in enumerate(verdicts, 1)
    ]
    return json.dumps(
        {"components": components, "others": others or [], "critique": f"c{score}", "score": score}
    )


def reviews(*replies: str) -> Script:
    """Review number i is answered with replies[i-1]."""
    return Script(
        rules=[
            Rule(agent="evaluator", contains=f"review number {i}:", content=reply)
            for i, reply in enumerate(replies, 1)
        ]
    )
