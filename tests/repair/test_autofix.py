"""Mechanical fixes: the failures that name their own fix are fixed without the model."""

from __future__ import annotations

from papercoder.agents.repairer import RepairRequest, repair
from papercoder.repair.autofix import add_imports, autofix, import_for
from papercoder.verify.diagnostics import CheckName, Diagnostic
from papercoder.verify.report import CheckResult, VerifyReport
from tests.repair.test_formats import Queue

DATA = '''"""Blobs."""

from collections.abc import Iterator


def make(n: int) -> np.ndarray:
    return np.zeros(n)
'''


def report(*diags: Diagnostic) -> VerifyReport:
    checks: dict[CheckName, list[Diagnostic]] = {}
    for d in diags:
        checks.setdefault(d.check, []).append(d)
    return VerifyReport(
        repo="r",
        checks=[
            CheckResult(name=name, status="fail", diagnostics=found)
            for name, found in checks.items()
        ],
    )


def undefined(name: str, path: str = "data.py", line: int = 6) -> Diagnostic:
    return Diagnostic(
        check="lint", file=path, line=line, code="F821", message=f"Undefined name `{name}`"
    )


def test_a_conventional_alias_is_imported_after_the_existing_imports() -> None:
    fixes = autofix(report(undefined("np"), undefined("np", line=7)), {"data.py": DATA})
    assert len(fixes) == 1
    assert fixes[0].edit.path == "data.py" and fixes[0].edit.search == ""
    assert fixes[0].edit.replace == DATA.replace(
        "import Iterator\n", "import Iterator\nimport numpy as np\n"
    )
    assert "import numpy as np" in fixes[0].reason


def test_a_name_another_module_defines_is_imported_from_it_unless_that_makes_a_cycle() -> None:
    files = {
        "train.py": "def fit() -> None:\n    step()\n",
        "model.py": "def step() -> None:\n    pass\n",
        "tests/test_model.py": "def step() -> None:\n    pass\n",  # tests never count
    }
    assert import_for("step", "train.py", files) == "from model import step"
    files["model.py"] = "import train\n\n\ndef step() -> None:\n    pass\n"
    assert import_for("step", "train.py", files) is None
    files["model.py"] = "def step() -> None:\n    pass\n"
    files["optim.py"] = "def step() -> None:\n    pass\n"
    assert import_for("step", "train.py", files) is None  # two candidates: for the model


def test_a_wrong_name_in_an_import_from_the_module_that_defines_the_used_one_is_renamed() -> None:
    train = "from model import MLP, cross_entropy_loss\n\n\ndef fit():\n    cross_entropy(1)\n"
    files = {
        "train.py": train,
        "model.py": "class MLP:\n    pass\n\n\ndef cross_entropy(x):\n    return x\n",
    }
    (fix,) = autofix(report(undefined("cross_entropy", "train.py", 5)), files)
    assert fix.edit.replace == train.replace("cross_entropy_loss", "cross_entropy")
    assert "renamed `cross_entropy_loss` to `cross_entropy`" in fix.reason
    # every name the import asks for exists: the missing one is imported beside them
    files["train.py"] = train.replace(", cross_entropy_loss", "")
    (fix,) = autofix(report(undefined("cross_entropy", "train.py", 5)), files)
    assert fix.edit.replace.startswith("from model import MLP\nfrom model import cross_entropy\n")


def test_typing_and_standard_library_names_and_unknown_names() -> None:
    assert import_for("Optional", "a.py", {}) == "from typing import Optional"
    assert import_for("math", "a.py", {}) == "import math"
    assert import_for("learning_rate", "a.py", {}) is None


def test_mypy_and_runtime_messages_are_read_too() -> None:
    for diag in (
        Diagnostic(check="types", file="data.py", line=6, message='Name "np" is not defined'),
        Diagnostic(
            check="smoke", file="data.py", line=7, message="NameError: name 'np' is not defined"
        ),
    ):
        (fix,) = autofix(report(diag), {"data.py": DATA})
        assert "import numpy as np\n" in fix.edit.replace


def test_imports_go_after_the_docstring_when_there_are_none_and_a_broken_file_is_left() -> None:
    assert add_imports('"""Doc."""\nx = np.ones(2)\n', ["import numpy as np"]) == (
        '"""Doc."""\n\nimport numpy as np\n\nx = np.ones(2)\n'
    )
    assert add_imports("x = np.ones(2)", ["import numpy as np"]) == (
        "import numpy as np\n\nx = np.ones(2)\n"
    )
    assert add_imports("def f(:\n", ["import numpy as np"]) is None


