from __future__ import annotations

import pytest
import yaml

from papercoder.agents import plan_checks as pc
from papercoder.agents.plan import Architecture, ConfigEntry, ConfigPlan, LogicDesign
from tests.pipeline.conftest import plan_json


def arch(**change: object) -> Architecture:
    return Architecture.model_validate({**plan_json("architecture"), **change})


def logic(**change: object) -> LogicDesign:
    return LogicDesign.model_validate({**plan_json("logic"), **change})


def test_the_fixture_plan_is_clean() -> None:
    assert pc.check_architecture(arch()) == []
    assert pc.check_logic(logic(), arch()) == []
    assert pc.check_config(ConfigPlan.model_validate(plan_json("config"))) == []


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/etc/x.py", "relative"),
        ("../x.py", "inside the repository"),
        ("a/../b.py", "inside"),
        ("my-module.py", "importable"),
        ("class.py", "importable"),
        ("data.exe", "unexpected type"),
        ("C:/x.py", "relative"),
    ],
)
def test_bad_paths(path: str, problem: str) -> None:
    assert any(problem in p for p in pc.check_path(path))


def test_good_paths() -> None:
    for path in ("main.py", "pkg/model.py", "tests/test_model.py", "config.yaml"):
        assert pc.check_path(path) == []


def test_entry_point_and_smoke_command() -> None:
    assert any("entry point" in p for p in pc.check_architecture(arch(entry_point="run.py")))
    assert any("no smoke command" in p for p in pc.check_architecture(arch(smoke_command=" ")))
    assert any(
        "does not run" in p for p in pc.check_architecture(arch(smoke_command="python other.py"))
    )


def test_core_module_needs_a_tests_file() -> None:
    files = [f for f in plan_json("architecture")["files"] if f["path"] != "tests/test_model.py"]
    assert "core module 'model.py' has no tests file 'tests/test_model.py'" in (
        pc.check_architecture(arch(files=files))
    )


def test_mermaid() -> None:
    assert pc.check_mermaid("classDiagram\n class A {\n }", "classDiagram") == []
    assert pc.check_mermaid("```mermaid\nsequenceDiagram\n A->>B: x\n```", "sequenceDiagram") == []
    assert any("must start" in p for p in pc.check_mermaid("class A {\n}", "classDiagram"))
    assert any(
        "unbalanced" in p for p in pc.check_mermaid("classDiagram\nclass A {", "classDiagram")
    )


def test_diagram_classes_must_map_to_files() -> None:
    diagram = plan_json("architecture")["class_diagram"] + "\n  class Ghost {\n  }"
    assert pc.diagram_gaps(logic(), arch(class_diagram=diagram)) == [
        "class 'Ghost' of the class diagram is defined in no file"
    ]
    assert pc.check_logic(logic(), arch(class_diagram=diagram)) == [], "a note, not a re-ask"


def test_cycles_and_unknown_dependencies() -> None:
    files = plan_json("logic")["files"]
    files[0]["depends_on"] = ["main.py"]
    files[1]["depends_on"] = ["nowhere.py"]
    problems = pc.check_logic(logic(files=files), arch())
    assert any(
        p.startswith("the dependency graph has a cycle: data.py -> main.py -> data.py")
        for p in problems
    )
    assert "'model.py' depends on 'nowhere.py', which is not a file" in problems


def test_logic_must_match_the_file_list() -> None:
    files = [f for f in plan_json("logic")["files"] if f["path"] != "train.py"]
    problems = pc.check_logic(logic(files=files), arch())
    assert "file 'train.py' has no entry in the logic design" in problems


def test_find_cycle_and_waves() -> None:
    graph = {"a": [], "b": ["a"], "c": ["a", "b"], "d": []}
    assert pc.find_cycle(graph) == []
    assert pc.waves(graph) == [["a", "d"], ["b"], ["c"]]
    assert pc.find_cycle({"x": ["y"], "y": ["x"]}) == ["x", "y", "x"]
    with pytest.raises(ValueError, match="cycle"):
        pc.waves({"x": ["y"], "y": ["x"]})


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("NumPy>=1.24", "numpy>=1.24"),
        ("yaml", "pyyaml"),
        ("torch == 2.3.0", "torch==2.3.0"),
        ("scikit_learn", "scikit-learn"),
        ("sklearn>=1", "scikit-learn>=1"),
    ],
)
def test_requirements_normalised(given: str, normal: str) -> None:
    assert pc.normalise_requirement(given) == normal


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("os", "standard library"),
        ("numpy >>= 1", "not a valid"),
        ("pkg @ https://x.invalid/p.whl", "URL"),
    ],
)
def test_bad_requirements(given: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        pc.normalise_requirement(given)


def test_config_renders_with_sources_and_parses() -> None:
    config = ConfigPlan(
        entries=[
            ConfigEntry(key="training.lr", value=0.05, source="Table 1"),
            ConfigEntry(key="training.epochs", value=30, source="Table 1"),
            ConfigEntry(key="seed", value=0, source="", assumption=True),
            ConfigEntry(key="name", value="blobs: easy", source="Section 3"),
        ]
    )
    text = pc.render_config(config)
    assert yaml.safe_load(text) == {
        "training": {"lr": 0.05, "epochs": 30},
        "seed": 0,
        "name": "blobs: easy",
    }
    assert "lr: 0.05  # Table 1" in text and "seed: 0  # assumption" in text


def test_config_problems() -> None:
    config = ConfigPlan(
        entries=[
            ConfigEntry(key="a", value=1, source="T1"),
            ConfigEntry(key="a.b", value=2, source="T1"),
            ConfigEntry(key="bad key", value=1, source="T1"),
            ConfigEntry(key="c", value=1, source=""),
        ]
    )
    problems = pc.check_config(config)
    assert "config key 'a' is both a value and a section" in problems
    assert "config key 'bad key' must be dotted identifiers" in problems
    assert "config key 'c' has no source; mark it as an assumption" in problems
