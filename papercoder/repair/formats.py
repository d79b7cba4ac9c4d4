"""The repair agent's edit formats besides SEARCH/REPLACE (pure functions).

- ``whole``: the model rewrites one small file and sends it back in one fenced block. Nothing
  to match, nothing to number: the format a small model gets right most often.
- ``lines``: line-range edits through the JSON schema the endpoint enforces, against the
  numbered lines the digest shows; ``path`` is an enum of the repository's files, so a
  made-up path cannot even be produced, and every string and list is bounded.

Each parser takes what models really send: fenced or bare, wrapped in prose, cut off.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EditFormat = Literal["search-replace", "whole", "lines"]
EditFormatChoice = Literal["auto", "search-replace", "whole", "lines"]
EDIT_FORMATS: tuple[EditFormat, ...] = ("search-replace", "whole", "lines")
# how an iteration's edits were made: by the model in a format, or mechanically (autofix.py)
Method = Literal["search-replace", "whole", "lines", "autofix"]

WHOLE_FILE_MAX_LINES = 200
MAX_LINE_EDITS = 8
MAX_REPLACEMENT_CHARS = 4000

_FENCE = re.compile(r"^[ \t]*```[\w+-]*[ \t]*\n(?P<code>.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.M | re.S)
_PLACEHOLDERS = re.compile(
    r"^\s*#\s*(\.\.\.|rest of|remaining|unchanged|same as before|existing code|other code)"
    r"|^\s*\.\.\.\s*$",
    re.I | re.M,
)


def choose_format(choice: EditFormatChoice, small_model: bool) -> EditFormat:
    """The format `auto` stands for: measured by benchmarks/efficacy.py, a small local model
    fixes the most with whole-file rewrites; a capable model saves output with SEARCH/REPLACE."""
    if choice != "auto":
        return choice
    return "whole" if small_model else "search-replace"


class WholeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    truncated: bool = False


def parse_whole(reply: str, path: str) -> WholeFile | None:
    """The file in `reply`: its longest fenced block, else the reply itself when it is the
    code bare. A block whose closing fence is missing is returned marked truncated."""
    blocks = list(_FENCE.finditer(reply))
    if blocks:
        best = max(blocks, key=lambda m: len(m["code"]))
        closed = reply[best.end() - 3 : best.end()] == "```" or best.group(0).rstrip().endswith(
            "```"
        )
        return WholeFile(text=_ending(best["code"]), truncated=not closed)
    text = reply.strip("\n")
    if not text.strip():
        return None
    if path.endswith(".py") and _parses(text):
        return WholeFile(text=_ending(text))
    if not path.endswith(".py") and "```" not in text:
        return WholeFile(text=_ending(text))
    return None


def whole_file_problem(path: str, before: str | None, after: WholeFile) -> str | None:
    """Why a rewrite must not replace the file, or None."""
    if after.truncated:
        return "the code block is not closed: the reply was cut off; send the file whole"
    if not after.text.strip():
        return "the rewrite is empty"
    if before is not None and after.text.strip() == before.strip():
        return "the rewrite is the file as it is: change what the errors point at"
    if _PLACEHOLDERS.search(after.text) and not (before and _PLACEHOLDERS.search(before)):
        return "the rewrite leaves parts out (a placeholder comment or `...`): send every line"
    if path.endswith(".py"):
        try:
            ast.parse(after.text)
        except SyntaxError as exc:
            return f"the rewrite does not parse: line {exc.lineno}: {exc.msg}"
        lost = _definitions(before or "") - _definitions(after.text)
        if lost:
            return "the rewrite drops " + ", ".join(sorted(lost)) + ": keep every definition"
    return None


def _definitions(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return bool(re.search(r"^(import|from|def|class|[A-Za-z_]\w*\s*=)", text, re.M))


def _ending(text: str) -> str:
    return text.rstrip("\n") + "\n"


class LineEdit(BaseModel):
    """Lines `start_line`..`end_line` (1-based, inclusive) of `path` become `replacement`.
    An `end_line` one less than `start_line` inserts before `start_line`."""

    model_config = ConfigDict(extra="forbid")

    path: str
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=0)
    replacement: str = Field(max_length=MAX_REPLACEMENT_CHARS)


class LineEdits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    edits: list[LineEdit] = Field(max_length=MAX_LINE_EDITS)


def lines_schema(paths: list[str], max_line: int) -> dict[str, Any]:
    """The JSON schema of a `LineEdits` reply, with every bound an endpoint can enforce."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["edits"],
        "properties": {
            "edits": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_LINE_EDITS,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["path", "start_line", "end_line", "replacement"],
                    "properties": {
                        "path": {"type": "string", "enum": sorted(paths)},
                        "start_line": {"type": "integer", "minimum": 1, "maximum": max_line + 1},
                        "end_line": {"type": "integer", "minimum": 0, "maximum": max_line},
                        "replacement": {"type": "string", "maxLength": MAX_REPLACEMENT_CHARS},
                    },
                },
            }
        },
    }


def line_edit_problem(edit: LineEdit, others: list[LineEdit], text: str | None) -> str | None:
    """Why a line-range edit cannot be applied, or None."""
    if text is None:
        return "no such file"
    count = len(text.splitlines())
    if edit.end_line < edit.start_line - 1:
        return f"end_line {edit.end_line} is before start_line {edit.start_line}"
    if edit.end_line > count:
        return f"lines {edit.start_line}-{edit.end_line} run past the end (the file has {count})"
    if edit.start_line > count + 1:
        return f"start_line {edit.start_line} is past the end (the file has {count} lines)"
    for other in others:
        if other is edit or other.path != edit.path:
            continue
        if _overlap(edit, other):
            return (
                f"lines {edit.start_line}-{edit.end_line} overlap another edit's "
                f"{other.start_line}-{other.end_line}"
            )
    return None


def _overlap(a: LineEdit, b: LineEdit) -> bool:
    if a.end_line < a.start_line or b.end_line < b.start_line:  # insertions
        return a.start_line == b.start_line
    return a.start_line <= b.end_line and b.start_line <= a.end_line


def old_lines(edit: LineEdit, text: str) -> str:
    rows = text.splitlines(keepends=True)
    return "".join(rows[edit.start_line - 1 : edit.end_line])


def apply_line_edit(edit: LineEdit, text: str) -> str:
    rows = text.splitlines(keepends=True)
    if rows and not rows[-1].endswith("\n"):
        rows[-1] += "\n"
    new = edit.replacement
    if new and not new.endswith("\n"):
        new += "\n"
    return "".join(rows[: edit.start_line - 1]) + new + "".join(rows[edit.end_line :])


def strip_numbers(replacement: str) -> str:
    """Drop '12 | ' prefixes a model copied from the digest into a replacement."""
    rows = [r for r in replacement.splitlines() if r.strip()]
    if rows and all(re.match(r"^\s*\d+ \| ?", r) for r in rows):
        rows = replacement.splitlines(True)
        return "".join(re.sub(r"^\s*\d+ \| ?", "", r, count=1) for r in rows)
    return replacement