def test_a_missing_third_party_module_is_added_to_requirements() -> None:
    files = {
        "main.py": "import yaml\nimport model\n",
        "model.py": "",
        "requirements.txt": "numpy\n",
    }
    missing = Diagnostic(check="smoke", file="main.py", line=1, message="No module named 'yaml'")
    (fix,) = autofix(report(missing), files)
    assert fix.edit.path == "requirements.txt" and fix.edit.replace == "numpy\npyyaml\n"
    local = Diagnostic(check="smoke", file="main.py", line=2, message="No module named 'model'")
    assert autofix(report(local), files) == []


def test_repair_fixes_mechanically_without_asking_the_model() -> None:
    model = Queue()  # any call would fail: no reply is queued
    request = RepairRequest(report=report(undefined("np")), files={"data.py": DATA})
    outcome = repair(model, request, lambda _: False)
    assert outcome.formats == ["autofix"] and model.asked == []
    assert outcome.result.changed() == ["data.py"]
    assert "import numpy as np" in outcome.replies[0]


def test_the_model_is_asked_when_no_failure_names_its_fix() -> None:
    files = {"data.py": DATA.replace("np.", "numpy_like.")}
    reply = "```python\nimport numpy as numpy_like\n" + files["data.py"] + "```"
    model = Queue(reply)
    request = RepairRequest(
        report=report(undefined("numpy_like")), files=files, edit_format="whole"
    )
    outcome = repair(model, request, lambda _: False)
    assert outcome.formats == ["whole"] and len(model.asked) == 1


def test_a_function_that_drops_its_result_returns_it_when_a_none_fails() -> None:
    model = (
        "import numpy as np\n\n\nclass MLP:\n"
        "    def predict(self, x: np.ndarray) -> np.ndarray:\n"
        "        self.forward(x)[0].argmax(axis=1)\n\n"
        "    def log(self, x: int) -> None:\n        print(x)\n\n"
        "    def rows(self, x: np.ndarray) -> list[int]:\n"
        "        def inner() -> int:\n            return 1\n\n        x.tolist()\n\n"
        "    def steps(self) -> int:\n        if self:\n            return 1\n        len(self)\n"
    )
    files = {"model.py": model, "tests/test_model.py": "def f() -> int:\n    g()\n"}
    none = Diagnostic(
        check="tests", file="tests/test_model.py", line=4, code="test-failure",
        message="t: AttributeError: 'NoneType' object has no attribute 'shape'",
    )  # fmt: skip
    (fix,) = autofix(report(none), files)
    assert fix.edit.path == "model.py"
    expected = model.replace("        self.forward", "        return self.forward")
    # a nested function's return is not the method's; a function that returns elsewhere is left
    expected = expected.replace("        x.tolist()", "        return x.tolist()")
    assert fix.edit.replace == expected
    assert "`predict`, `rows`" in fix.reason
    other = none.model_copy(update={"message": "t: AssertionError: assert 1 == 2"})
    assert autofix(report(other), files) == []  # no None in sight: nothing to guess


ADAM = '''class Model:
    def __init__(self, config: dict, n: int) -> None:
        """Set up."""
        self.rate = config["lr"]

    def step(self, g: float) -> float:
        self.t += 1
        return g * self.config["beta1"] * self.n * self.t
'''


def test_init_keeps_a_parameter_the_class_reads_and_lacks() -> None:
    """adam (papers-18): step read `self.config["paper"]["beta1"]`, and `__init__(self,
    config, ...)` kept only the learning rate; four repairs changed nothing."""
    lacks = [
        Diagnostic(check="types", file="model.py", line=8, code="attr-defined",
                   message=f'"Model" has no attribute "{name}"')
        for name in ("config", "n", "t")
    ]  # fmt: skip
    [fix] = autofix(report(*lacks), {"model.py": ADAM})
    assert fix.edit.replace == ADAM.replace(
        '"""Set up."""\n', '"""Set up."""\n        self.config = config\n        self.n = n\n'
    )
    assert (
        fix.reason
        == "model.py: __init__ took Model.config, Model.n and did not keep it; it now does"
    )
    runtime = Diagnostic(
        check="smoke", file="model.py", line=8, code="AttributeError",
        message="AttributeError: 'Model' object has no attribute 'config'",
    )  # fmt: skip
    no_doc = ADAM.replace('        """Set up."""\n', "")
    [fix] = autofix(report(runtime), {"model.py": no_doc})
    init = "    def __init__(self, config: dict, n: int) -> None:\n        self.config = config\n"
    assert init + "        self.rate" in fix.edit.replace
    kept = ADAM.replace('self.rate = config["lr"]', "self.config = config")
    assert autofix(report(runtime), {"model.py": kept}) == []  # it keeps it: something else
    assert autofix(report(lacks[2]), {"model.py": ADAM}) == []  # `t` is no parameter
