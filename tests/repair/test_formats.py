"""The edit formats' parsers and appliers on the replies models really send (pure)."""

from __future__ import annotations

import ast
import json

import pytest

from papercoder.agents.repairer import (
    RepairRequest,
    apply_line_edits,
    parse_line_edits,
    repair,
    reply_hash,
)
from papercoder.llm.client import ChatReply, ChatRequest
from papercoder.repair.digest import describe
from papercoder.repair.formats import (
    LineEdit,
    choose_format,
    lines_schema,
    parse_whole,
    whole_file_problem,
)
from papercoder.repair.hints import hint
from papercoder.repair.patch import parse_edits
from papercoder.verify.diagnostics import Diagnostic
from papercoder.verify.report import CheckResult, VerifyReport

BROKEN = "import numpy as np\n\n\ndef relu(x)\n    return np.maximum(x, 0)\n"
FIXED = "import numpy as np\n\n\ndef relu(x):\n    return np.maximum(x, 0)\n"


# whole-file replies


def test_whole_fenced() -> None:
    parsed = parse_whole(f"```python\n{FIXED}```\n", "model.py")
    assert parsed is not None and parsed.text == FIXED and not parsed.truncated


def test_whole_wrapped_in_prose_takes_the_code_block() -> None:
    reply = f"Here is the fixed file:\n\n```python\n{FIXED}```\n\nThe colon was missing."
    parsed = parse_whole(reply, "model.py")
    assert parsed is not None and parsed.text == FIXED


def test_whole_longest_block_wins_over_a_quoted_snippet() -> None:
    reply = f"The error is in:\n```\ndef relu(x)\n```\nFixed:\n```python\n{FIXED}```"
    parsed = parse_whole(reply, "model.py")
    assert parsed is not None and parsed.text == FIXED


def test_whole_bare_code_is_accepted() -> None:
    parsed = parse_whole(FIXED, "model.py")
    assert parsed is not None and parsed.text == FIXED


def test_whole_truncated_reply_is_refused() -> None:
    parsed = parse_whole("```python\nimport numpy as np\n\n\ndef relu(x):\n", "model.py")
    assert parsed is not None and parsed.truncated
    problem = whole_file_problem("model.py", BROKEN, parsed)
    assert problem is not None and "cut off" in problem


def test_whole_echo_of_the_file_is_refused() -> None:
    parsed = parse_whole(f"```python\n{BROKEN}```", "model.py")
    assert parsed is not None
    assert whole_file_problem("model.py", BROKEN, parsed) == (
        "the rewrite is the file as it is: change what the errors point at"
    )


def test_whole_that_does_not_parse_is_refused_with_the_line() -> None:
    parsed = parse_whole(f"```python\n{BROKEN.replace('import numpy', 'import numpy,')}```", "m.py")
    assert parsed is not None
    problem = whole_file_problem("m.py", BROKEN, parsed)
    assert problem is not None and problem.startswith("the rewrite does not parse: line 1")


def test_whole_that_drops_a_definition_or_elides_code_is_refused() -> None:
    before = FIXED + "\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"
    dropped = parse_whole(f"```python\n{FIXED}```", "model.py")
    assert dropped is not None
    assert "drops sigmoid" in (whole_file_problem("model.py", before, dropped) or "")
    elided = parse_whole(f"```python\n{FIXED}\n# rest of the file unchanged\n```", "model.py")
    assert elided is not None
    assert "leaves parts out" in (whole_file_problem("model.py", BROKEN, elided) or "")


def test_whole_config_file_without_fence() -> None:
    parsed = parse_whole("numpy\npyyaml\n", "requirements.txt")
    assert parsed is not None and parsed.text == "numpy\npyyaml\n"
    assert whole_file_problem("requirements.txt", "numpy\n", parsed) is None


def test_whole_prose_only_gives_nothing() -> None:
    assert parse_whole("I cannot see the problem, sorry.", "model.py") is None


# line-range edits


def edits_json(*edits: dict[str, object]) -> str:
    return json.dumps({"edits": list(edits)})


