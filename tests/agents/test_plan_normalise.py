"""Plan defects with a mechanical fix: fixed, recorded, and then the plan passes its checks."""

from __future__ import annotations

import json

from papercoder.agents import plan_checks as pc
from papercoder.agents.plan import (
    Architecture,
    ConfigEntry,
    ConfigPlan,
    FileLogic,
    FileSpec,
    LogicDesign,
    with_paths,
)
from papercoder.agents.plan_normalise import (
    clean_path,
    normalise_architecture,
    normalise_config,
    normalise_logic,
)


def arch(
    files: list[str], entry: str = "main.py", smoke: str = "python main.py --smoke"
) -> Architecture:
    return Architecture(
        implementation_approach="numpy",
        files=[FileSpec(path=p, purpose=f"the {p}") for p in files],
        entry_point=entry,
        smoke_command=smoke,
    )


def fixes_of(items: list[object]) -> list[str]:
    return [f.fix for f in items]  # type: ignore[attr-defined]  # PlanFix


def test_the_architecture_a_small_model_sent_for_adam_is_fixed() -> None:
    """What the 1.5B model answered for adam: no main.py in the files, tests.py as a module."""
    fixed, fixes = normalise_architecture(arch(["adam.py", "tests.py", "utils.py"]))
    paths = [f.path for f in fixed.files]
    assert "main.py" in paths and "tests.py" not in paths
    assert {"tests/test_adam.py", "tests/test_utils.py"} <= set(paths)
    assert "added the entry point 'main.py' to the files" in fixes_of(fixes)
    assert pc.check_architecture(fixed) == []


def test_paths_are_cleaned_and_duplicates_dropped() -> None:
    fixed, fixes = normalise_architecture(
        arch(["main.py", "my-model.py", "./data.py", "data.py", "/etc/passwd", "../up.py", "w.h5"])
    )
    paths = [f.path for f in fixed.files]
    assert "my_model.py" in paths and paths.count("data.py") == 1
    assert not {"/etc/passwd", "../up.py", "w.h5", "up.py"} & set(paths)
    assert "dropped the second 'data.py'" in fixes_of(fixes)
    assert pc.check_architecture(fixed) == []


def test_tests_move_under_tests_and_missing_ones_are_planned() -> None:
    fixed, _ = normalise_architecture(arch(["main.py", "model.py", "test_model.py"]))
    paths = [f.path for f in fixed.files]
    assert "tests/test_model.py" in paths and "test_model.py" not in paths


def test_entry_point_and_smoke_command_are_made_consistent() -> None:
    fixed, _ = normalise_architecture(arch(["run.py", "model.py"], entry="run", smoke=""))
    assert fixed.entry_point == "run.py" and fixed.smoke_command == "python run.py --smoke"


def test_empty_diagrams_are_tolerated_and_broken_ones_dropped_or_repaired() -> None:
    plain = arch(["main.py"])
    assert pc.check_architecture(normalise_architecture(plain)[0]) == []
    broken = plain.model_copy(
        update={"class_diagram": "class A {", "sequence_diagram": "A->>B: run"}
    )
    fixed, _ = normalise_architecture(broken)
    assert fixed.class_diagram == "" and fixed.sequence_diagram.startswith("sequenceDiagram")


def test_logic_paths_dependencies_cycles_and_order_are_fixed() -> None:
    architecture, _ = normalise_architecture(arch(["main.py", "model.py", "data.py"]))
    logic = LogicDesign(
        files=[
            FileLogic(path="model", responsibilities="m", depends_on=["data", "main.py"]),
            FileLogic(path="data.py", responsibilities="d", depends_on=["model.py", "numpy"]),
            FileLogic(path="main.py", responsibilities="e", depends_on=["model.py", "data.py"]),
            FileLogic(path="ghost.py", responsibilities="g"),
        ],
        task_order=["main.py", "model.py"],
        requirements=["numpy>=1.24", "os", "yaml"],
    )
    fixed, fixes = normalise_logic(logic, architecture)
    graph = {f.path: f.depends_on for f in fixed.files}
    assert "main.py" not in graph["model.py"], "nothing imports the entry point"
    assert pc.find_cycle(graph) == []
    assert fixed.task_order.index("main.py") == len(fixed.task_order) - 1
    assert fixed.requirements == ["numpy>=1.24", "pyyaml"]
    assert "dropped the entry for 'ghost.py'" in fixes_of(fixes)
    assert "task_order derived from the dependency graph" in fixes_of(fixes)
    assert pc.check_logic(fixed, architecture) == []


