"""The front matter of a PDF paper from the first page's typography: the title (the largest
text at the top, across its lines) and the authors (names set in the author style, apart
from affiliations and e-mails, side by side or stacked)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

from papercoder.paper.layout import Block, Line, Span

_NOT_NAME = re.compile(
    r"@|\d|:|university|universit[éa]|institute|research|google|microsoft|department|"
    r"\blab\b|laborator|school|college|\binc\b|corp|centre|center|group|faculty|"
    r"cifar|open ?ai|brain|deepmind|street|road|avenue|abstract",
    re.I,
)
_MARKS = re.compile("[\u2217*\u2020\u2021\u00a7\u00b6+]")  # footnote marks after a name
_PARTICLES = {"van", "der", "den", "de", "von", "da", "di", "del", "du", "le", "la", "bin"}
_NAME_WORD = re.compile(r"^[^\W\d_][\w.'\u2019-]*$")
_TOP = 0.45  # share of the first page's height where the title and authors stand


def find_title(blocks: Sequence[Block], body: float) -> list[Block]:
    """The title's blocks: the largest text near the top of the first page, with the
    blocks of the same size right above or below it (a title wrapped over lines that
    PyMuPDF put in separate blocks)."""
    first_page = [b for b in blocks if b.page == 0 and len(b.text.strip()) > 3]
    if not first_page:
        return []
    top = min(b.y0 for b in first_page)
    candidates = [b for b in first_page if b.y0 < top + 400]
    best = max(candidates, key=lambda b: (b.size, -b.y0))
    if best.size < 1.15 * body:
        return []
    title = [best]
    for block in sorted(first_page, key=lambda b: b.y0):
        if block in title or abs(block.size - best.size) > 0.6:
            continue
        below = min(abs(block.y0 - t.y1) for t in title)
        overlaps = any(min(block.x1, t.x1) - max(block.x0, t.x0) > 0 for t in title)
        if below < 1.2 * best.size and overlaps:
            title.append(block)
    return sorted(title, key=lambda b: b.y0)


def title_text(blocks: Sequence[Block]) -> str:
    lines = [line.text for block in blocks for line in block.lines]
    out = ""
    for line in lines:
        if re.search(r"[A-Z]{2}-$", out) and re.match(r"[A-Z]{2}", line) and _split_word(out):
            out = out[:-1] + line  # 'LAN-' / 'GUAGE': a word cut at the line end
        elif out.endswith("-") and line[:1].islower() and out[-2:-1].isalpha():
            out = out[:-1] + line
        else:
            out = f"{out} {line}" if out else line
    return " ".join(out.split())


def _split_word(text: str) -> bool:
    """Does the capitalised text end in a word fragment rather than a prefix ('SEMI-')?"""
    fragment = re.split(r"[\s-]", text[:-1])[-1]
    prefixes = {"CO", "PRE", "NON", "SUB", "RE", "DE", "ANTI", "SELF", "MULTI", "SEMI", "CROSS"}
    return len(fragment) <= 3 and fragment not in prefixes


def authors_from(meta: dict[str, Any], front: Sequence[Block], height: float) -> list[str]:
    """Names from the first page's front matter, in reading order, in the type the
    document sets its authors in (the type of the first name found); the PDF's metadata
    only when the page gives none."""
    cells = [
        (line_center, x0 + order / 100, name, style)
        for block in front
        if block.page == 0 and block.y0 < _TOP * height
        for line in block.lines
        for line_center, x0, text, style in _cells(line)
        for order, name in enumerate(_names(text))
    ]
    rows: list[list[tuple[float, float, str, tuple[bool, float]]]] = []
    for cell in sorted(cells, key=lambda c: c[0]):
        if rows and cell[0] - rows[-1][0][0] < 4:
            rows[-1].append(cell)
        else:
            rows.append([cell])
    ordered = [cell for row in rows for cell in sorted(row, key=lambda c: c[1])]
    if ordered:
        style = ordered[0][3]
        return [name for _, _, name, cell_style in ordered if cell_style == style]
    listed = str(meta.get("author") or "").strip()
    return [a.strip() for a in re.split(r",|;|\band\b", listed) if a.strip()]


def _cells(line: Line) -> list[tuple[float, float, str, tuple[bool, float]]]:
    """The line split where spans stand more than an em apart: (centre, x0, text, style)."""
    groups: list[list[Span]] = []
    for span in sorted(line.spans, key=lambda s: s.x0):
        if groups and span.x0 - groups[-1][-1].x1 <= span.size:
            groups[-1].append(span)
        else:
            groups.append([span])
    cells = []
    for group in groups:
        main = max(group, key=lambda s: sum(c.isalpha() for c in s.text))
        text = group[0].text
        for previous, span in itertools.pairwise(group):
            spaced = text.endswith(" ") or span.text.startswith(" ")
            text += ("" if spaced or span.x0 - previous.x1 < 0.15 * span.size else " ") + span.text
        cells.append((main.center, group[0].x0, text, (main.bold, round(main.size * 2) / 2)))
    return cells


def _names(text: str) -> list[str]:
    """The personal names in a cell: 'Karen Simonyan* & Andrew Zisserman+' gives two."""
    names = []
    for part in re.split(r"\s*(?:,|&|;|\band\b|\s\s)\s*", _MARKS.sub("", text)):
        words = part.split()
        capitals = [w for w in words if w[:1].isupper()]
        if (
            2 <= len(words) <= 5
            and len(capitals) >= 2
            and not _NOT_NAME.search(part)
            and all(_NAME_WORD.match(w) and (w[:1].isupper() or w in _PARTICLES) for w in words)
        ):
            names.append(" ".join(words))
    return names