def test_lines_well_formed_applied_bottom_up() -> None:
    files = {"model.py": BROKEN}
    reply = edits_json(
        {"path": "model.py", "start_line": 4, "end_line": 4, "replacement": "def relu(x):"},
        {"path": "model.py", "start_line": 1, "end_line": 0, "replacement": '"""ReLU."""\n'},
    )
    edits, problem = parse_line_edits(reply, set(files))
    assert problem is None
    result = apply_line_edits(files, edits, lambda _: False)
    assert result.files["model.py"] == '"""ReLU."""\n' + FIXED and len(result.applied) == 2


def test_lines_fenced_and_prose_wrapped() -> None:
    inner = edits_json(
        {"path": "model.py", "start_line": 4, "end_line": 4, "replacement": "def relu(x):"}
    )
    for reply in (f"```json\n{inner}\n```", f"Sure! The fix:\n{inner}\nThat adds the colon."):
        edits, problem = parse_line_edits(reply, {"model.py"})
        assert problem is None and edits[0].start_line == 4


def test_lines_truncated_json_is_a_problem() -> None:
    reply = edits_json({"path": "model.py", "start_line": 4, "end_line": 4, "replacement": "x"})
    edits, problem = parse_line_edits(reply[:-10], {"model.py"})
    assert edits == [] and problem is not None and "not JSON" in problem


def test_lines_unknown_path_is_named() -> None:
    reply = edits_json({"path": "src/model.py", "start_line": 1, "end_line": 1, "replacement": ""})
    _, problem = parse_line_edits(reply, {"model.py"})
    assert problem == "no such file: src/model.py (use one of the paths shown)"


def test_lines_overlapping_and_past_the_end_are_refused_with_the_reason() -> None:
    files = {"model.py": BROKEN}
    edits = [
        LineEdit(path="model.py", start_line=4, end_line=5, replacement="def relu(x):\n    pass"),
        LineEdit(path="model.py", start_line=5, end_line=5, replacement="    return x"),
        LineEdit(path="model.py", start_line=6, end_line=9, replacement="# more"),
    ]
    result = apply_line_edits(files, edits, lambda _: False)
    reasons = [r.reason for r in result.rejected]
    assert result.applied == [] and result.files == files
    assert reasons[0] == "lines 4-5 overlap another edit's 5-5"
    assert reasons[1] == "lines 5-5 overlap another edit's 4-5"
    assert reasons[2] == "lines 6-9 run past the end (the file has 5)"


def test_lines_numbers_copied_into_the_replacement_are_stripped() -> None:
    edit = LineEdit(path="model.py", start_line=4, end_line=4, replacement="   4 | def relu(x):")
    result = apply_line_edits({"model.py": BROKEN}, [edit], lambda _: False)
    assert result.files["model.py"] == FIXED


def test_lines_guard_still_refuses_weakening() -> None:
    test = "def test_relu():\n    assert relu(-1) == 0\n"
    edit = LineEdit(path="tests/test_m.py", start_line=2, end_line=2, replacement="    pass")
    result = apply_line_edits({"tests/test_m.py": test}, [edit], lambda _: False)
    assert result.applied == [] and "asserts" in result.rejected[0].reason


def test_lines_schema_carries_the_bounds_and_the_path_enum() -> None:
    schema = lines_schema(["model.py", "main.py"], 40)
    item = schema["properties"]["edits"]["items"]
    assert item["properties"]["path"]["enum"] == ["main.py", "model.py"]
    assert schema["properties"]["edits"]["maxItems"] >= 1
    assert item["properties"]["end_line"]["maximum"] == 40
    assert item["properties"]["replacement"]["maxLength"] > 0


# SEARCH/REPLACE replies


def test_search_replace_echo_of_the_template_gives_no_edit() -> None:
    echoed = "model.py\n<<<<<<< SEARCH\n=======\n>>>>>>> REPLACE\n"
    [edit] = parse_edits(echoed)
    assert edit.search == "" and edit.replace == ""


def test_repeated_replies_hash_alike_whatever_the_whitespace() -> None:
    assert reply_hash("a\n  b\n") == reply_hash("a b") != reply_hash("a c")


