from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.conftest import REPO


def fixture_module() -> ModuleType:
    """fixtures/paper/make_paper.py, imported by path (fixtures/ is not a package)."""
    path = REPO / "fixtures" / "paper" / "make_paper.py"
    spec = importlib.util.spec_from_file_location("make_paper", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_paper", module)
    spec.loader.exec_module(module)
    return module


def build_fixture(directory: Path) -> Path:
    return fixture_module().build(directory / "fixture-paper.pdf")  # type: ignore[no-any-return]
