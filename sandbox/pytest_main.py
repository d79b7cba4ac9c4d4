"""pytest as the sandbox runs it: our options, our plugins, and a record of what ran.

    python3 -I pytest_main.py COUNTS_JSON PYTEST_ARGS...

Started with ``-I``, so neither the repo nor the environment is on ``sys.path`` while pytest and
its plugins are imported; ``/work`` is added afterwards, for the tests' own imports. The record
(written when the session finishes) holds the number of tests collected and deselected, each
test's outcome, and the pytest hooks the repo's own plugins (conftest.py files) implement: a
hook can change outcomes, so the verdict compares them with the first iteration's.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import Path

import pytest
import pytest_timeout  # registered as an object: imported before /work joins sys.path

WORK = os.environ.get("PAPERCODER_WORK", "/work")
# started with -I, so the guard's start-up hook (stacks on SIGUSR1, the memory cap) is run here
GUARD = Path(__file__).resolve().parent / "guard" / "sitecustomize.py"
# hooks that only add options, fixtures or markers: they cannot change what a test reports
HARMLESS = frozenset({"pytest_addoption", "pytest_configure", "pytest_plugins"})


class Record:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.collected = 0
        self.deselected = 0
        self.collect_errors = 0
        self.outcomes: dict[str, str] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors += 1

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        before = self.outcomes.get(report.nodeid)
        if hasattr(report, "wasxfail") or report.skipped:
            outcome = "skipped"
        elif report.failed:
            outcome = "failed" if report.when == "call" else "error"
        elif report.when == "call":
            outcome = "passed"
        else:
            return
        if before in (None, "passed") or outcome in ("failed", "error"):
            self.outcomes[report.nodeid] = outcome

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        data = {
            "collected": self.collected,
            "deselected": self.deselected,
            "collect_errors": self.collect_errors,
            "outcomes": self.outcomes,
            "repo_hooks": repo_hooks(session.config),
        }
        self.path.write_text(json.dumps(data), encoding="utf-8")


def repo_hooks(config: pytest.Config) -> list[str]:
    """``file:hook`` for each pytest hook implemented by a plugin that lives in the repo."""
    found = set()
    for plugin in config.pluginmanager.get_plugins():
        file = str(getattr(plugin, "__file__", "") or "")
        if not file.startswith(WORK + "/"):
            continue
        relative = file[len(WORK) + 1 :]
        for name in dir(plugin):
            if name.startswith("pytest_") and name not in HARMLESS:
                found.add(f"{relative}:{name}")
    return sorted(found)


def main(argv: list[str]) -> int:
    if GUARD.is_file():
        runpy.run_path(str(GUARD))
    record = Record(Path(argv[0]))
    sys.path.insert(0, WORK)
    return int(pytest.main(argv[1:], plugins=[record, pytest_timeout]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