@pytest.mark.parametrize(
    ("choice", "small", "expected"),
    [("auto", True, "whole"), ("auto", False, "search-replace"), ("lines", True, "lines")],
)
def test_auto_picks_per_model(choice: str, small: bool, expected: str) -> None:
    assert choose_format(choice, small) == expected  # type: ignore[arg-type]  # a literal


# the agent's conversation, with a double that replies from a queue


class Queue:
    """A ChatModel whose replies are given in order; it records what it was asked."""

    name = "queue"

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.asked: list[ChatRequest] = []

    def complete(self, request: ChatRequest) -> ChatReply:
        self.asked.append(request)
        return ChatReply(content=self.replies.pop(0), finish_reason="stop")


def failing(path: str, line: int, code: str, message: str) -> VerifyReport:
    diag = Diagnostic(check="lint", file=path, line=line, code=code, message=message)
    return VerifyReport(
        repo="r", checks=[CheckResult(name="lint", status="fail", diagnostics=[diag])]
    )


SYNTAX = failing("model.py", 4, "invalid-syntax", "Expected ':'")


def test_a_copied_example_is_refused_then_the_file_is_asked_whole() -> None:
    example = (
        "model.py\n<<<<<<< SEARCH\ndef relu(x):\n=======\nimport numpy as np\n\n\n"
        "def relu(x):\n>>>>>>> REPLACE\n"
    )
    act = BROKEN.replace("relu", "act")
    whole = f"```python\n{FIXED.replace('relu', 'act')}```"
    model = Queue(example, example, example, whole)  # the repeat is asked again, warmer
    request = RepairRequest(report=SYNTAX, files={"model.py": act}, edit_format="search-replace")
    outcome = repair(model, request, lambda _: False)
    assert outcome.formats == ["search-replace", "search-replace", "whole"]
    assert "example" in model.asked[1].messages[-1].content
    assert model.asked[2].temperature > 0 and "whole" not in model.asked[2].messages[-1].content
    assert outcome.result.files["model.py"] == FIXED.replace("relu", "act")


def test_whole_format_targets_the_failing_file_and_reasks_an_unparsable_reply() -> None:
    model = Queue(f"```python\n{BROKEN}```", f"Here:\n```python\n{FIXED}```\nDone.")
    request = RepairRequest(report=SYNTAX, files={"model.py": BROKEN}, edit_format="whole")
    outcome = repair(model, request, lambda _: False)
    assert "`model.py`" in model.asked[0].messages[-1].content
    assert "the rewrite is the file as it is" in model.asked[1].messages[-1].content
    assert outcome.result.files["model.py"] == FIXED


def test_a_reply_seen_in_an_earlier_iteration_is_asked_again_warmer() -> None:
    first = f"```python\n{FIXED.replace('x, 0', 'x, 1')}```"
    model = Queue(first, f"```python\n{FIXED}```")
    request = RepairRequest(
        report=SYNTAX, files={"model.py": BROKEN}, edit_format="whole", seen=[reply_hash(first)]
    )
    outcome = repair(model, request, lambda _: False)
    assert [r.temperature for r in model.asked] == [0.0, 0.7]
    assert outcome.result.files["model.py"] == FIXED


def test_one_shot_asks_once() -> None:
    model = Queue("no code here", f"```python\n{FIXED}```")
    request = RepairRequest(report=SYNTAX, files={"model.py": BROKEN}, edit_format="whole")
    outcome = repair(model, request, lambda _: False, max_calls=1)
    assert len(model.asked) == 1 and outcome.result.applied == []


# hints: what exists where a name is missing