def test_config_keys_duplicates_and_sources_are_fixed() -> None:
    config = ConfigPlan(
        entries=[
            ConfigEntry(key="learning rate", value=0.001, source="Algorithm 1"),
            ConfigEntry(key="learning_rate", value=0.01, source="Section 2"),
            ConfigEntry(key="model", value=3, source="Table 1"),
            ConfigEntry(key="model.depth", value=3, source=""),
        ]
    )
    fixed, fixes = normalise_config(config)
    assert [(e.key, e.assumption) for e in fixed.entries] == [
        ("learning_rate", False),
        ("model.depth", True),
    ]
    assert "dropped 'model'" in fixes_of(fixes)
    assert pc.check_config(fixed) == []


def test_clean_path() -> None:
    assert clean_path("src\\Models\\my-net.py") == "src/Models/my_net.py"
    assert clean_path("class.py") == "class_.py"
    assert clean_path("utils") == "utils.py"
    assert clean_path("https://x.y/z.py") is None


def test_the_schemas_sent_carry_their_bounds() -> None:
    schema = Architecture.model_json_schema()
    assert schema["properties"]["files"]["maxItems"] > 0
    assert schema["properties"]["implementation_approach"]["maxLength"] > 0
    logic = with_paths(LogicDesign.model_json_schema(), ["main.py", "model.py"])
    text = json.dumps(logic)
    assert '"enum": ["main.py", "model.py"]' in text
    assert logic["properties"]["task_order"]["items"]["enum"] == ["main.py", "model.py"]


def test_an_overlong_answer_is_cut_to_its_bound_not_refused() -> None:
    long = Architecture.model_validate(
        {
            "implementation_approach": "x" * 5000,
            "files": [{"path": f"m{i}.py", "purpose": "p"} for i in range(40)],
            "entry_point": "main.py",
            "smoke_command": "python main.py --smoke",
        }
    )
    limit = Architecture.model_json_schema()["properties"]["files"]["maxItems"]
    assert len(long.files) == limit and len(long.implementation_approach) < 5000


def test_overall_items_that_repeat_the_question_are_dropped() -> None:
    """adam's methodology from the 1.5B model: the prompt's own bullets."""
    from papercoder.agents.plan import OverallPlan
    from papercoder.agents.plan_normalise import normalise_overall
    from papercoder.agents.planner import plan_prompt

    overall = OverallPlan(
        summary="Adam.",
        methodology=[
            "Specify the methodology in at most 8 steps, each one line, precise enough to"
            " implement.",
            "Compute the biased first moment m_t = beta1 * m_{t-1} + (1 - beta1) * g_t.",
            "Compute the biased first moment m_t = beta1 * m_{t-1} + (1 - beta1) * g_t.",
        ],
        experiments=[],
        datasets=[],
        hyperparameters=[],
    )
    fixed, fixes = normalise_overall(overall, plan_prompt("plan_overall_small"))
    assert fixed.methodology == [overall.methodology[1]]
    assert fixes_of(fixes) == ["dropped 2 methodology item(s)"]


def test_numbers_written_as_strings_become_numbers() -> None:
    config = ConfigPlan(
        entries=[
            ConfigEntry(key="a", value="128", source="x"),
            ConfigEntry(key="b", value="1e-8", source="x"),
            ConfigEntry(key="c", value="10^-8", source="x"),
            ConfigEntry(key="d", value="true", source="x"),
            ConfigEntry(key="e", value="adam", source="x"),
            ConfigEntry(key="f", value="10^\u22128", source="x"),  # the minus sign papers print
        ]
    )
    fixed, _ = normalise_config(config)
    assert [e.value for e in fixed.entries] == [128, 1e-8, 1e-8, True, "adam", 1e-8]
    assert "a: 128  # x" in pc.render_config(fixed)
