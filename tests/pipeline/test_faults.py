"""Bad plans and bad code from the model: defects a tool can fix are fixed and recorded; what
remains is re-asked once with the exact problem, then a clear exit-coded error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from papercoder.agents.plan import (
    LINE,
    MAX_ENTRIES,
    MAX_STEPS,
    SMALL_ENTRIES,
    SMALL_LINE,
    SMALL_SUMMARY,
)
from papercoder.cli import app
from papercoder.errors import ModelOutputError
from papercoder.pipeline import BuildResult
from papercoder.run import build as run_build
from papercoder.runstore import RunStore
from papercoder.settings import Settings
from papercoder.testing import ScriptedServer
from papercoder.testing.server import RecordedRequest
from tests.pipeline.conftest import SCRIPTED, plan_json, scripted

runner = CliRunner()
# a file coder's output limit that is already half the context: never asked again bigger
AT_THE_CAP = {"profile": "standard", "max_output_tokens": 4096, "context_tokens": 8192}


def build(paper: Path, settings: Settings) -> tuple[BuildResult, RunStore]:
    """Generation only, through the library's entry point."""
    outcome = run_build(paper, settings, verify=False)
    return outcome.build, RunStore.open(outcome.run_dir)


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


def build_dir(tmp: Path) -> Path:
    [run_dir] = (tmp / "runs").iterdir()
    return run_dir


FIXABLE = [
    ("planner.logic", cyclic_logic(), "dropped 'data.py' → 'main.py'"),
    ("planner.architecture", outside_path(), "dropped '../x.py'"),
    (
        "planner.architecture",
        variant("architecture", {"class_diagram": "class ResidualMLP {\n}"}),
        "class_diagram repaired",
    ),
    (
        "planner.architecture",
        variant(
            "architecture",
            {
                "files": [f for f in plan_json("architecture")["files"] if f["path"] != "main.py"],
                "smoke_command": "",
            },
        ),
        "added the entry point 'main.py' to the files",
    ),
]


@pytest.mark.parametrize(("agent", "reply", "fix"), FIXABLE)
def test_mechanical_defects_are_fixed_and_recorded_without_a_reask(
    fixture_pdf: Path, tmp_path: Path, agent: str, reply: str, fix: str
) -> None:
    with ScriptedServer(scripted({"agent": agent, "content": reply, "times": 1})) as srv:
        run(srv, fixture_pdf, tmp_path)
    assert len(srv.chat_requests(agent)) == 1, "fixed by the tool: nothing asked again"
    fixes = json.loads((build_dir(tmp_path) / "plan" / "fixes.json").read_text("utf-8"))
    assert fix in [f["fix"] for f in fixes["fixes"]]


def test_unusable_reply_is_reasked_once_then_exit_4(fixture_pdf: Path, tmp_path: Path) -> None:
    bad = "Sure, here is the plan! {not json"
    with ScriptedServer(scripted({"agent": "planner.overall", "content": bad, "times": 1})) as srv:
        run(srv, fixture_pdf, tmp_path)
    asked = srv.chat_requests("planner.overall")
    assert len(asked) == 2 and "could not be used" in asked[1].body["messages"][-1]["content"]
    with ScriptedServer(scripted({"agent": "planner.overall", "content": bad})) as srv:
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
                str(tmp_path / "runs2"),
            ],
        )
    assert result.exit_code == 4, result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("error: ") and " — " in line


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