MODEL = (
    "class MLP:\n    def __init__(self):\n        self.params = {}\n\n"
    "    def gradients(self, x):\n        return x\n\n    def predict(self, x):\n        return x\n"
)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('"MLP" has no attribute "backward"  [attr-defined]', "MLP has gradients, params, predict"),
        ("AttributeError: 'MLP' object has no attribute 'gradient'", "did you mean `gradients`?"),
        (
            "ImportError: cannot import name 'make_dataset' from 'data'",
            "did you mean `make_blobs`?",
        ),
        (
            'Module "data" has no attribute "batch"  [attr-defined]',
            "data defines make_blobs, batches",
        ),
        ("KeyError: 'lr'", "config.yaml has the keys learning_rate, training"),
        (
            "KeyError: 'learning_rate'",
            'inside the section `training`, not at the top: pass config["training"] where',
        ),
    ],
)
def test_hints_name_what_exists(message: str, expected: str) -> None:
    files = {
        "model.py": MODEL,
        "data.py": "def make_blobs(n):\n    return n\n\n\ndef batches(x):\n    return x\n",
        "config.yaml": "training:\n  learning_rate: 0.1\n",
    }
    diag = Diagnostic(check="smoke", file="main.py", line=1, code="x", message=message)
    assert expected in (hint(diag, files) or "")


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (
            "abs((((2.1574079513877584 - 2.1574077279523873) / (2 * 1e-06))"
            " - np.float64(1.117176856549368)))",
            "the two sides are 0.111718 and 1.11718: one is 10 times the other",
        ),
        ("abs((np.float64(0.5) - 0.75))", "the two sides are 0.5 and 0.75"),
        ("abs((tensor(3.0) - -1.5))", "the two sides are 3 and -1.5: one is 2 times the other"),
    ],
)
def test_a_closeness_assertion_says_both_sides_and_their_factor(where: str, expected: str) -> None:
    message = f"t.test_g: assert np.float64(1.0054) < 1e-05 (where np.float64(1.0054) = {where})"
    diag = Diagnostic(
        check="tests", file="tests/test_m.py", line=9, code="test-failure", message=message
    )
    found = hint(diag, {}) or ""
    assert found.startswith(expected)
    assert ("times the other" in found) == ("times" in expected)


def test_a_prompt_shows_the_where_row_only_through_its_hint() -> None:
    message = (
        "t.test_g: assert np.float64(1.0) < 1e-05 (where np.float64(1.0) ="
        " abs((np.float64(0.2) - np.float64(2.0))))"
    )
    diag = Diagnostic(
        check="tests", file="tests/t.py", line=3, code="test-failure", message=message
    )
    shown = describe(diag, {})
    assert shown.startswith("- [tests] tests/t.py:3 test-failure: t.test_g: assert np.float64(1.0)")
    assert "(where" not in shown and "one is 10 times the other" in shown


def test_a_broadcast_of_a_row_reduction_says_keepdims() -> None:
    message = "ValueError: operands could not be broadcast together with shapes (2,3) (2,)"
    diag = Diagnostic(check="tests", file="model.py", line=9, code="test-failure", message=message)
    assert "`keepdims=True` keeps it, as (2, 1)" in (hint(diag, {}) or "")
    other = message.replace("(2,)", "(4,)")
    assert hint(diag.model_copy(update={"message": other}), {}) is None


def test_no_factor_for_an_expression_of_names_or_calls() -> None:
    message = "t.test_g: assert 2 < 1 (where 2 = abs((f(x) - 1.0)))"
    diag = Diagnostic(
        check="tests", file="tests/test_m.py", line=9, code="test-failure", message=message
    )
    assert hint(diag, {}) is None


def test_no_hint_for_what_the_repository_does_not_define() -> None:
    diag = Diagnostic(
        check="smoke", message="AttributeError: 'ndarray' object has no attribute 'x'"
    )
    assert hint(diag, {"model.py": MODEL}) is None


def test_after_an_iteration_that_changed_nothing_the_question_narrows() -> None:
    lint = Diagnostic(check="lint", file="model.py", line=4, code="E999", message="Expected ':'")
    test = Diagnostic(check="tests", file="tests/t.py", line=2, code="test-failure", message="x")
    report = VerifyReport(
        repo="r",
        checks=[
            CheckResult(name="lint", status="fail", diagnostics=[lint]),
            CheckResult(name="tests", status="fail", diagnostics=[test]),
        ],
    )
    files = {"model.py": BROKEN, "tests/t.py": "def test_x():\n    assert 1 == 2\n"}
    note = "Your previous reply changed nothing. Fix only the first failure now."
    model = Queue(f"```python\n{FIXED}```")
    request = RepairRequest(report=report, files=files, edit_format="whole", narrow=True, note=note)
    repair(model, request, lambda _: False)
    prompt = model.asked[0].messages[-1].content
    assert "Expected ':'" in prompt and "test-failure" not in prompt
    assert prompt.rstrip().endswith(note)


