from __future__ import annotations

from pathlib import Path

import pytest

from papercoder.errors import InputError
from papercoder.repo import GitRepo, interfaces, syntax_problem, write_file

SOURCE = '''"""Models."""
from dataclasses import dataclass

LIMIT = 3
_hidden = 1


@dataclass
class Config:
    """Settings of a run."""
    width: int = 8
    name: str = "x"


class Net(Base):
    def __init__(self, width: int) -> None:
        self.width = width

    def forward(self, x: "Tensor", *, scale: float = 1.0) -> "Tensor":
        """Scores for x."""
        return x

    def _private(self):
        pass


def build(width=8):
    return Net(width)


def _helper():
    pass
'''


def test_interfaces_keep_signatures_fields_and_docstrings() -> None:
    text = interfaces(SOURCE)
    assert '"""Models."""' in text and "LIMIT = ..." in text
    assert "@dataclass\nclass Config:" in text and "    width: int = 8" in text
    assert "class Net(Base):" in text and "    def __init__(self, width: int) -> None: ..." in text
    assert "    def forward(self, x: 'Tensor', *, scale: float=1.0) -> 'Tensor': ..." in text
    assert '        """Scores for x."""' in text and "def build(width=8): ..." in text
    assert "_private" not in text and "_helper" not in text and "return" not in text


def test_interfaces_of_broken_code_say_so() -> None:
    assert "does not parse" in interfaces("def f(:\n")


def test_syntax_problem() -> None:
    assert syntax_problem("x = 1\n", "a.py") is None
    assert "line 1" in (syntax_problem("def f(:\n", "a.py") or "")


def test_writes_stay_inside(tmp_path: Path) -> None:
    write_file(tmp_path, "pkg/a.py", "x = 1")
    assert (tmp_path / "pkg" / "a.py").read_text("utf-8") == "x = 1\n"
    for bad in ("../x.py", "/etc/x.py"):
        with pytest.raises(InputError, match="leaves the repository"):
            write_file(tmp_path, bad, "")
    (tmp_path / "link").symlink_to(tmp_path.parent)
    with pytest.raises(InputError, match="outside the repository"):
        write_file(tmp_path, "link/escape.py", "")


def test_git_commits(tmp_path: Path) -> None:
    git = GitRepo(tmp_path / "repo")
    git.init()
    write_file(git.root, "a.py", "x = 1")
    assert git.commit("first") is not None
    assert git.commit("nothing new") is None
    assert git.log() == ["first"]


def test_source_lines_split_where_ast_counts_lines() -> None:
    from papercoder.repo import source_lines

    text = "a = 1  # \x0c form feed\nb = '\u2028'\nc = 3"
    assert source_lines(text) == ["a = 1  # \x0c form feed\n", "b = '\u2028'\n", "c = 3"]
    assert source_lines("x\n") == ["x\n"] and source_lines("") == []
    assert "".join(source_lines(text)) == text