def test_a_coder_reply_that_loops_is_asked_again_shorter_and_warmer(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    """A truncated reply that cannot be asked again bigger (its limit is already half the
    context) is a model repeating itself: the coder asks for a shorter file, warmer."""
    loop = {
        "agent": "coder",
        "contains": "FILE: data.py\n",
        "times": 1,
        "content": "import numpy as np\n" * 50,
        "finish_reason": "length",
    }
    with ScriptedServer(scripted(loop)) as srv:
        build(
            fixture_pdf,
            Settings.resolve(
                {
                    "base_url": srv.base_url,
                    "model": "scripted",
                    "runs_dir": tmp_path / "runs",
                    **AT_THE_CAP,
                },
                {},
            ),
        )
    asked = [r for r in srv.chat_requests("coder") if "FILE: data.py\n" in r.text]
    assert len(asked) == 2
    assert asked[1].body["max_tokens"] == asked[0].body["max_tokens"], "not asked bigger"
    assert asked[1].body["temperature"] > 0
    assert "repeating itself" in asked[1].body["messages"][-1]["content"]


def test_the_small_profiles_plan_turns_are_sent_schemas_with_its_bounds(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    """The 1.5B model spent 120 s of gcn's overall turn listing 19 values the config turn
    lists again; for a small model the schema allows none there."""
    sent, entries, told, steps = {}, {}, {}, {}
    for profile in ("small", "standard"):
        with ScriptedServer(scripted()) as srv:
            settings = {"base_url": srv.base_url, "model": "scripted", "profile": profile}
            build(fixture_pdf, Settings.resolve({**settings, "runs_dir": tmp_path / profile}, {}))
        [asked] = srv.chat_requests("planner.overall")
        schema = asked.body["response_format"]["json_schema"]["schema"]
        sent[profile] = schema["properties"]["hyperparameters"]["maxItems"]
        steps[profile] = (
            schema["properties"]["methodology"]["maxItems"],
            schema["properties"]["methodology"]["items"]["maxLength"],
            schema["properties"]["summary"]["maxLength"],
        )  # gcn's overall turn: 116 s, 1,081 tokens (papers-36)
        said = f"at most {SMALL_LINE} characters" in asked.body["messages"][-1]["content"]
        assert said == (profile == "small")  # the prompt says the bounds the schema sets
        # and its config turn at most SMALL_ENTRIES entries (transformer's 1,583 tokens of
        # assumed scheduler settings, papers-35): the tool adds what the paper states
        [config] = srv.chat_requests("planner.config")
        schema = config.body["response_format"]["json_schema"]["schema"]
        entries[profile] = schema["properties"]["entries"]["maxItems"]
        told[profile] = f"at most {SMALL_ENTRIES}" in config.body["messages"][-1]["content"]
    assert sent["small"] == 0 and sent["standard"] > 0
    assert entries == {"small": SMALL_ENTRIES, "standard": MAX_ENTRIES}
    assert steps == {"small": (8, SMALL_LINE, SMALL_SUMMARY), "standard": (MAX_STEPS, LINE, 1200)}
    assert told == {"small": True, "standard": False}


def test_a_file_whose_every_reply_loops_keeps_the_start_that_parses(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    looping = (
        "```python\nimport numpy as np\n\n\ndef make_data(n):\n    return np.zeros(n)\n\n\n"
        + "def make_data(n):\n    return np.zeros(n)\n\n\n" * 20
        + "def make_da"
    )
    loop = {"agent": "coder", "contains": "FILE: data.py\n", "content": looping}
    loop["finish_reason"] = "length"
    with ScriptedServer(scripted(loop)) as srv:
        settings = {"base_url": srv.base_url, "model": "scripted", "runs_dir": tmp_path / "runs"}
        build(fixture_pdf, Settings.resolve({**settings, **AT_THE_CAP}, {}))
    run_dir = build_dir(tmp_path)
    kept = (run_dir / "repo" / "data.py").read_text("utf-8")
    assert kept == "import numpy as np\n\n\ndef make_data(n):\n    return np.zeros(n)\n"
    fixes = json.loads((run_dir / "plan" / "fixes.json").read_text("utf-8"))["fixes"]
    assert "data.py: every reply looped; kept the first 5 lines" in [f["fix"] for f in fixes]


def test_coded_files_are_linked_and_the_fixes_recorded(fixture_pdf: Path, tmp_path: Path) -> None:
    """main.py written as the 1.5B model writes it: a stub copy of a data.py function and a
    call to another it never imports."""
    main = (SCRIPTED / "code" / "main.py").read_text("utf-8")
    main = main.replace("from data import make_blobs, split\n", "")
    main = main.replace(
        "def load_config(", "def split(*args):\n    raise NotImplementedError\n\n\ndef load_config("
    )
    coder = {"agent": "coder", "contains": "FILE: main.py\n", "content": f"```python\n{main}```"}
    with ScriptedServer(scripted(coder)) as srv:
        run(srv, fixture_pdf, tmp_path)
    run_dir = build_dir(tmp_path)
    linked = (run_dir / "repo" / "main.py").read_text("utf-8")
    assert "def split" not in linked
    assert "from data import make_blobs, split\n" in linked
    fixes = [f["fix"] for f in json.loads((run_dir / "plan" / "fixes.json").read_text())["fixes"]]
    assert "main.py: dropped its copy of `split`, imported from data.py" in fixes
    assert "main.py: added `from data import make_blobs`" in fixes
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=run_dir / "repo", capture_output=True, text=True
    ).stdout
    assert "code: linked the files (2 mechanical fixes)" in log
    prompts = {r.text.split("FILE: ")[1].split()[0]: r.text for r in srv.chat_requests("coder")}
    packages = "the repository's files and these packages: numpy>=1.24, pyyaml>=6.0"
    assert f"{packages}." in prompts["main.py"]
    assert f"{packages}, pytest." in prompts["tests/test_model.py"]
    rules = "In a test file, only imports stand at the top level."
    assert rules in prompts["tests/test_model.py"] and rules not in prompts["main.py"]
    # the plan says tests/test_model.py depends on model.py; it is shown every module written
    # before it too (the entry point aside)
    shown = prompts["tests/test_model.py"].split("use exactly these names")[1]
    assert "# model.py\n" in shown and "# data.py\n" in shown and "def make_blobs(" in shown
    assert "# data.py" not in prompts["model.py"]  # the same wave: written side by side


def test_a_setting_the_plans_config_left_out_is_carried_from_the_paper(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    config = plan_json("config")
    config["entries"] = [e for e in config["entries"] if e["key"] != "training.weight_decay"]
    reply = {"agent": "planner.config", "content": json.dumps(config), "times": 1}
    with ScriptedServer(scripted(reply)) as srv:
        run(srv, fixture_pdf, tmp_path)
    text = (build_dir(tmp_path) / "repo" / "config.yaml").read_text("utf-8")
    assert yaml.safe_load(text)["paper"] == {"weight_decay": 0.0001}
    assert (
        "paper:\n  weight_decay: 0.0001  # Table 1 (stated there; the plan left it out)\n" in text
    )
    fixes = json.loads((build_dir(tmp_path) / "plan" / "fixes.json").read_text("utf-8"))
    assert [f["fix"] for f in fixes["fixes"] if f["turn"] == "config"] == [
        "added paper.weight_decay = 0.0001 (Table 1 (row 'weight decay', column 'Value'))"
    ]


def test_a_stub_the_coder_leaves_is_asked_for_alone(fixture_pdf: Path, tmp_path: Path) -> None:
    """model.py as the 1.5B model writes it: the loss a comment over `pass`."""
    model = (SCRIPTED / "code" / "model.py").read_text("utf-8")
    body = model.split(
        '"""Mean cross-entropy of Eq. 1 and its gradient with respect to the scores."""\n'
    )[1]
    body = body.split("\n\n\n")[0]
    stubbed = model.replace(body, "    # compute the loss of Eq. 1\n    pass")
    coder = {
        "agent": "coder",
        "contains": "FILE: model.py\n",
        "content": f"```python\n{stubbed}```",
    }
    function = "def softmax_cross_entropy(scores, labels):\n" + body + "\n"
    filler = {"agent": "coder.function", "content": f"Here it is:\n```python\n{function}```"}
    with ScriptedServer(scripted(coder, filler)) as srv:
        run(srv, fixture_pdf, tmp_path)
    asked = srv.chat_requests("coder.function")
    assert len(asked) == 1 and "`softmax_cross_entropy` does nothing yet" in asked[0].text
    assert "    # compute the loss of Eq. 1\n    pass" in asked[0].text  # shown the file
    run_dir = build_dir(tmp_path)
    written = (run_dir / "repo" / "model.py").read_text("utf-8")
    assert "def softmax_cross_entropy(scores, labels):\n" + body in written
    fixes = json.loads((run_dir / "plan" / "fixes.json").read_text("utf-8"))["fixes"]
    assert {"turn": "code", "fix": "model.py: asked for softmax_cross_entropy alone",
            "why": "the file's reply left it doing nothing"} in fixes  # fmt: skip


def _asked_alone(
    fixture_pdf: Path, tmp_path: Path, path: str, code: str, answer: str
) -> tuple[RecordedRequest, str, list[dict[str, str]]]:
    """A build whose coder writes `path` as `code` and whose one function asked for alone is
    answered with `answer`: that request, the file written, and the fixes recorded."""
    coder = {"agent": "coder", "contains": f"FILE: {path}\n", "content": f"```python\n{code}```"}
    filler = {"agent": "coder.function", "content": f"```python\n{answer}```"}
    with ScriptedServer(scripted(coder, filler)) as srv:
        run(srv, fixture_pdf, tmp_path)
    [asked] = srv.chat_requests("coder.function")
    run_dir = build_dir(tmp_path)
    fixes = json.loads((run_dir / "plan" / "fixes.json").read_text("utf-8"))["fixes"]
    return asked, (run_dir / "repo" / path).read_text("utf-8"), fixes


def _train_calling_mean_of() -> dict[str, Any]:
    """The coder's rule for train.py, calling `mean_of`, which no file defines."""
    train = (SCRIPTED / "code" / "train.py").read_text("utf-8")
    calling = train.replace(
        "history.append(float(np.mean(losses)))", "history.append(mean_of(losses))"
    )
    assert calling != train
    return {"agent": "coder", "contains": "FILE: train.py\n", "content": f"```python\n{calling}```"}


def test_a_function_the_code_calls_and_no_file_defines_is_asked_for(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    """train.py as the 1.5B model writes it: calling `mean_of`, which no file defines."""
    coder = _train_calling_mean_of()
    function = "def mean_of(losses):\n    return float(np.mean(losses))\n"
    filler = {"agent": "coder.function", "content": f"```python\n{function}```"}
    with ScriptedServer(scripted(coder, filler)) as srv:
        run(srv, fixture_pdf, tmp_path)
    [asked] = srv.chat_requests("coder.function")
    assert "`mean_of` does nothing yet" in asked.text and "def mean_of(losses):" in asked.text
    run_dir = build_dir(tmp_path)
    written = (run_dir / "repo" / "train.py").read_text("utf-8")
    assert written.count("def mean_of(losses):\n    return float(np.mean(losses))\n") == 1
    namespace: dict[str, Any] = {"__name__": "train_check"}
    sys.path.insert(0, str(run_dir / "repo"))
    try:
        exec(compile(written, "train.py", "exec"), namespace)
    finally:
        sys.path.remove(str(run_dir / "repo"))
    assert namespace["mean_of"]([1.0, 3.0]) == 2.0
    fixes = json.loads((run_dir / "plan" / "fixes.json").read_text("utf-8"))["fixes"]
    assert {"turn": "code", "fix": "train.py: asked for mean_of, which it calls",
            "why": "no file defines it"} in fixes  # fmt: skip
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=run_dir / "repo", capture_output=True, text=True
    ).stdout
    assert "code: wrote 1 functions again or anew (the code called them, or they read" in log


def test_a_method_the_code_calls_on_a_class_that_lacks_it_is_asked_for(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    """main.py as the 1.5B model writes it: calling `model.describe()`, which the class
    lacks; the method is written into model.py's class, from the call."""
    main = (SCRIPTED / "code" / "main.py").read_text("utf-8")
    calling = main.replace(
        "    return accuracy(model, x_test, y_test)",
        "    print(model.describe())\n    return accuracy(model, x_test, y_test)",
    )
    assert calling != main
    method = "def describe(self):\n    return f'{self.w1.shape[1]} hidden units'\n"
    asked, _, fixes = _asked_alone(fixture_pdf, tmp_path, "main.py", calling, method)
    assert "`ResidualMLP.describe` does nothing yet" in asked.text
    written = (build_dir(tmp_path) / "repo" / "model.py").read_text("utf-8")
    assert "    def describe(self):\n        return f'{self.w1.shape[1]} hidden units'\n" in written
    namespace: dict[str, Any] = {"__name__": "model_check"}
    exec(compile(written, "model.py", "exec"), namespace)
    assert namespace["ResidualMLP"](3, 5, 2).describe() == "5 hidden units"
    assert {"turn": "code", "fix": "model.py: asked for ResidualMLP.describe, which the code calls",
            "why": "its class lacks it"} in fixes  # fmt: skip


def test_a_function_that_reads_a_data_file_the_repository_lacks_is_asked_for_again(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    """data.py as the 1.5B model wrote t-SNE's: reading points from a file no one has."""
    data = (SCRIPTED / "code" / "data.py").read_text("utf-8")
    reading = data.replace(
        "    rng = np.random.default_rng(seed)\n",
        "    rng = np.random.default_rng(seed)\n    np.loadtxt('blobs.txt')\n",
        1,
    )
    assert reading != data
    whole = data[data.index("def make_blobs(") : data.index("def split(")]
    asked, written, fixes = _asked_alone(fixture_pdf, tmp_path, "data.py", reading, whole)
    assert "`make_blobs` reads a data file, and no data file exists" in asked.text
    assert "loadtxt" not in written and "centres = rng.uniform(" in written
    assert {"turn": "code", "fix": "data.py: asked for make_blobs again",
            "why": "it read a data file, and no data file exists"} in fixes  # fmt: skip


def test_a_called_function_nobody_could_write_stays_undefined(
    fixture_pdf: Path, tmp_path: Path
) -> None:
    coder = _train_calling_mean_of()
    filler = {"agent": "coder.function", "content": "I cannot write that."}
    with ScriptedServer(scripted(coder, filler)) as srv:
        run(srv, fixture_pdf, tmp_path)
    written = (build_dir(tmp_path) / "repo" / "train.py").read_text("utf-8")
    assert (
        f"```python\n{written}```" == coder["content"]
    )  # no stub left behind to hide the undefined name