def test_a_module_that_is_not_installed_points_at_requirements() -> None:
    diag = Diagnostic(check="tests", message="ModuleNotFoundError: No module named 'yaml'")
    found = hint(diag, {"main.py": "import yaml\n", "requirements.txt": "numpy\n"})
    assert found == (
        "yaml is a package to install: add `pyyaml` to requirements.txt (it lists numpy)"
    )


def test_requirements_list_what_the_code_imports() -> None:
    from papercoder.requirements import missing_requirements

    files = {
        "main.py": "import yaml\nimport numpy as np\nimport os\nfrom model import MLP\n",
        "model.py": "from sklearn.linear_model import Ridge\nimport pytest\n",
        "requirements.txt": "numpy>=1.24\n",
    }
    assert missing_requirements(files) == ["pyyaml", "scikit-learn"]


def test_each_warmer_reask_is_a_new_question_so_the_cache_cannot_repeat_itself() -> None:
    same = f"```python\n{BROKEN}```"
    asked = []
    for seen in ([reply_hash(same)], [reply_hash(same), "0" * 16]):
        model = Queue(same, f"```python\n{FIXED}```")
        request = RepairRequest(
            report=SYNTAX, files={"model.py": BROKEN}, edit_format="whole", seen=seen
        )
        repair(model, request, lambda _: False)
        asked.append(model.asked[1])
    assert asked[0].key("m") != asked[1].key("m")


def test_a_call_with_the_wrong_arguments_is_told_the_signature_it_calls() -> None:
    files = {"train.py": "def train(model, x, y, cfg, seed=0):\n    pass\n"}
    for message in (
        'Missing positional argument "cfg" in call to "train"',
        "TypeError: train() missing 1 required positional argument: 'cfg'",
        "TypeError: train() takes from 4 to 5 positional arguments but 6 were given",
    ):
        diag = Diagnostic(check="smoke", file="main.py", line=3, message=message)
        assert hint(diag, files) == "it is defined as `def train(model, x, y, cfg, seed=0)`"
    twice = {**files, "other.py": "def train(a):\n    pass\n"}
    assert hint(diag, twice) is None  # which one is called takes thought


@pytest.mark.parametrize(
    "message",
    [
        "ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc"
        " signature (n?,k),(k,m?)->(n?,m?) (size 8 is different from 4)",
        "ValueError: shapes (32,4) and (8,4) not aligned: 4 (dim 1) != 8 (dim 0)",
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (32x4 and 8x4)",
    ],
)
def test_a_matrix_product_of_mismatched_shapes_says_which_dimension(message: str) -> None:
    diag = Diagnostic(check="smoke", file="model.py", line=3, message=message)
    assert hint(diag, {}) == (
        "in `a @ b`, b has 8 rows where a has 4 columns: b was made with its dimensions swapped"
        " (e.g. size=(out, in) where (in, out) is meant); fix it where b is made"
    )


def test_a_call_missing_an_argument_the_caller_holds_by_name_is_shown_filled_in() -> None:
    files = {
        "train.py": "def train(model, x, y, cfg, seed=0):\n    pass\n",
        "main.py": (
            "def main(cfg):\n    x, y = load()\n    model = make()\n"
            "    losses = train(model, x, cfg)\n\n\ndef other(model, x):\n"
            "    return train(model, x)\n"
        ),
    }
    diag = Diagnostic(
        check="smoke",
        file="main.py",
        line=4,
        message="TypeError: train() missing 1 required positional argument: 'cfg'",
    )
    assert hint(diag, files) == (
        "it is defined as `def train(model, x, y, cfg, seed=0)`;"
        " did you mean `train(model, x, y, cfg)`?"
    )
    # arguments missing that no variable of the caller is named like: no guess
    two = diag.model_copy(update={"line": 8})
    assert hint(two, files) == "it is defined as `def train(model, x, y, cfg, seed=0)`"
    method = {
        "model.py": "class MLP:\n    def fit(self, x, labels):\n        pass\n",
        "main.py": "def main(net, x, labels):\n    net.fit(x)\n",
    }
    message = 'Missing positional argument "labels" in call to "fit" of "MLP"'
    call = Diagnostic(check="types", file="main.py", line=2, message=message)
    assert (hint(call, method) or "").endswith("did you mean `net.fit(x, labels)`?")


