from __future__ import annotations

import pytest

from papercoder.repair.patch import Edit, apply_edits, nearest_lines, parse_edits, replace_once

MODEL = "import numpy as np\n\n\ndef double(x):\n    y = x * 2\n    return y\n"
TEST = "from model import double\n\n\ndef test_double():\n    assert double(2) == 4\n"


def block(path: str, search: str, replace: str) -> str:
    return f"{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def test_parse_several_blocks_with_fences_and_prose() -> None:
    reply = (
        "Here is the fix.\n\n"
        + block("model.py", "    y = x * 2\n", "    y = x * 3\n")
        + "\nand\n```python\n"
        + block("pkg/new.py", "", "X = 1\n")
        + "```\n"
    )
    edits = parse_edits(reply)
    assert [e.path for e in edits] == ["model.py", "pkg/new.py"]
    assert edits[0].search == "    y = x * 2\n" and edits[1].search == ""


def test_exact_then_whitespace_tolerant_match() -> None:
    assert replace_once(MODEL, "    y = x * 2\n", "    y = x * 3\n") == MODEL.replace("2", "3", 1)
    fuzzy = replace_once(MODEL, "y = x  *  2\nreturn y\n", "y = x * 3\nreturn y\n")
    assert fuzzy is not None and "    y = x * 3\n    return y\n" in fuzzy


def test_unmatched_block_comes_back_with_the_nearest_lines() -> None:
    result = apply_edits(
        {"model.py": MODEL}, [Edit(path="model.py", search="    z = x * 2\n", replace="")]
    )
    [rejection] = result.rejected
    assert "match nothing" in rejection.reason
    assert "   5 |     y = x * 2" in rejection.nearest
    assert "   5 |     y = x * 2" in nearest_lines(MODEL, "z = x * 2")


def test_new_file_and_whole_file_rewrite() -> None:
    result = apply_edits(
        {"model.py": MODEL},
        [
            Edit(path="util.py", search="", replace="A = 1\n"),
            Edit(path="model.py", search="", replace="B = 2\n"),
        ],
    )
    assert result.files["util.py"] == "A = 1\n" and result.files["model.py"] == "B = 2\n"
    big = "x = 1\n" * 300
    refused = apply_edits({"big.py": big}, [Edit(path="big.py", search="", replace="y = 1\n")])
    assert "whole-file rewrites" in refused.rejected[0].reason


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (Edit(path="../outside.py", search="", replace="x = 1\n"), "leaves the repository"),
        (Edit(path="/etc/passwd", search="", replace="x\n"), "leaves the repository"),
        (
            Edit(
                path="model.py", search="    y = x * 2\n", replace="    y = x * 2  # type: ignore\n"
            ),
            "type: ignore",
        ),
        (
            Edit(
                path="model.py", search="    y = x * 2\n", replace="    y = x * 2  # noqa: F821\n"
            ),
            "noqa",
        ),
        (
            Edit(
                path="tests/test_model.py",
                search="def test_double():\n",
                replace="@pytest.mark.skip\ndef test_double():\n",
            ),
            "pytest.skip",
        ),
        (
            Edit(
                path="tests/test_model.py",
                search="def test_double():\n",
                replace="@pytest.mark.xfail\ndef test_double():\n",
            ),
            "xfail",
        ),
        (
            Edit(
                path="tests/test_model.py",
                search="    assert double(2) == 4\n",
                replace="    pass\n",
            ),
            "deleting asserts",
        ),
        (
            Edit(path="tests/test_model.py", search="", replace="from model import double\n"),
            "deleting tests",
        ),
        (
            Edit(path="pyproject.toml", search="", replace="[tool.mypy]\nignore_errors = true\n"),
            "configures the checks",
        ),
        (Edit(path="mypy.ini", search="", replace="[mypy]\n"), "configures the checks"),
    ],
)
def test_guards_refuse_edits_that_escape_or_weaken(edit: Edit, reason: str) -> None:
    files = {"model.py": MODEL, "tests/test_model.py": TEST, "pyproject.toml": ""}
    result = apply_edits(files, [edit])
    assert result.applied == [] and reason in result.rejected[0].reason
    assert result.files == files


def test_symlinked_paths_are_refused() -> None:
    result = apply_edits(
        {},
        [Edit(path="link/x.py", search="", replace="x = 1\n")],
        is_link=lambda p: p.startswith("link/"),
    )
    assert "symbolic link" in result.rejected[0].reason


def test_adding_a_test_and_an_assert_is_fine() -> None:
    edit = Edit(
        path="tests/test_model.py",
        search="    assert double(2) == 4\n",
        replace="    assert double(2) == 4\n    assert double(0) == 0\n",
    )
    assert apply_edits({"tests/test_model.py": TEST}, [edit]).applied == [edit]


def test_small_model_habits_are_undone() -> None:
    reply = (
        "path/to/model.py\n<<<<<<< SEARCH\n   5 |     y = x * 2\n=======\n"
        "   5 |     y = x * 3\n>>>>>>> REPLACE\n"
    )
    result = apply_edits({"model.py": MODEL}, parse_edits(reply))
    assert result.rejected == [] and "    y = x * 3\n" in result.files["model.py"]


def test_unknown_file_comes_back_with_the_file_list() -> None:
    result = apply_edits({"model.py": MODEL}, [Edit(path="nope.py", search="x\n", replace="y\n")])
    assert "no such file" in result.rejected[0].reason and "model.py" in result.rejected[0].nearest


def test_a_copied_example_path_is_resolved_by_the_lines_it_quotes() -> None:
    reply = (
        "path/to/file.py\n<<<<<<< SEARCH\n    y = x * 2\n=======\n    y = x * 3\n>>>>>>> REPLACE\n"
    )
    result = apply_edits({"model.py": MODEL, "other.py": "z = 1\n"}, parse_edits(reply))
    assert [e.path for e in result.applied] == ["model.py"]


def test_a_whole_file_in_a_fence_is_a_rewrite() -> None:
    reply = "Fixed:\n\nmodel.py\n```python\ndef double(x):\n    return 2 * x\n```\n"
    [edit] = parse_edits(reply)
    assert edit.path == "model.py" and edit.search == ""
    assert edit.replace == "def double(x):\n    return 2 * x\n"


def test_an_edit_that_changes_nothing_is_refused() -> None:
    same = Edit(path="model.py", search="    y = x * 2\n", replace="    y = x * 2\n")
    whole = Edit(path="model.py", search="", replace=MODEL)
    result = apply_edits({"model.py": MODEL}, [same, whole])
    assert result.applied == []
    assert [r.reason.split(":")[0] for r in result.rejected] == [
        "the edit changes nothing",
        "the rewrite is the file as it is",
    ]
