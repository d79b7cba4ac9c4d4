"""action.yml and the example workflows: GitHub's schemas, no `secrets` in `if:`, shell steps
that parse, and the action's verify step run for real as GitHub would run it."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import REPO
from tests.sandbox.repos import write

ACTION = REPO / "action.yml"
WORKFLOWS = sorted((REPO / "examples").glob("*.yml"))
BIN = Path(sys.executable).parent
SECRET_IN_IF = re.compile(r"\bsecrets\s*[.\[]")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text("utf-8"))


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of a loaded YAML document, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key), value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def secrets_in_if(document: Any) -> list[str]:
    return [str(v) for k, v in walk(document) if k == "if" and SECRET_IN_IF.search(str(v))]


def run_scripts(document: Any) -> list[str]:
    return [v for k, v in walk(document) if k == "run" and isinstance(v, str)]


def schema_check(schema: str, *files: Path) -> tuple[int, str]:
    """check-jsonschema with its vendored schema, in this process: the test's network guard
    makes any download fail, so a pass proves the check works offline."""
    from check_jsonschema import main

    result = CliRunner().invoke(main, ["--builtin-schema", schema, *map(str, files)])
    return result.exit_code, result.output


def test_there_are_example_workflows() -> None:
    names = [p.name for p in WORKFLOWS]
    assert names == [
        "github-actions-batch.yml",
        "github-actions-repair-pr.yml",
        "github-actions.yml",
    ]


def test_workflows_match_githubs_workflow_schema() -> None:
    code, output = schema_check("vendor.github-workflows", *WORKFLOWS)
    assert code == 0, output


def test_action_matches_githubs_action_schema() -> None:
    code, output = schema_check("vendor.github-actions", ACTION)
    assert code == 0, output


def test_the_schema_check_rejects_a_composite_step_without_shell(tmp_path: Path) -> None:
    action = load(ACTION)
    del action["runs"]["steps"][1]["shell"]
    broken = tmp_path / "action.yml"
    broken.write_text(yaml.safe_dump(action), encoding="utf-8")
    code, output = schema_check("vendor.github-actions", broken)
    assert code == 1 and "composite" in output


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_no_secrets_in_any_if(path: Path) -> None:
    assert secrets_in_if(load(path)) == []


def test_secrets_in_if_is_found_at_any_depth() -> None:
    """The shipped example GitHub rejected: 'Unrecognized named-value: secrets'."""
    old = yaml.safe_load(
        "jobs:\n  verify:\n    steps:\n"
        "      - if: ${{ secrets.OPENAI_API_KEY == '' }}\n        run: echo a\n"
        "      - if: secrets['KEY'] != ''\n        run: echo b\n"
        "      - if: env.HAS_SECRETS == 'true'\n        run: echo c\n"
    )
    assert secrets_in_if(old) == ["${{ secrets.OPENAI_API_KEY == '' }}", "secrets['KEY'] != ''"]


@pytest.mark.parametrize("path", [ACTION, *WORKFLOWS], ids=lambda p: p.name)
def test_shell_steps_parse_and_take_expressions_only_through_env(path: Path) -> None:
    for script in run_scripts(load(path)):
        assert "${{" not in script, f"an expression spliced into a script:\n{script}"
        checked = subprocess.run(
            ["bash", "-n"], input=script, capture_output=True, text=True, check=False
        )
        assert checked.returncode == 0, checked.stderr


def test_bash_n_catches_a_broken_script() -> None:
    checked = subprocess.run(
        ["bash", "-n"],
        input="if true; then\n  echo x\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode != 0


def test_inputs_and_outputs_are_wired() -> None:
    """Every `inputs.X` the action reads is declared and every declared input is read; every
    output names a key the verify step writes to GITHUB_OUTPUT."""
    action = load(ACTION)
    text = ACTION.read_text("utf-8")
    used = set(re.findall(r"\binputs\.([\w-]+)", text))
    assert used == set(action["inputs"])
    script = verify_step(action)["run"]
    written = set(re.findall(r'echo "([\w-]+)=', script))
    for name, output in action["outputs"].items():
        [key] = re.findall(r"\$\{\{ steps\.verify\.outputs\.([\w-]+) \}\}", output["value"])
        assert key in written, name
    assert action["inputs"]["apply"]["default"] == "false"
    assert len(run_scripts(action)) == 3  # install, sandbox image, verify: all checked by bash -n


def verify_step(action: Any, name: str = "Verify") -> dict[str, Any]:
    [step] = [s for s in action["runs"]["steps"] if s.get("name") == name]
    return dict(step)


def step_env(step: dict[str, Any], action: Any, inputs: dict[str, str]) -> dict[str, str]:
    """A step's `env:` with `${{ inputs.X }}` resolved from `inputs`, else the defaults."""
    env = {}
    for var, value in step["env"].items():
        match = re.fullmatch(r"\$\{\{ inputs\.([\w-]+) \}\}", value)
        assert match, f"{var} is not an input: {value}"
        name = match[1]
        env[var] = inputs.get(name, action["inputs"][name].get("default", ""))
    return env