def test_a_call_passing_what_the_function_has_no_parameter_for_is_shown_without_it() -> None:
    """gcn's main.py passed five arguments to `def train_model()`, mypy said "Too many
    arguments", and eight iterations went by."""
    files = {
        "train.py": (
            "def train_model():\n    pass\n\n\n"
            "def evaluate(model, data, *, verbose=False):\n    pass\n\n\n"
            "def log(*values):\n    pass\n"
        ),
        "main.py": (
            "def main(model, data, config):\n"
            "    train_model(model, data, config['epochs'], config['lr'])\n"
            "    evaluate(model, data, config, verbose=True, temperature=2)\n"
            "    log(model, data, temperature=2)\n"
        ),
    }

    def said(line: int, message: str) -> str | None:
        return hint(Diagnostic(check="types", file="main.py", line=line, message=message), files)

    assert said(2, 'Too many arguments for "train_model"  [call-arg]') == (
        "it is defined as `def train_model()`; did you mean `train_model()`?"
    )
    assert said(3, 'Unexpected keyword argument "temperature" for "evaluate"') == (
        "it is defined as `def evaluate(model, data, *, verbose=False)`;"
        " did you mean `evaluate(model, data, verbose=True)`?"
    )
    assert said(4, 'Unexpected keyword argument "temperature" for "log"') == (
        "it is defined as `def log(*values)`; did you mean `log(model, data)`?"
    )


@pytest.mark.parametrize(
    ("definition", "call", "bound"),
    [
        ("def f(a, b=1): ...", "f(1)", True),
        ("def f(a, b=1): ...", "f(1, 2, 3)", False),
        ("def f(a, b=1): ...", "f(b=2)", False),  # a is missing
        ("def f(a, /, b): ...", "f(a=1, b=2)", False),  # a is positional-only
        ("def f(a, *, k): ...", "f(1)", False),  # k has no default
        ("def f(a, *, k): ...", "f(1, k=2)", True),
        ("def f(*args, **kw): ...", "f(1, 2, x=3)", True),
        ("def f(self, a): ...", "f(1)", True),  # a method called on its object
        ("def f(a): ...", "f(*xs)", True),  # a starred argument could be anything
        ("def f(a): ...", "f(1, a=1)", False),
    ],
)
def test_whether_a_call_binds_to_a_definition(definition: str, call: str, bound: bool) -> None:
    from papercoder.repair.hints import binds

    function = ast.parse(definition).body[0]
    expression = ast.parse(call).body[0]
    assert isinstance(function, ast.FunctionDef) and isinstance(expression, ast.Expr)
    assert isinstance(expression.value, ast.Call)
    assert binds(expression.value, function) is bound


def test_an_attribute_only_a_later_method_sets_or_a_parameter_not_kept_is_said_so() -> None:
    """Told "Model has learning_rate, ..., t (did you mean `t`?)" for a missing `self.t`
    that only step sets (`self.t += 1`), the 1.5B model changed nothing."""
    model = (
        "class Model:\n    def __init__(self, config):\n        self.rate = 1\n\n"
        "    def step(self):\n        self.t += 1\n        return self.config\n"
    )
    files = {"model.py": model}

    def said(name: str) -> str:
        message = f'"Model" has no attribute "{name}"  [attr-defined]'
        return (
            hint(Diagnostic(check="types", file="model.py", line=6, message=message), files) or ""
        )

    assert (
        said("t")
        == "only `step` sets `self.t`, after it is read: set its starting value in `__init__`"
    )
    assert (
        said("config")
        == "`__init__` takes `config` and does not keep it: add `self.config = config` there"
    )
    assert said("rte") == "Model has rate, step, t (did you mean `rate`?)"
