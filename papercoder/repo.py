"""The generated repository: guarded writes, interfaces of files (with `ast`), git commits."""

from __future__ import annotations

import ast
import os
import shlex
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from papercoder.errors import InputError
from papercoder.runstore import atomic_write_text

GIT_IDENTITY = [
    "-c",
    "user.name=PaperCoder",
    "-c",
    "user.email=papercoder@localhost",
    "-c",
    "commit.gpgsign=false",
]


def inside(root: Path, relative: str) -> Path:
    """`root / relative`, refusing absolute paths, '..' and symlinks that lead outside."""
    if Path(relative).is_absolute() or ".." in Path(relative).parts:
        raise InputError(
            f"path {relative!r} leaves the repository", "use a relative path inside it"
        )
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise InputError(
            f"path {relative!r} leads outside the repository (a symlink?)",
            "use a path inside the repository",
        )
    return root / relative


def write_file(root: Path, relative: str, text: str) -> Path:
    path = inside(root, relative)
    atomic_write_text(path, text if text.endswith("\n") else text + "\n")
    return path


_AST_LOCK = threading.Lock()


def parse(source: str) -> ast.Module:
    """`ast.parse`, one thread at a time: CPython 3.11's parser can fail with "AST constructor
    recursion depth mismatch" when threads parse at once (seen in the coding waves)."""
    with _AST_LOCK:
        return ast.parse(source)


def source_lines(source: str) -> list[str]:
    """`source`'s lines with their ends, split where `ast` counts lines: at newlines only,
    not at the form feeds and line separators `str.splitlines` also splits at."""
    rows = [row + "\n" for row in source.split("\n")]
    rows[-1] = rows[-1][:-1]
    return rows if rows[-1] else rows[:-1]


def parsed(files: dict[str, str]) -> Iterator[tuple[str, ast.Module]]:
    """The Python files among `files` (path → text) that parse, with their trees."""
    for path, source in files.items():
        if not path.endswith(".py"):
            continue
        try:
            yield path, parse(source)
        except SyntaxError:
            continue


