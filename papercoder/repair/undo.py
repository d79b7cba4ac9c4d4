"""Undo the lines of a repair that broke what worked (pure).

A repair often fixes one line and breaks its neighbour: asked about `x @ w1`, the 1.5B model
added `.T` to both products in `forward`; the first then passed and the second failed, and
the next iterations built on the broken line. When a failure that was not there before points
at a line the repair changed, and the repair changed other lines too, the candidate is the
repair without that line; the loop verifies it and keeps it when it scores better.
"""

from __future__ import annotations

import difflib

from pydantic import BaseModel, ConfigDict

from papercoder.repo import syntax_problem
from papercoder.verify.diagnostics import Diagnostic

Unit = tuple[int, int, int, int]  # old lines [i1, i2) became new lines [j1, j2)


class Undone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    line: int  # the first line of the change in the repaired file (1-based)
    repaired: list[str]
    restored: list[str]
    because: str


def units(old: str, new: str) -> list[Unit]:
    """The changes from `old` to `new`, a line replaced by one line each its own unit."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    found: list[Unit] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            found += [(i1 + k, i1 + k + 1, j1 + k, j1 + k + 1) for k in range(i2 - i1)]
        else:
            found.append((i1, i2, j1, j2))
    return found


def undo_blamed(
    old: dict[str, str], new: dict[str, str], blamed: list[Diagnostic]
) -> tuple[dict[str, str], list[Undone]] | None:
    """The files of `new` changed by a repair of `old`, with the changes the `blamed`
    failures point at undone; None when nothing is blamed, when that would undo the whole
    repair (the state before it is already known), or when the result does not parse."""
    changes = {
        path: units(old[path], text)
        for path, text in new.items()
        if path in old and old[path] != text
    }
    chosen: dict[str, set[int]] = {}
    undone: list[Undone] = []
    for diag in blamed:
        path, line = diag.file or "", diag.line or 0
        for k, (i1, i2, j1, j2) in enumerate(changes.get(path, [])):
            if j1 < line <= j2 and k not in chosen.setdefault(path, set()):
                chosen[path].add(k)
                undone.append(
                    Undone(
                        path=path,
                        line=j1 + 1,
                        repaired=new[path].splitlines()[j1:j2],
                        restored=old[path].splitlines()[i1:i2],
                        because=f"{diag.check} {diag.location()} {diag.message}"[:300],
                    )
                )
    if not undone or len(undone) == sum(len(u) for u in changes.values()):
        return None
    candidate = {
        path: _apply(old[path], new[path], changes[path], ks) for path, ks in chosen.items()
    }
    if any(path.endswith(".py") and syntax_problem(text, path) for path, text in candidate.items()):
        return None
    return candidate, undone


def _apply(old: str, new: str, changes: list[Unit], undo: set[int]) -> str:
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    out: list[str] = []
    at = 0
    for k, (i1, i2, j1, j2) in enumerate(changes):
        out += b[at:j1]
        out += a[i1:i2] if k in undo else b[j1:j2]
        at = j2
    return "".join(out + b[at:])
