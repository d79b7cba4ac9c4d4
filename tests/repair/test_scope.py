"""The function a failure points into, asked for alone before the whole file."""

from __future__ import annotations

from papercoder.agents.repairer import RepairRequest, repair
from papercoder.repair.scope import MARK, find_scope, replace_scope
from papercoder.verify.diagnostics import Diagnostic
from papercoder.verify.report import CheckResult, VerifyReport
from tests.repair.test_formats import Queue

TRAIN = '''"""Training."""

from model import MLP


def train(model: MLP, x: list[float], epochs: int) -> float:
    loss = 0.0
    for _ in range(epochs):
        loss = model.backward(x)
    return loss


def evaluate(model: MLP) -> float:
    return model.score()
'''
MODEL = """class MLP:
    def gradients(self, x: list[float]) -> float:
        return sum(x)

    def score(self) -> float:
        return 1.0


def softmax(z: list[float]) -> list[float]:
    total = sum(z)
    return [v / total for v in z]
"""
TEST = """from model import softmax


def test_softmax_sums_to_one() -> None:
    out = softmax([1.0, 2.0])
    assert abs(sum(out) - 2.0) < 1e-9
"""
FILES = {"train.py": TRAIN, "model.py": MODEL, "tests/test_model.py": TEST}
ATTRIBUTE = Diagnostic(
    check="types", file="train.py", line=9, code="attr-defined",
    message='"MLP" has no attribute "backward"',
)  # fmt: skip


def report(*diags: Diagnostic) -> VerifyReport:
    checks = [CheckResult(name=d.check, status="fail", diagnostics=[d]) for d in diags]
    return VerifyReport(repo="r", checks=checks)


def test_the_scope_is_the_innermost_function_with_the_failing_line_marked() -> None:
    scope = find_scope(report(ATTRIBUTE), FILES)
    assert scope is not None
    assert (scope.path, scope.name, scope.start, scope.end, scope.line) == (
        "train.py",
        "train",
        6,
        10,
        9,
    )
    marked = scope.marked(FILES).splitlines()
    assert marked[3] == f"        loss = model.backward(x)  {MARK}attr-defined: {ATTRIBUTE.message}"
    assert MARK not in "".join(marked[:3] + marked[4:])


def test_a_method_is_its_own_scope_and_module_level_code_or_a_syntax_error_has_none() -> None:
    in_method = ATTRIBUTE.model_copy(update={"file": "model.py", "line": 3})
    scope = find_scope(report(in_method), FILES)
    assert scope is not None and (scope.name, scope.start, scope.end) == ("gradients", 2, 3)
    top = ATTRIBUTE.model_copy(update={"line": 3})
    assert find_scope(report(top), FILES) is None
    broken = {**FILES, "train.py": TRAIN.replace("def train(", "def train(:")}
    assert find_scope(report(ATTRIBUTE), broken) is None


def test_a_failing_assertion_scopes_the_function_the_test_calls_with_the_test_beside_it() -> None:
    failing = Diagnostic(
        check="tests", file="tests/test_model.py", line=6, code="test-failure",
        message="AssertionError: assert 1.0 < 1e-09",
    )  # fmt: skip
    scope = find_scope(report(failing), FILES)
    assert scope is not None and (scope.path, scope.name, scope.line) == (
        "model.py",
        "softmax",
        None,
    )
    assert "def test_softmax_sums_to_one" in scope.test


def test_the_reply_replaces_the_function_reindented_and_unmarked() -> None:
    scope = find_scope(report(ATTRIBUTE.model_copy(update={"file": "model.py", "line": 3})), FILES)
    assert scope is not None
    reply = f"def gradients(self, x: list[float]) -> float:\n    return 2 * sum(x)  {MARK}gone\n"
    updated = replace_scope(FILES, scope, reply)
    assert updated == MODEL.replace("return sum(x)", "return 2 * sum(x)")


def test_whole_format_asks_for_the_function_first_and_applies_it() -> None:
    fixed = "```python\n" + TRAIN.split("\n\n\n")[1].replace("backward", "gradients") + "\n```"
    model = Queue(fixed)
    request = RepairRequest(report=report(ATTRIBUTE), files=FILES, edit_format="whole")
    outcome = repair(model, request, lambda _: False)
    prompt = model.asked[0].messages[-1].content
    assert (
        "`train` in `train.py`" in prompt and MARK in prompt and "Interface of model.py" in prompt
    )
    assert outcome.result.files["train.py"] == TRAIN.replace("backward", "gradients")
    assert len(model.asked) == 1


def test_an_echoed_or_foreign_function_is_refused_then_the_file_is_asked_whole() -> None:
    """The 1.5B model sent train.py back unchanged, and once the prompt's example instead."""
    echo = "```python\n" + TRAIN.split("\n\n\n")[1] + "\n```"
    foreign = "```python\ndef fit(weights, grads, epochs, rate):\n    return weights\n```"
    whole = f"```python\n{TRAIN.replace('backward', 'gradients')}```"
    model = Queue(echo, foreign, whole)
    request = RepairRequest(report=report(ATTRIBUTE), files=FILES, edit_format="whole")
    outcome = repair(model, request, lambda _: False)
    assert "the function is as it was" in model.asked[1].messages[-1].content
    assert [r.reason for r in outcome.result.rejected] == [
        "the reply holds no function `train`: send that function corrected"
    ]
    assert "# Fix one file" in model.asked[2].messages[-1].content
    assert outcome.formats == ["whole", "whole", "whole"]
    assert outcome.result.files["train.py"] == TRAIN.replace("backward", "gradients")
