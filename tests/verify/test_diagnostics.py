from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from papercoder.verify import diagnostics as dg


def test_in_repo_keeps_repo_paths_and_drops_others() -> None:
    assert dg.in_repo("/work/pkg/model.py") == "pkg/model.py"
    assert dg.in_repo("./train.py") == "train.py"
    assert dg.in_repo("/opt/venv/lib/python3.11/site-packages/torch/nn.py") is None
    assert dg.in_repo("/usr/lib/python3.11/json/__init__.py") is None
    assert dg.in_repo("/home/me/repo/a.py", Path("/home/me/repo")) == "a.py"


def test_ruff_json() -> None:
    text = json.dumps(
        [
            {
                "code": "F821",
                "message": "Undefined name `foo`",
                "filename": "/work/train.py",
                "location": {"row": 7, "column": 5},
            },
            {
                "code": None,
                "message": "SyntaxError: Expected ':'",
                "filename": "/work/m.py",
                "location": {"row": 2, "column": 9},
            },
        ]
    )
    first, second = dg.parse_ruff(text)
    assert (first.file, first.line, first.column, first.code) == ("train.py", 7, 5, "F821")
    assert second.code == "syntax" and second.file == "m.py"


def test_mypy_keeps_only_crash_level_errors_in_the_repo() -> None:
    lines = [
        {
            "file": "model.py",
            "line": 3,
            "column": 4,
            "message": 'Module has no attribute "Netx"',
            "hint": None,
            "code": "attr-defined",
            "severity": "error",
        },
        {
            "file": "model.py",
            "line": 9,
            "column": 0,
            "message": "Function is missing a type",
            "hint": None,
            "code": "no-untyped-def",
            "severity": "error",
        },
        {
            "file": "model.py",
            "line": 9,
            "column": 0,
            "message": "note",
            "hint": None,
            "code": None,
            "severity": "note",
        },
        {
            "file": "/opt/venv/lib/python3.11/site-packages/x.py",
            "line": 1,
            "column": 0,
            "message": "boom",
            "hint": None,
            "code": "name-defined",
            "severity": "error",
        },
    ]
    found = dg.parse_mypy("\n".join(json.dumps(x) for x in lines))
    assert [(d.file, d.line, d.code) for d in found] == [("model.py", 3, "attr-defined")]


TRACEBACK = """\
Traceback (most recent call last):
  File "/work/main.py", line 12, in <module>
    run()
  File "/work/model.py", line 30, in run
    out = layer(x)
  File "/opt/venv/lib/python3.11/site-packages/numpy/core/fromnumeric.py", line 57, in _wrapfunc
    return bound(*args, **kwds)
ValueError: shapes (4,8) and (4,2) not aligned
"""


def test_traceback_deepest_repo_frame() -> None:
    diag = dg.parse_traceback("some output\n" + TRACEBACK, "smoke")
    assert diag is not None
    assert (diag.file, diag.line, diag.code) == ("model.py", 30, "ValueError")
    assert "not aligned" in diag.message


