"""Regions a caption owns: the table or figure next to it, the body of an algorithm.

A region is grown from the caption over the blocks of the same page and column that are
not prose, and stops at prose, another caption or a large vertical gap. Tables become a
grid of cells from word positions: PyMuPDF's ``find_tables`` was measured at 0.3-0.4 s per
page on these papers even when clipped, and merged the cells of rule-less academic tables;
word positions cost about a millisecond and keep every cell.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

from papercoder.paper.headings import heading_of
from papercoder.paper.layout import Block

CAPTION = re.compile(
    r"^(?P<kind>Table|Figure|Fig\.|Algorithm)\s*(?P<number>\d+|[A-Z]\.?\d*)\s*[:.|]", re.I
)

Word = tuple[float, float, float, float, str]


def caption_of(block: Block) -> tuple[str, str] | None:
    """(kind, number) when the block is a caption: 'Table 3: ...', 'Figure 1. ...'."""
    match = CAPTION.match(block.text)
    if not match:
        return None
    kind = match["kind"].lower().rstrip(".")
    return ("figure" if kind == "fig" else kind), match["number"].rstrip(".")


def is_prose(block: Block, body: float) -> bool:
    """Running text: mostly letters, full lines, no table gaps, body-sized."""
    text = block.text
    letters = sum(c.isalpha() for c in text)
    visible = sum(not c.isspace() for c in text) or 1
    words = len(text.split())
    lines = block.lines
    long_lines = sum(len(line.text) > 50 for line in lines)
    gappy = sum(line.gappy for line in lines)
    widths = [line.x1 - line.x0 for line in lines[:-1]] or [lines[0].x1 - lines[0].x0]
    filled = sum(widths) / len(widths) >= 0.8 * (block.x1 - block.x0)
    return (
        gappy * 2 < len(lines)
        and letters / visible > 0.6
        and words >= 8
        and (long_lines >= 2 or len(text) > 110)
        and (filled or len(lines) <= 2)
        and block.size >= 0.85 * body
    )


def continuation(
    blocks: Sequence[Block], caption: Block, body: float, taken: frozenset[int]
) -> Block | None:
    """The rest of a caption that PyMuPDF set in a block of its own: right under it, in
    its type, aligned with it, after a caption line that does not end a sentence."""
    if caption.text.rstrip().endswith((".", ":")):
        return None
    for block in blocks:
        if (
            id(block) not in taken
            and block is not caption
            and 0 <= block.y0 - caption.y1 < 0.6 * body
            and abs(block.x0 - caption.x0) < 2
            and abs(block.size - caption.size) < 0.3
            and not any(line.gappy for line in block.lines)
            and caption_of(block) is None
        ):
            return block
    return None


def grow(
    blocks: Sequence[Block],
    caption: Block,
    body: float,
    downward: bool,
    taken: frozenset[int] = frozenset(),
    steps: bool = False,
) -> list[Block]:
    """Blocks next to `caption` (below it, or above it) that belong to its region;
    blocks whose id is in `taken` already belong to another caption. With `steps` (an
    algorithm's body) prose-like lines are kept while they are indented past the caption
    or read as steps."""
    left, right = caption.x0 - body, caption.x1 + body
    middle = (caption.y0 + caption.y1) / 2
    if downward:
        near = sorted(
            (b for b in blocks if b.y0 > caption.y0 + 1 and (b.y0 + b.y1) / 2 > middle),
            key=lambda b: b.y0,
        )
    else:
        near = sorted(
            (b for b in blocks if b.y1 < caption.y1 - 1 and (b.y0 + b.y1) / 2 < middle),
            key=lambda b: -b.y1,
        )
    region: list[Block] = []
    edge = caption.y1 if downward else caption.y0
    for block in near:
        if (
            block is caption
            or id(block) in taken
            or min(block.x1, right) - max(block.x0, left) <= 0
        ):
            continue
        gap = max(0.0, block.y0 - edge if downward else edge - block.y1)
        prose = is_prose(block, body) and not (steps and _step(block, caption, body))
        if gap > 3.5 * body or prose or caption_of(block):
            break
        if heading_of(block, body) is not None:
            break
        region.append(block)
        edge = max(edge, block.y1) if downward else min(edge, block.y0)
    return region


_STEP = re.compile(
    r"\u2190|:=|^(Require|Input|Output|Ensure|for|while|repeat|until|if|end|return)\b"
)


def _step(block: Block, caption: Block, body: float) -> bool:
    return block.x0 > caption.x0 + 0.5 * body or bool(_STEP.search(block.text))


def rows_of(region: list[Block]) -> int:
    centers = sorted((line.y0 + line.y1) / 2 for b in region for line in b.lines)
    rows = 0
    last = float("-inf")
    for center in centers:
        if center - last > 3:
            rows += 1
            last = center
    return rows


def grid(words: Sequence[Word]) -> list[list[str]]:
    """Rows of cells from word boxes: rows by vertical centre, cells split at wide gaps."""
    if not words:
        return []
    height = statistics.median(w[3] - w[1] for w in words) or 1.0
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w[1] + w[3]) / 2):
        center = (word[1] + word[3]) / 2
        if rows and abs(center - _row_center(rows[-1])) < 0.5 * height:
            rows[-1].append(word)
        else:
            rows.append([word])
    table = []
    for row in rows:
        cells: list[str] = []
        previous: Word | None = None
        for word in sorted(row, key=lambda w: w[0]):
            if previous is not None and word[0] - previous[2] < 0.75 * height:
                cells[-1] += " " + word[4]
            else:
                cells.append(word[4])
            previous = word
        table.append(cells)
    return table


def _row_center(row: list[Word]) -> float:
    return statistics.fmean((w[1] + w[3]) / 2 for w in row)