def defined_names(path: Path) -> set[str]:
    """The functions and classes the module at `path` defines at its top level (none when
    it cannot be read or parsed)."""
    try:
        tree = parse(path.read_text("utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    return {
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def interfaces(source: str) -> str:
    """What another file needs to call this one: classes with their fields and method
    signatures, functions, constants, and the first line of each docstring."""
    try:
        tree = parse(source)
    except SyntaxError as exc:
        return f"# (does not parse: {exc.msg} at line {exc.lineno})"
    out: list[str] = []
    doc = ast.get_docstring(tree)
    if doc:
        out.append(f'"""{doc.splitlines()[0]}"""')
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out += _class(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out += _function(node, "")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()]
            out += [f"{name} = ..." for name in names]
    return "\n".join(out)


def _class(node: ast.ClassDef) -> list[str]:
    decorators = [f"@{ast.unparse(d)}" for d in node.decorator_list]
    bases = ", ".join(ast.unparse(b) for b in node.bases)
    lines = [*decorators, f"class {node.name}({bases}):" if bases else f"class {node.name}:"]
    doc = ast.get_docstring(node)
    if doc:
        lines.append(f'    """{doc.splitlines()[0]}"""')
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            default = f" = {ast.unparse(item.value)}" if item.value is not None else ""
            lines.append(f"    {item.target.id}: {ast.unparse(item.annotation)}{default}")
        elif isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
            not item.name.startswith("_") or item.name == "__init__"
        ):
            lines += _function(item, "    ")
    return lines


def _function(node: ast.FunctionDef | ast.AsyncFunctionDef, indent: str) -> list[str]:
    if node.name.startswith("_") and not indent:
        return []
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    lines = [f"{indent}{prefix} {node.name}({ast.unparse(node.args)}){returns}: ..."]
    doc = ast.get_docstring(node)
    if doc:
        lines.append(f'{indent}    """{doc.splitlines()[0]}"""')
    return lines


def syntax_problem(source: str, name: str) -> str | None:
    try:
        with _AST_LOCK:
            compile(source, name, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg} at line {exc.lineno}: {(exc.text or '').strip()}"
    except ValueError as exc:
        return str(exc)
    return None


class GitRepo:
    """The generated repo's own history: one commit per stage and per repair iteration."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *GIT_IDENTITY, *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise InputError(
                f"git {args[0]} failed in {self.root}: {done.stderr.strip()}",
                "check that git is installed and the repo is not corrupt",
            )
        return done.stdout.strip()

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.root / ".git").exists():
            self._git("init", "-q", "-b", "main")

    def commit(self, message: str) -> str | None:
        """Commit everything; None when there is nothing new."""
        self._git("add", "-A")
        if not self._git("status", "--porcelain"):
            return None
        self._git("commit", "-q", "-m", message)
        return self._git("rev-parse", "HEAD")

    def log(self) -> list[str]:
        out = self._git("log", "--format=%s")
        return out.splitlines() if out else []

    def head(self) -> str | None:
        try:
            return self._git("rev-parse", "HEAD")
        except InputError:
            return None

    def first_commit(self) -> str:
        return self._git("rev-list", "--max-parents=0", "HEAD").splitlines()[0]

    def restore(self, commit: str) -> None:
        """Make the working tree what it was at `commit` (files added since are removed)."""
        self._git("checkout", commit, "--", ".")
        added = self._git("diff", "--name-only", "--diff-filter=A", commit, "HEAD")
        for name in added.splitlines():
            (self.root / name).unlink(missing_ok=True)

    def changed(self) -> list[str]:
        """Tracked files the working tree has changed since HEAD."""
        out = self._git("diff", "--name-only", "--no-renames", "HEAD")
        return out.splitlines() if out else []

    def read(self, path: str, commit: str = "HEAD") -> str | None:
        """`path` as it was at `commit`, or None when it was not there."""
        try:
            return self._git_raw("show", f"{commit}:{path}")
        except InputError:
            return None

    def diff_from(self, commit: str) -> str:
        """The working tree against `commit` as a patch `git apply` takes (binary-safe, a/ b/
        prefixes whatever the user's git configuration says)."""
        self._git("add", "-A")
        return self._git_raw(
            "-c",
            "diff.noprefix=false",
            "diff",
            "--cached",
            "--binary",
            "--no-color",
            "--no-ext-diff",
            "--no-renames",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            commit,
        )

    def _git_raw(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise InputError(f"git failed in {self.root}: {done.stderr.strip()}", "check git")
        return done.stdout


# Not part of what a repository is: copies and patches leave these out (as the sandbox does).
SNAPSHOT_SKIP = {
    ".git",
    "__pycache__",
    ".venv",
    "venv",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}
# git must never write to a user's repository, not even the index it refreshes on `status`.
READ_ONLY_GIT = {"GIT_OPTIONAL_LOCKS": "0"}


def snapshot(source: Path, dest: Path, exclude: Path | None = None) -> list[str]:
    """Copy the working tree of `source` into `dest` as the user sees it (uncommitted and
    untracked files included), without git internals, caches, virtual environments and
    `exclude` (a run directory inside it). The source is only read. Returns the files."""
    source, skip = source.resolve(), exclude.resolve() if exclude else None
    copied: list[str] = []

    def ignore(folder: str, names: list[str]) -> set[str]:
        here = Path(folder)
        return {
            name
            for name in names
            if name in SNAPSHOT_SKIP or name.endswith(".pyc") or (here / name).resolve() == skip
        }

    def copy(src: str, dst: str) -> object:
        copied.append(Path(src).relative_to(source).as_posix())
        return shutil.copy2(src, dst)

    shutil.copytree(source, dest, symlinks=True, ignore=ignore, copy_function=copy)
    return sorted(copied)


def git_prefix(folder: Path) -> str | None:
    """`folder`'s path inside the git work tree holding it ("" at its top), or None."""
    done = subprocess.run(
        ["git", "rev-parse", "--show-prefix"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **READ_ONLY_GIT},
    )
    return done.stdout.strip() if done.returncode == 0 else None


def apply_command(folder: Path, patch: Path) -> list[str]:
    """The `git apply` that puts `patch` (paths relative to `folder`) into `folder`'s working
    tree, and only there: in a subfolder of a git repository, `git apply` alone would skip
    every file (its paths are read from the top of the work tree)."""
    prefix = git_prefix(folder)
    directory = [f"--directory={prefix.rstrip('/')}"] if prefix else []
    return ["git", "apply", *directory, str(patch)]


def apply_patch(folder: Path, patch: Path) -> None:
    """Apply `patch` to the working tree of `folder`: no index, no commit; all or nothing."""
    command = apply_command(folder, patch)
    for args in ([*command[:2], "--check", *command[2:]], command):
        done = subprocess.run(
            args,
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **READ_ONLY_GIT},
        )
        if done.returncode != 0:
            raise InputError(
                f"the repair does not apply to {folder}: {done.stderr.strip()}",
                f"the files changed meanwhile? review and apply it by hand: {shlex.join(command)}",
            )
