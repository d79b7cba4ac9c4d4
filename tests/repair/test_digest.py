from __future__ import annotations

from papercoder.loop import score
from papercoder.repair.digest import build_digest, failing_diagnostics, local_imports, rank
from papercoder.tokens import estimate_tokens
from papercoder.verify.diagnostics import Diagnostic
from papercoder.verify.report import CheckResult, VerifyReport


def diag(
    check: str, code: str, file: str | None = "m.py", line: int | None = 1, message: str = "boom"
) -> Diagnostic:
    return Diagnostic(check=check, code=code, file=file, line=line, message=message)  # type: ignore[arg-type]


def report(*checks: tuple[str, str, list[Diagnostic]]) -> VerifyReport:
    return VerifyReport(
        repo="/r",
        checks=[
            CheckResult(name=name, status=status, diagnostics=d)
            for name, status, d in checks  # type: ignore[arg-type]
        ],
    )


def test_order_syntax_import_type_test_smoke_and_dedup() -> None:
    rep = report(
        ("smoke", "fail", [diag("smoke", "ValueError")]),
        ("tests", "fail", [diag("tests", "test-failure"), diag("tests", "test-failure")]),
        ("types", "fail", [diag("types", "arg-type"), diag("types", "import-not-found")]),
        ("lint", "fail", [diag("lint", "syntax")]),
    )
    codes = [d.code for d in failing_diagnostics(rep)]
    assert codes == ["syntax", "import-not-found", "arg-type", "test-failure", "ValueError"]
    assert rank(diag("install", "install")) < rank(diag("lint", "syntax"))


def test_digest_shows_implicated_files_and_interfaces_of_imports_only() -> None:
    files = {
        "main.py": "from model import Net\n\nNet().run()\n",
        "model.py": "class Net:\n    def run(self) -> int:\n        return 1\n",
        "unrelated.py": "SECRET_UNRELATED = 1\n",
    }
    rep = report(("smoke", "fail", [diag("smoke", "ValueError", "main.py", 3, "bad shape")]))
    digest = build_digest(rep, files, {"main.py": "runs the experiment"}, 2000)
    assert digest.files == ["main.py"]
    assert "   3 | Net().run()" in digest.text and "Plan: runs the experiment" in digest.text
    assert "Interface of model.py" in digest.text and "def run(self) -> int: ..." in digest.text
    assert "return 1" not in digest.text and "SECRET_UNRELATED" not in digest.text


def test_digest_is_cut_to_the_budget() -> None:
    files = {f"m{i}.py": "x = 1\n" * 35 for i in range(10)}
    rep = report(("lint", "fail", [diag("lint", "F821", f"m{i}.py", 5) for i in range(10)]))
    digest = build_digest(rep, files, {}, 900)
    assert estimate_tokens(digest.text) <= 900
    assert 0 < len(digest.files) < 10 and digest.diagnostics == 10
    assert "m9.py:5" in digest.text, "every diagnostic is listed even when files are cut"


def test_large_files_are_shown_around_the_lines_only() -> None:
    files = {"big.py": "".join(f"v{i} = {i}\n" for i in range(400))}
    rep = report(("lint", "fail", [diag("lint", "F821", "big.py", 200)]))
    text = build_digest(rep, files, {}, 4000).text
    assert " 200 | v199 = 199" in text and "  11 | v10 = 10" not in text
    assert text.count("     ...") == 2


def test_each_interface_is_shown_once() -> None:
    files = {"a.py": "import lib\n", "b.py": "import lib\n", "lib.py": "def f(x): ...\n"}
    rep = report(("lint", "fail", [diag("lint", "F821", "a.py"), diag("lint", "F821", "b.py")]))
    assert build_digest(rep, files, {}, 4000).text.count("Interface of lib.py") == 1


def test_local_imports() -> None:
    known = {"a.py", "pkg/b.py"}
    assert local_imports("import a\nfrom pkg.b import x\nimport numpy\n", known) == [
        "a.py",
        "pkg/b.py",
    ]


def test_score_weights_earlier_stages_more() -> None:
    lint = report(("lint", "fail", [diag("lint", "syntax")]))
    tests = report(("tests", "fail", [diag("tests", "t"), diag("tests", "u")]))
    clean = report(("lint", "pass", []))
    assert score(lint) > score(tests) > score(clean) == 0
