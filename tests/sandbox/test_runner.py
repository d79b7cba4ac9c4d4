"""The sandbox runner's own logic, run on the host: what it disarms before mypy reads a file."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from papercoder.resources import data_dir


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("runner", data_dir("sandbox") / "runner.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_files_own_mypy_configuration_is_disarmed_in_place(
    runner: ModuleType, tmp_path: Path
) -> None:
    source = (
        "#!/usr/bin/env python\n# type: ignore\n# mypy: ignore-errors\nimport typing\n\n\n"
        "@typing.no_type_check\ndef f(x):\n    return x.y  # type: ignore[attr-defined]\n\n\n"
        "    # mypy: disable-error-code=attr-defined\n@no_type_check\nclass C:\n    pass\n"
    )
    (tmp_path / "pkg").mkdir()
    path = tmp_path / "pkg" / "m.py"
    path.write_text(source, encoding="utf-8")
    runner.own_mypy_config_only(tmp_path)
    disarmed = path.read_text(encoding="utf-8")
    assert [len(x) for x in disarmed.splitlines()] == [len(x) for x in source.splitlines()]
    assert "# type: ignore\n" not in disarmed and "mypy:" not in disarmed
    assert "@typing.no_type_check" not in disarmed and "\n@no_type_check" not in disarmed
    assert "return x.y  # type: ignore[attr-defined]" in disarmed, "a line's own ignore stays"


def test_a_type_ignore_after_code_is_not_whole_file(runner: ModuleType, tmp_path: Path) -> None:
    source = "import os\n# type: ignore\n"
    (tmp_path / "m.py").write_text(source, encoding="utf-8")
    runner.own_mypy_config_only(tmp_path)
    assert (tmp_path / "m.py").read_text(encoding="utf-8") == source
