"""Real Docker: the repo cannot change the gating rules. Each repo here fails a check; a trick
that silences the check from inside the repo must leave it failing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from papercoder.sandbox.docker import DockerSandbox
from papercoder.sandbox.protocol import Limits
from papercoder.verify.checks import Timeouts, Verifier
from papercoder.verify.counts import TestCounts
from papercoder.verify.diagnostics import CheckName
from papercoder.verify.report import CheckResult
from tests.sandbox.repos import write
from tests.sandbox.test_docker import leftover_containers

pytestmark = pytest.mark.docker

FAILING_TEST = {"model.py": "def double(x):\n    return 3 * x\n"}
UNDEFINED_NAME = {"model.py": "def double(x):\n    return twice * x\n"}
WRONG_ATTRIBUTE = {"train.py": "import model\n\n\ndef step(x):\n    return model.triple(x)\n"}
REPORT_PASSED = (
    "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\n"
    "def pytest_runtest_makereport(item, call):\n    outcome = yield\n"
    "    outcome.get_result().outcome = 'passed'\n"
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[DockerSandbox]:
    box = DockerSandbox(limits=Limits(memory_mb=512, pids=64, tmpfs_mb=64))
    box.ensure_image()
    yield box
    box.close()


def check(
    sandbox: DockerSandbox,
    root: Path,
    name: CheckName,
    files: dict[str, str],
    baseline: TestCounts | None = None,
) -> CheckResult:
    repo = write(root / "repo", files)
    verifier = Verifier(sandbox, root / "logs", Timeouts.uniform(60), baseline=baseline)
    result = verifier.verify(repo, (name,)).check(name)
    assert leftover_containers() == []
    assert result is not None
    return result


TEST_TRICKS = {
    "sitecustomize": {"sitecustomize.py": "import os\nos.environ['PYTEST_ADDOPTS'] = '--co'\n"},
    "sitecustomize-exit": {"sitecustomize.py": "import os\nos._exit(0)\n"},
    "usercustomize": {"usercustomize.py": "import os\nos._exit(0)\n"},
    "pytest.ini": {"pytest.ini": "[pytest]\naddopts = --co\npython_functions = nothing_*\n"},
    ".pytest.ini": {".pytest.ini": "[pytest]\npython_files = nothing.py\n"},
    "setup.cfg": {"setup.cfg": "[tool:pytest]\naddopts = -p no:python\nnorecursedirs = tests\n"},
    "tox.ini": {"tox.ini": "[pytest]\naddopts = -k nothing\n"},
    "pyproject": {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--co"\n'},
    "pytest.py": {"pytest.py": "print('1 passed')\nraise SystemExit(0)\n"},
    "conftest-exit": {"conftest.py": "import os\nos._exit(0)\n"},
    "conftest-ignore": {"conftest.py": "collect_ignore_glob = ['*']\n"},
    "conftest-exitstatus": {
        "conftest.py": "def pytest_sessionfinish(session, exitstatus):\n"
        "    session.exitstatus = 0\n"
    },
}


@pytest.mark.parametrize("trick", TEST_TRICKS.values(), ids=TEST_TRICKS.keys())
def test_the_repo_cannot_silence_its_tests(
    sandbox: DockerSandbox, tmp_path: Path, trick: dict[str, str]
) -> None:
    result = check(sandbox, tmp_path, "tests", {**FAILING_TEST, **trick})
    assert result.status == "fail", result.model_dump_json(indent=1)


LINT_TRICKS = {
    "ruff-noqa": {"model.py": "# ruff: noqa\n" + UNDEFINED_NAME["model.py"]},
    "flake8-noqa": {"model.py": "# flake8: noqa\n" + UNDEFINED_NAME["model.py"]},
    "line-noqa": {"model.py": "def double(x):\n    return twice * x  # noqa\n"},
    "ruff.toml": {"ruff.toml": '[lint]\nignore = ["F821"]\nexclude = ["model.py"]\n'},
    "pyproject": {"pyproject.toml": '[tool.ruff]\nexclude = ["model.py"]\n'},
    "gitignore": {".gitignore": "model.py\n"},
}


@pytest.mark.parametrize("trick", LINT_TRICKS.values(), ids=LINT_TRICKS.keys())
def test_the_repo_cannot_silence_its_lint(
    sandbox: DockerSandbox, tmp_path: Path, trick: dict[str, str]
) -> None:
    result = check(sandbox, tmp_path, "lint", {**UNDEFINED_NAME, **trick})
    assert result.status == "fail" and result.diagnostics[0].code == "F821"


TYPE_TRICKS = {
    "inline-ignore-errors": {"train.py": "# mypy: ignore-errors\n" + WRONG_ATTRIBUTE["train.py"]},
    "whole-file-ignore": {"train.py": "# type: ignore\n" + WRONG_ATTRIBUTE["train.py"]},
    "no-type-check": {
        "train.py": "import typing\n\nimport model\n\n\n@typing.no_type_check\ndef step(x):\n"
        "    return model.triple(x)\n"
    },
    "mypy.ini": {"mypy.ini": "[mypy]\nignore_errors = True\n"},
    "setup.cfg": {"setup.cfg": "[mypy]\nignore_errors = True\ndisable_error_code = attr-defined\n"},
    "pyproject": {"pyproject.toml": "[tool.mypy]\nignore_errors = true\n"},
}


@pytest.mark.parametrize("trick", TYPE_TRICKS.values(), ids=TYPE_TRICKS.keys())
def test_the_repo_cannot_silence_its_type_check(
    sandbox: DockerSandbox, tmp_path: Path, trick: dict[str, str]
) -> None:
    files = {**WRONG_ATTRIBUTE, **trick}
    result = check(sandbox, tmp_path, "types", files)
    assert result.status == "fail" and result.diagnostics[0].code == "attr-defined"
    line = files["train.py"].splitlines().index("    return model.triple(x)") + 1
    assert result.diagnostics[0].line == line, "lines do not move"


BASELINE_TRICKS = {
    "skip-mark": {
        "tests/test_model.py": "import pytest\n\nfrom model import double\n\n\n"
        "@pytest.mark.skip\ndef test_double():\n    assert double(2) == 4\n"
    },
    "xfail-mark": {
        "tests/test_model.py": "import pytest\n\nfrom model import double\n\n\n"
        "@pytest.mark.xfail\ndef test_double():\n    assert double(2) == 4\n"
    },
    "early-return": {
        "tests/test_model.py": "from model import double\n\n\n"
        "def test_double():\n    return\n    assert double(2) == 4\n"
    },
    "assert-true-or": {
        "tests/test_model.py": "from model import double\n\n\n"
        "def test_double():\n    assert True or double(2) == 4\n"
    },
    "deleted": {"tests/test_model.py": "", "tests/test_other.py": "def test_x():\n    pass\n"},
    "report-hook": {"conftest.py": REPORT_PASSED},
}


@pytest.fixture(scope="module")
def first(sandbox: DockerSandbox, tmp_path_factory: pytest.TempPathFactory) -> TestCounts:
    """The first iteration: one test, failing."""
    result = check(sandbox, tmp_path_factory.mktemp("first"), "tests", FAILING_TEST)
    assert result.status == "fail" and result.counts is not None
    assert (result.counts.collected, result.counts.failed) == (1, 1)
    return result.counts


@pytest.mark.parametrize("trick", BASELINE_TRICKS.values(), ids=BASELINE_TRICKS.keys())
def test_testing_less_than_the_first_iteration_fails(
    sandbox: DockerSandbox, first: TestCounts, tmp_path: Path, trick: dict[str, str]
) -> None:
    later = check(sandbox, tmp_path, "tests", {**FAILING_TEST, **trick}, first)
    assert later.status == "fail", later.model_dump_json(indent=1)
    baseline_codes = {"fewer-tests", "fewer-tests-run", "more-skipped", "new-test-hook"}
    baseline_codes |= {"fewer-asserts", "test-removed"}
    assert baseline_codes & {d.code for d in later.diagnostics}, later.diagnostics


def test_fixing_the_code_passes_against_the_baseline(
    sandbox: DockerSandbox, first: TestCounts, tmp_path: Path
) -> None:
    fixed = check(sandbox, tmp_path, "tests", {}, first)
    assert fixed.status == "pass" and fixed.summary == "1 passed of 1 collected"
