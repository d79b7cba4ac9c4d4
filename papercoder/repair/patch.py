"""SEARCH/REPLACE edits: parsing, guards and application (pure functions).

    path/to/file.py
    <<<<<<< SEARCH
    lines as they are
    =======
    lines as they should be
    >>>>>>> REPLACE

An empty SEARCH part writes the whole file (a new file, or a small one rewritten). A block is
applied exactly, then with whitespace ignored; a block that matches nowhere is returned with
the nearest real lines of that file so the model can try again. Guards refuse paths outside
the repository and any edit that weakens the gates.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from papercoder.repair import guards

_BLOCK = re.compile(
    r"^(?P<path>[^\n`<>=]+?)\s*\n(?:```[\w-]*\n)?<{5,9} SEARCH\s*\n(?P<search>.*?)^={5,9}\s*\n"
    r"(?P<replace>.*?)^>{5,9} REPLACE\s*$(?:\n```)?",
    re.M | re.S,
)


class Edit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    search: str
    replace: str


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    reason: str
    nearest: str = ""


class PatchResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    files: dict[str, str]
    applied: list[Edit]
    rejected: list[Rejection]

    def changed(self) -> list[str]:
        return sorted({edit.path for edit in self.applied})


_WHOLE = re.compile(
    r"^[#*`\s]*(?P<path>[\w./-]+\.py)[`*:\s]*\n```[\w-]*\n(?P<code>.*?)^```", re.M | re.S
)


def parse_edits(reply: str) -> list[Edit]:
    """SEARCH/REPLACE blocks; failing those, whole files given as a path over a fenced block
    (what small models often send instead), which are whole-file rewrites."""
    edits = []
    for match in _BLOCK.finditer(reply):
        path = match["path"].strip().strip("`*: ").removeprefix("./")
        edits.append(Edit(path=path, search=match["search"], replace=match["replace"]))
    if not edits:
        for match in _WHOLE.finditer(reply):
            edits.append(
                Edit(path=match["path"].removeprefix("./"), search="", replace=match["code"])
            )
    return edits


_NUMBERED = re.compile(r"^\s*\d+ \| ?")


def _unnumber(text: str) -> str:
    """Drop '12 | ' prefixes when every non-empty line carries one."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not all(_NUMBERED.match(line) for line in lines):
        return text
    return "".join(_NUMBERED.sub("", line, count=1) for line in text.splitlines(True))


def normalise(edit: Edit, files: dict[str, str]) -> Edit:
    """Undo what small models do to an edit: copy the digest's line numbers ('12 | ') into
    SEARCH and REPLACE, keep a placeholder prefix ('path/to/model.py') on the path, or copy
    the example's path outright (then the file is the one whose lines SEARCH quotes)."""
    search, replace = _unnumber(edit.search), _unnumber(edit.replace)
    path = edit.path
    if path not in files:
        matches = [f for f in files if path.endswith("/" + f)]
        if not matches and search.strip():  # a made-up path: the file whose lines it quotes
            matches = [
                f for f, text in files.items() if replace_once(text, search, search) is not None
            ]
        if len(matches) == 1:
            path = matches[0]
    return Edit(path=path, search=search, replace=replace)


def apply_edits(
    files: dict[str, str], edits: list[Edit], is_link: Callable[[str], bool] = lambda _: False
) -> PatchResult:
    """Apply what may and can be applied; return the new files and what was refused, why."""
    files = dict(files)
    pinned = guards.pinned_paths(files)
    applied: list[Edit] = []
    rejected: list[Rejection] = []
    for edit in (normalise(e, files) for e in edits):
        current = files.get(edit.path)
        whole = not edit.search.strip()
        reason = guards.path_problem(edit.path, is_link)
        if reason is None and edit.search == edit.replace:  # whitespace may be the fix
            reason = "the edit changes nothing: REPLACE must differ from SEARCH"
        if reason is None and whole and current == edit.replace:
            reason = "the rewrite is the file as it is: change what the errors point at"
        if reason is not None:
            rejected.append(Rejection(path=edit.path, reason=reason))
            continue
        if current is None and not whole:
            known = "\n".join(sorted(f for f in files if f.endswith(".py")))
            reason = "no such file; to create it, leave the SEARCH part empty"
            rejected.append(Rejection(path=edit.path, reason=reason, nearest=known))
            continue
        updated = edit.replace if whole else replace_once(current or "", edit.search, edit.replace)
        if updated is None:
            rejected.append(
                Rejection(
                    path=edit.path,
                    reason="the SEARCH lines match nothing",
                    nearest=nearest_lines(current or "", edit.search),
                )
            )
            continue
        reason = guards.edit_problem(edit.path, current, updated, whole_file=whole, pinned=pinned)
        if reason is not None:
            rejected.append(Rejection(path=edit.path, reason=reason))
            continue
        files[edit.path] = updated
        applied.append(edit)
    return PatchResult(files=files, applied=applied, rejected=rejected)


def replace_once(text: str, search: str, replace: str) -> str | None:
    """Replace the first exact match; else the first match ignoring whitespace."""
    if search in text:
        return text.replace(search, replace, 1)
    lines = text.splitlines(keepends=True)
    wanted = [" ".join(line.split()) for line in search.splitlines() if line.strip()]
    if not wanted:
        return None
    norm = [" ".join(line.split()) for line in lines]
    for start in range(len(lines)):
        index, matched = start, 0
        while index < len(lines) and matched < len(wanted):
            if norm[index]:
                if norm[index] != wanted[matched]:
                    break
                matched += 1
            index += 1
        if matched == len(wanted):
            indent = _indent_shift(lines[start], search)
            new = "".join(_reindent(line, indent) for line in replace.splitlines(keepends=True))
            return "".join(lines[:start]) + new + "".join(lines[index:])
    return None


def _indent_shift(actual_first: str, search: str) -> str:
    first = next((line for line in search.splitlines() if line.strip()), "")
    have = len(actual_first) - len(actual_first.lstrip())
    want = len(first) - len(first.lstrip())
    return " " * (have - want) if have > want else ""


def _reindent(line: str, extra: str) -> str:
    return extra + line if line.strip() else line


def nearest_lines(text: str, search: str, context: int = 2) -> str:
    """The lines of `text` most like `search`, numbered, to show the model what is there."""
    lines = text.splitlines()
    size = max(1, len(search.strip().splitlines()))
    best, best_score = 0, -1.0
    for start in range(max(1, len(lines) - size + 1)):
        window = "\n".join(lines[start : start + size])
        score = difflib.SequenceMatcher(None, window, search.strip()).quick_ratio()
        if score > best_score:
            best, best_score = start, score
    low, high = max(0, best - context), min(len(lines), best + size + context)
    return "\n".join(f"{n + 1:4d} | {lines[n]}" for n in range(low, high))