class Step:
    """The action's verify step, run with bash as GitHub runs it, in a fake runner."""

    def __init__(self, root: Path, path_dirs: list[Path]) -> None:
        self.root = root
        self.workspace = root / "workspace"
        self.temp = root / "runner-temp"
        self.output = root / "github-output"
        self.summary = root / "step-summary.md"
        self.path = os.pathsep.join([*map(str, path_dirs), os.environ.get("PATH", "")])
        for folder in (self.workspace, self.temp):
            folder.mkdir(parents=True, exist_ok=True)
        self.output.touch()
        self.summary.touch()

    def run(
        self, inputs: dict[str, str], step: str = "Verify", **extra: str
    ) -> subprocess.CompletedProcess[str]:
        action = load(ACTION)
        chosen = verify_step(action, step)
        script = self.root / "step.sh"
        script.write_text(chosen["run"], encoding="utf-8")
        env = {
            **os.environ,
            **step_env(chosen, action, inputs),
            "PATH": self.path,
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(self.temp),
            "COLUMNS": "200",
            **extra,
        }
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def outputs(self) -> dict[str, str]:
        lines = self.output.read_text("utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines)


FAKE = """#!/usr/bin/env bash
# a stand-in for papercoder: records its arguments, makes a run directory, exits as told
printf '%s\\n' "$@" >"$FAKE_ARGS"
while [ $# -gt 0 ]; do
  case "$1" in --runs-dir) runs=$2; shift ;; --report) report=$2; shift ;; esac
  shift
done
mkdir -p "$runs/verify-repo-1"
echo '{}' >"$report"
if [ -n "${FAKE_PATCH:-}" ]; then echo "diff" >"$runs/verify-repo-1/repair.patch"; fi
exit "${FAKE_EXIT:-0}"
"""


@pytest.fixture
def fake(tmp_path: Path) -> Step:
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    tool = bin_dir / "papercoder"
    tool.write_text(FAKE, encoding="utf-8")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return Step(tmp_path, [bin_dir])


def fake_args(step: Step) -> list[str]:
    return (step.root / "args").read_text("utf-8").splitlines()


def test_defaults_verify_the_workspace_into_runner_temp(fake: Step) -> None:
    done = fake.run({}, FAKE_ARGS=str(fake.root / "args"))
    assert done.returncode == 0, done.stderr
    outputs = fake.outputs()
    out = Path(outputs["out-dir"])
    assert out.parent == fake.temp
    assert fake_args(fake) == [
        "verify",
        ".",
        "--runs-dir",
        f"{out}/runs",
        "--report",
        f"{out}/report.json",
        "--junit",
        f"{out}/junit.xml",
        "--format",
        "github",
        "--base-image",
        "python:3.11-slim",
    ]
    assert outputs == {
        "passed": "true",
        "exit-code": "0",
        "report": f"{out}/report.json",
        "patch": "",
        "run-dir": f"{out}/runs/verify-repo-1",
        "out-dir": str(out),
    }
    assert fake.summary.read_text("utf-8") == ""  # papercoder itself writes the table


def test_inputs_become_options_and_apply_true_passes_apply(fake: Step) -> None:
    inputs = {
        "path": "generated",
        "checks": "lint,tests",
        "model": "gpt-x",
        "base-url": "http://127.0.0.1:9/v1",
        "max-iterations": "4",
        "max-cost": "0.50",
        "max-tokens": "90000",
        "max-time": "20m",
        "patience": "2",
        "timeout": "5m",
        "apply": "true",
        "base-image": "",
    }
    done = fake.run(inputs, FAKE_ARGS=str(fake.root / "args"), FAKE_PATCH="1")
    assert done.returncode == 0, done.stderr
    args = fake_args(fake)
    assert args[:2] == ["verify", "generated"]
    assert args[10:] == [
        "--checks",
        "lint,tests",
        "--model",
        "gpt-x",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--max-iterations",
        "4",
        "--max-cost",
        "0.50",
        "--max-tokens",
        "90000",
        "--max-time",
        "20m",
        "--patience",
        "2",
        "--timeout",
        "5m",
        "--apply",
    ]
    outputs = fake.outputs()
    assert outputs["patch"] == f"{outputs['run-dir']}/repair.patch"
    assert "applied to the working tree (not committed)" in fake.summary.read_text("utf-8")


def test_a_failing_verify_fails_the_step_but_still_sets_the_outputs(fake: Step) -> None:
    done = fake.run({}, FAKE_ARGS=str(fake.root / "args"), FAKE_EXIT="1", FAKE_PATCH="1")
    assert done.returncode == 1
    outputs = fake.outputs()
    assert (outputs["passed"], outputs["exit-code"]) == ("false", "1")
    assert "--apply" not in fake_args(fake)
    summary = fake.summary.read_text("utf-8")
    assert "artifact `papercoder-run-patch`" in summary and "checkout is unchanged" in summary


def test_a_verify_that_could_not_run_is_annotated(fake: Step) -> None:
    done = fake.run({}, FAKE_ARGS=str(fake.root / "args"), FAKE_EXIT="5")
    assert done.returncode == 5
    assert done.stdout.startswith(
        "::error title=papercoder verify::papercoder verify stopped with exit code 5 ("
    )
    assert fake.outputs()["exit-code"] == "5"


def test_apply_other_than_true_or_false_is_an_error(fake: Step) -> None:
    done = fake.run({"apply": "yes"}, FAKE_ARGS=str(fake.root / "args"))
    assert done.returncode == 2
    assert "::error title=papercoder action::input apply must be true or false" in done.stdout
    assert not (fake.root / "args").exists() and fake.outputs() == {}


def local_base_image() -> str:
    from papercoder.sandbox import engine

    assert shutil.which("papercoder", path=str(BIN)), f"no papercoder next to {sys.executable}"
    client = engine.connect()
    try:
        base = engine.local_base_image(client)
    finally:
        client.close()
    assert base, "no sandbox base image: ./scripts/setup builds one"
    return base


@pytest.mark.docker
def test_the_sandbox_step_builds_on_the_base_image_given(tmp_path: Path) -> None:
    done = Step(tmp_path, [BIN]).run({"base-image": local_base_image()}, "Build the sandbox image")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.fullmatch(
        r"sandbox image papercoder-sandbox:\w+ (built|already present)\n", done.stdout
    )


@pytest.mark.docker
def test_the_verify_step_for_real_writes_summary_outputs_and_annotations(tmp_path: Path) -> None:
    base = local_base_image()
    step = Step(tmp_path, [BIN])
    write(step.workspace / "generated", {"model.py": "def double(x):\n    return twice * x\n"})
    done = step.run({"path": "generated", "checks": "lint", "base-image": base})
    assert done.returncode == 1, done.stdout + done.stderr
    annotations = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert annotations == [
        "::error file=generated/model.py,line=2,col=12,title=papercoder lint F821"
        "::Undefined name `twice`"
    ]
    outputs = step.outputs()
    assert (outputs["passed"], outputs["exit-code"], outputs["patch"]) == ("false", "1", "")
    report = json.loads(Path(outputs["report"]).read_text("utf-8"))
    assert [(c["name"], c["status"]) for c in report["checks"]] == [
        ("install", "pass"),
        ("lint", "fail"),
    ]
    assert (Path(outputs["run-dir"]) / "verify" / "iter-000" / "lint.log").is_file()
    assert Path(outputs["out-dir"], "junit.xml").is_file()
    summary = step.summary.read_text("utf-8")
    assert "## PaperCoder verify: checks failing" in summary
    assert "| lint | fail |" in summary and "`model.py:2` lint: Undefined name `twice`" in summary
    assert list(step.workspace.iterdir()) == [step.workspace / "generated"]  # nothing added


def test_the_readme_workflow_is_one_github_accepts(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    section = readme[readme.index("## Use in CI") :]
    block = section[section.index("```yaml\n") + 8 : section.index("```\n")]
    workflow = tmp_path / "papercoder.yml"
    workflow.write_text(block, encoding="utf-8")
    code, output = schema_check("vendor.github-workflows", workflow)
    assert code == 0, output
    assert secrets_in_if(load(workflow)) == []
    assert "uses: OWNER/papercoder@main" in block and "secrets.OPENAI_API_KEY" in block
