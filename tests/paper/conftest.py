from __future__ import annotations

from pathlib import Path

import pytest

from papercoder.paper import Paper, load_paper
from tests.conftest import PAPERS
from tests.paper.helpers import build_fixture


@pytest.fixture(scope="session")
def fixture_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture(tmp_path_factory.mktemp("fixture"))


@pytest.fixture(scope="session")
def fixture_paper(fixture_pdf: Path) -> Paper:
    return load_paper(fixture_pdf)


@pytest.fixture(scope="session")
def real_paper() -> dict[str, Paper]:
    if not PAPERS.is_dir():
        pytest.skip(f"the shared papers are not here ({PAPERS} is absent: a user's clone)")
    return {
        name: load_paper(PAPERS / f"{name}.pdf")
        for name in ("adam", "transformer", "gcn", "resnet")
    }