def test_a_compiled_modules_frame_is_not_taken_for_a_repo_file(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("x = 1\n", encoding="utf-8")
    text = (
        'Traceback (most recent call last):\n  File "/work/train.py", line 15, in train\n'
        "    rng = np.random.default_rng(seed)\n"
        '  File "numpy/random/bit_generator.pyx", line 308, in numpy.random.SeedSequence\n'
        '  File "<string>", line 1, in <module>\n'
        "TypeError: SeedSequence expects int or sequence of ints\n"
    )
    for repo in (tmp_path, None):
        diag = dg.parse_traceback(text, "smoke", repo)
        assert diag is not None and (diag.file, diag.line) == ("train.py", 15)


def test_syntax_error_without_traceback() -> None:
    text = '  File "/work/main.py", line 4\n    def f(:\n          ^\nSyntaxError: invalid syntax\n'
    diag = dg.parse_traceback(text, "smoke")
    assert diag is not None and (diag.file, diag.line, diag.code) == ("main.py", 4, "SyntaxError")


def test_junit_failure_located_at_deepest_repo_line() -> None:
    xml = """<?xml version="1.0"?><testsuites><testsuite name="pytest">
    <testcase classname="tests.test_model" name="test_forward" file="tests/test_model.py" line="3">
    <failure message="AssertionError: assert 3 == 4">def test_forward():
&gt;       assert model.f() == 4
E       AssertionError: assert 3 == 4

tests/test_model.py:5: AssertionError</failure></testcase>
    <testcase classname="tests.test_model" name="test_ok" file="tests/test_model.py" line="8"/>
    </testsuite></testsuites>"""
    [diag] = dg.parse_junit(xml)
    assert (diag.file, diag.line) == ("tests/test_model.py", 5)
    assert "test_forward" in diag.message and "assert 3 == 4" in diag.message


PINNED_HELPER = """<?xml version="1.0"?><testsuites><testsuite name="pytest">
<testcase classname="tests.test_model" name="test_training" file="tests/test_model.py" line="9">
<failure message="AssertionError: gradients: params['lr'] must be a numpy array">def test():
&gt;       model.step(inputs, targets)

tests/test_model.py:12:
_ _ _ _
model.py:40: in step
    grads = gradients(lambda: self.loss(inputs, targets), self.params)
_ _ _ _
&gt;   assert isinstance(values, np.ndarray)
E   AssertionError: gradients: params['lr'] must be a numpy array

gradients.py:25: AssertionError</failure></testcase></testsuite></testsuites>"""


def test_a_failure_inside_a_pinned_helper_is_located_at_the_code_that_called_it() -> None:
    """The repair may not change a pinned file: the failure is the caller's to fix."""
    pinned = {"gradients.py", "tests/test_model.py", "main.py"}
    [diag] = dg.parse_junit(PINNED_HELPER, None, pinned)
    assert (diag.file, diag.line) == ("model.py", 40)
    [unpinned] = dg.parse_junit(PINNED_HELPER)
    assert (unpinned.file, unpinned.line) == ("gradients.py", 25)
    smoke = TRACEBACK.replace('"/work/model.py", line 30', '"/work/gradients.py", line 30')
    traced = dg.parse_traceback(smoke, "smoke", None, {"gradients.py"})
    assert traced is not None and (traced.file, traced.line) == ("main.py", 12)
    # every frame pinned: the deepest, as before
    only = dg.parse_traceback(smoke, "smoke", None, pinned)
    assert only is not None and only.file == "gradients.py"


def test_snippets_come_from_the_repo(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\ny = undefined\n", encoding="utf-8")
    diag = dg.Diagnostic(check="lint", file="a.py", line=2, message="m")
    [with_snippet] = dg.with_snippets([diag], tmp_path)
    assert with_snippet.snippet == "y = undefined"


def test_pip_failure_names_the_requirement() -> None:
    log = (
        "ERROR: Could not find a version that satisfies the requirement nosuchpkg-zz"
        " (from versions: none)\nERROR: No matching distribution found for nosuchpkg-zz"
    )
    diag = dg.parse_pip_failure(log, "nosuchpkg-zz")
    assert diag.file == "requirements.txt" and "nosuchpkg-zz" in diag.message


def test_a_junit_assertion_keeps_pytest_s_values_of_its_parts(tmp_path: Path) -> None:
    """The repair hint compares both sides of `abs(a - b) < tol`: pytest's `where` row holds
    them, real output from a gradient check."""
    (tmp_path / "test_a.py").write_text(
        "def g():\n    return 1.1171\n\n\ndef test_close():\n"
        "    up, down, step = 2.1574079513877584, 2.1574077279523873, 1e-6\n"
        "    assert abs((up - down) / (2 * step) - g()) < 1e-5\n",
        encoding="utf-8",
    )
    xml = tmp_path / "j.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    [diag] = dg.parse_junit(xml.read_text("utf-8"))
    assert "(where 1.0053823144530363 = abs((((2.1574079513877584 - 2.15740772" in diag.message


def test_an_object_s_address_in_the_where_row_is_left_out() -> None:
    where = "hasattr(&lt;test_w.Model object at 0x7f30a1b2c3d0&gt;, 'weights')"
    xml = (
        '<testsuites><testsuite><testcase classname="tests.test_w" name="test_w"'
        ' file="tests/test_w.py" line="3"><failure message="assert False&#10;'
        f' +  where False = {where}">x</failure></testcase></testsuite></testsuites>'
    )
    [diag] = dg.parse_junit(xml)
    assert "(where False = hasattr(<test_w.Model object>, 'weights'))" in diag.message
