"""A full build of the fixture paper against the scripted server."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from papercoder.agents import plan_checks
from papercoder.agents.coder import extract_python
from papercoder.pipeline import BuildResult
from papercoder.repo import GitRepo, interfaces
from papercoder.run import build as run_build
from papercoder.runstore import RunStore, StageState, read_jsonl
from papercoder.settings import Settings
from papercoder.testing import ScriptedServer
from tests.pipeline.conftest import SCRIPTED, plan_json

FILES = [
    "data.py",
    "model.py",
    "train.py",
    "main.py",
    "tests/test_data.py",
    "tests/test_model.py",
    "tests/test_train.py",
]


def build(paper: Path, settings: Settings) -> tuple[BuildResult, RunStore]:
    """Generation only, through the library's entry point."""
    outcome = run_build(paper, settings, verify=False)
    return outcome.build, RunStore.open(outcome.run_dir)


def settings(srv: ScriptedServer, tmp: Path, **extra: object) -> Settings:
    return Settings.resolve(
        {"base_url": srv.base_url, "model": "scripted", "runs_dir": tmp / "runs", **extra}, {}
    )


def test_full_build(server: ScriptedServer, fixture_pdf: Path, tmp_path: Path) -> None:
    result, store = build(fixture_pdf, settings(server, tmp_path))
    repo = Path(result.repo)
    assert sorted(result.files) == sorted(FILES)
    for path in FILES:
        raw = (SCRIPTED / "code" / path).read_text("utf-8")
        written = (repo / path).read_text("utf-8")
        assert written == extract_python(raw), f"{path} must be the scripted reply"
        compile(written, path, "exec")
    for artifact in ("overall_plan.md", "architecture.json", "logic.json", "config.yaml"):
        assert (store.root / "plan" / artifact).is_file()
    config = yaml.safe_load((repo / "config.yaml").read_text("utf-8"))
    assert config["training"]["learning_rate"] == 0.05 and config["smoke"]["epochs"] == 3
    assert "# Table 1" in (repo / "config.yaml").read_text("utf-8")
    assert (repo / "requirements.txt").read_text("utf-8").split() == ["numpy>=1.24", "pyyaml>=6.0"]
    assert 'smoke = "python main.py --smoke"' in (repo / "pyproject.toml").read_text("utf-8")
    assert sorted(p.name for p in (store.root / "analysis").rglob("*.md")) == sorted(
        Path(f).name + ".md" for f in FILES
    )
    calls = read_jsonl(store.calls_path)
    assert len(calls) == 4 + 7 + 7 and {c["outcome"] for c in calls} == {"ok"}
    manifest = RunStore.open(store.root).manifest
    assert all(manifest.stages[s] is StageState.DONE for s in ("ingest", "plan", "analyse", "code"))
    assert GitRepo(repo).log() == [
        "code: 7 files written from the plan",
        "plan: config.yaml, requirements.txt and README from the paper's plan",
    ]


def test_each_coder_request_holds_the_interfaces_of_its_dependencies_and_earlier_modules(
    server: ScriptedServer, fixture_pdf: Path, tmp_path: Path
) -> None:
    result, _ = build(fixture_pdf, settings(server, tmp_path))
    logic = plan_json("logic")
    deps = {f["path"]: f["depends_on"] for f in logic["files"]}
    entry = plan_json("architecture")["entry_point"]
    waves = plan_checks.waves(deps)
    wave_of = {path: i for i, wave in enumerate(waves) for path in wave}
    seen = set()
    for request in server.chat_requests("coder"):
        task = request.body["messages"][-1]["content"]
        path = re.search(r"FILE: (\S+)", task)
        assert path is not None
        file = path.group(1)
        section = task.split("The interfaces of the repository files it imports")[1]
        section = section.split("Write the complete file")[0]
        headers = re.findall(r"^# (\S+\.py)$", section, re.M)
        # its planned dependencies, then every module of an earlier wave that is neither the
        # entry point nor a test
        earlier = {
            p
            for p, i in wave_of.items()
            if i < wave_of[file] and p != entry and not p.startswith("tests/")
        }
        assert sorted(headers) == sorted(set(deps[file]) | earlier), file
        assert len(headers) == len(set(headers)), file
        for dep in headers:
            assert interfaces((Path(result.repo) / dep).read_text("utf-8")) in section
        seen.add(file)
    assert seen == set(FILES)
    # the fixture's plan has a file that sees more than its planned dependencies
    assert any(
        {p for p, i in wave_of.items() if i < wave_of[f] and p != entry} - set(d)
        for f, d in deps.items()
    )


def test_per_file_prompts_share_a_byte_identical_prefix(
    server: ScriptedServer, fixture_pdf: Path, tmp_path: Path
) -> None:
    build(fixture_pdf, settings(server, tmp_path))
    per_file = server.chat_requests("analyst") + server.chat_requests("coder")
    prefixes = {tuple(str(m["content"]) for m in r.body["messages"][:2]) for r in per_file}
    assert len(prefixes) == 1
    assert "Tiny Residual MLPs" in prefixes.pop()[1]


def test_rerun_sends_nothing(server: ScriptedServer, fixture_pdf: Path, tmp_path: Path) -> None:
    build(fixture_pdf, settings(server, tmp_path))
    sent = len(server.chat_requests())
    again, _ = build(fixture_pdf, settings(server, tmp_path))
    assert len(server.chat_requests()) == sent
    assert len(again.files) == 7


def test_cached_calls_are_not_paid_for_twice(
    server: ScriptedServer, fixture_pdf: Path, tmp_path: Path
) -> None:
    first, store = build(fixture_pdf, settings(server, tmp_path))
    for stage in ("analyse", "code"):
        store.set_stage(stage, StageState.PENDING)
    for path in FILES:
        (Path(first.repo) / path).unlink()
    sent = len(server.chat_requests())
    build(fixture_pdf, settings(server, tmp_path))
    assert len(server.chat_requests()) == sent, "recoding from the cache costs no request"
    assert sum(c["outcome"] == "cached" for c in read_jsonl(store.calls_path)) == 7
