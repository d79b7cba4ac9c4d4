"""Display equations on a page: a block with a line ending in its number '(N)', and the
pieces PyMuPDF set in other blocks at that height in the same column (a fraction's parts,
a sum's limits). Each becomes an `Equation` in linear form (see `formula`), and its pieces
in the body flow are replaced by one block holding that line and its number, so the text
the agents read has the equation once, readable, where the paper has it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from papercoder.paper import regions
from papercoder.paper.formula import linear
from papercoder.paper.layout import Block, Line, Span
from papercoder.paper.model import Equation

_EQ_NUMBER = re.compile(r"(?:^|\s)\((\d+[a-z]?)\)$")


def find_equations(
    blocks: list[Block], body: float, columns: float
) -> tuple[list[Block], list[tuple[int, Equation]]]:
    """The page's body blocks with each equation's pieces replaced by one block, and the
    equations with the index of that block. `columns`: the page width on a two-column
    page, else 0."""
    found: list[tuple[int, Equation]] = []
    numbers = [
        (span.x0, span.center)
        for block in blocks
        for line in block.lines
        if (match := _EQ_NUMBER.search(line.text))
        for span in line.spans
        if f"({match.group(1)})" in span.text and span.size >= 0.8 * body
    ]
    done: set[int] = set()  # the lines written for equations already found
    index = 0
    while index < len(blocks):
        block = blocks[index]
        result = None
        if not any(id(line) in done for line in block.lines):
            result = _equation(block, blocks, body, columns, _Context(numbers, done))
        if result is None:
            index += 1
            continue
        equation, used = result
        blocks, position = _replace(blocks, used, equation, body)
        done.update(id(line) for line in blocks[position].lines)
        found.append((position, equation))
        index = position + 1
    return blocks, found


@dataclass
class _Context:
    """What one equation's search needs to know of the others on its page: where their
    numbers stand, and the lines already written for those found."""

    numbers: list[tuple[float, float]]  # (left edge, height)
    done: set[int]


def _replace(
    blocks: list[Block], used: list[Line], equation: Equation, body: float
) -> tuple[list[Block], int]:
    """`blocks` without the `used` lines, the equation's block where the first of them was."""
    used_ids = {id(line) for line in used}
    spans = [span for line in used for span in line.spans]
    text = f"{equation.text} ({equation.number})"
    x0, x1 = min(s.x0 for s in spans), max(s.x1 for s in spans)
    y0, y1 = min(s.y0 for s in spans), max(s.y1 for s in spans)
    line = Line([Span(text, x0, y0, x1, y1, body, False, y1 - 0.2 * body)])
    out: list[Block] = []
    position = -1
    for block in blocks:
        remaining = [line for line in block.lines if id(line) not in used_ids]
        if len(remaining) == len(block.lines):
            out.append(block)
            continue
        if position < 0:
            position = len(out)
            out.append(Block(page=block.page, lines=[line]))
        if remaining:
            out.append(Block(page=block.page, lines=remaining))
    return out, position


def _equation(
    block: Block, blocks: list[Block], body: float, columns: float, context: _Context
) -> tuple[Equation, list[Line]] | None:
    """A display equation: a block with a line ending in '(N)' that is not prose, with
    what stands level with that number in the same column (the pieces of the equation
    PyMuPDF put in other blocks), written as one line (see `formula`)."""
    anchors = [line for line in block.lines if _EQ_NUMBER.search(line.text)]
    if not anchors or regions.is_prose(block, body):
        return None
    anchor = anchors[-1]
    match = _EQ_NUMBER.search(anchor.text)
    assert match is not None
    marks = [s for s in anchor.spans if f"({match.group(1)})" in s.text]
    if not marks or max(s.size for s in marks) < 0.8 * body:
        return None  # a superscript '(2)' ending the line, not an equation number
    left, right = _column(block, columns)
    middle = marks[-1].center
    alone = not any(
        abs(span.center - middle) < 0.5 * body
        for other in blocks
        if other.x0 >= left and other.x1 <= right
        for line in other.lines
        if abs(line.y0 - anchor.y0) < 3 * body
        for span in line.spans
        if span not in marks and span.text.strip()
    )
    others = [height for x, height in context.numbers if left <= x <= right]
    if alone:  # the number dropped below a long equation: take what stands above it
        low, high = anchor.y0 - 2.5 * body, anchor.y0 + 1
    else:
        low, high = anchor.y0 - 0.8 * body, anchor.y1 + 0.8 * body
    level = [
        line
        for other in blocks
        if other.y1 > low
        and other.y0 < high
        and other.x0 >= left
        and other.x1 <= right
        and (other is block or not regions.is_prose(other, body))
        for line in other.lines
        if line.y1 > low
        and line.y0 < high
        and id(line) not in context.done
        and not (other is block and alone and line is not anchor)
    ]
    spans = [
        span
        for line in level
        for span in line.spans
        if span not in marks and (alone or _level(span, middle, body, others))
    ]
    text = linear(spans, baseline=None if alone else marks[-1].base)
    if not text:
        return None
    used = [line for line in level if any(span in spans for span in line.spans)]
    if anchor not in used:
        used.append(anchor)
    return Equation(number=match.group(1), text=text, page=block.page + 1), used


def _level(span: Span, middle: float, body: float, numbers: list[float]) -> bool:
    """Does the span belong to the equation whose number stands at height `middle`: a
    fraction's parts and a sum's limits do, the lines of the next equation (nearer its
    own number, one of `numbers`) do not."""
    if any(abs(span.center - n) < abs(span.center - middle) - 1 for n in numbers):
        return False
    if span.text.strip() in ("\ufffd", "\u221a"):  # big glyphs hang from their top
        return min(abs(span.y0 - middle), abs((span.y0 + span.y1) / 2 - middle)) < 1.1 * body
    reach = 1.2 if span.size >= 0.8 * body else 1.5
    return abs(span.center - middle) < reach * body


def _column(block: Block, width: float) -> tuple[float, float]:
    """The horizontal bounds of the column the block stands in on a two-column page of
    `width` (everything on a one-column page, width 0, or when the block spans the middle)."""
    if not width:
        return float("-inf"), float("inf")
    middle, slack = width / 2, 0.02 * width
    if block.x1 <= middle + slack:
        return 0.0, middle + slack
    if block.x0 >= middle - slack:
        return middle - slack, width
    return float("-inf"), float("inf")
