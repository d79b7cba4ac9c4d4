"""From a PDF page to text blocks in reading order, without page furniture.

Spans are read with PyMuPDF's ``dict`` extraction (no images, ligatures expanded); running
headers, footers, page numbers, arXiv side stamps and tiny figure labels are dropped;
blocks are put in reading order for one- and two-column layouts (full-width elements cut
the page into bands; inside a band the left column comes before the right); blocks that
overlap in one column (math split into pieces) are merged and their lines rebuilt by
baseline, so an equation reads left to right.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pymupdf

FLAGS = pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_PRESERVE_WHITESPACE
MARGIN = 0.1  # top and bottom share of the page where running heads and page numbers live
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi|medi|-bx|cmbx", re.I)
_ARXIV = re.compile(r"arxiv:\S+\s+\[[a-z-]+(\.[a-z]+)?\]", re.I)  # the side stamp
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(slots=True)
class Span:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool
    base: float = 0.0  # the baseline: where sub- and superscripts are told apart

    @property
    def center(self) -> float:
        """The middle of the letters, from the baseline: a tall glyph's box (a big bracket,
        an arrow) says little about the line it stands on."""
        if self.text.strip() == "\u221a":  # a radical hangs from its top: use its foot
            return self.y1 - 0.3 * self.size
        if self.base:
            return self.base - 0.3 * self.size
        return (self.y0 + self.y1) / 2


@dataclass(slots=True)
class Line:
    spans: list[Span]
    _text: str | None = field(default=None, init=False, repr=False, compare=False)
    _box: tuple[float, float, float, float, float] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def text(self) -> str:
        """The spans left to right, spaced where they stand apart (computed once: a line's
        spans do not change after it is made)."""
        if self._text is None:
            self._text = self._join()
        return self._text

    def _join(self) -> str:
        out = ""
        previous: Span | None = None
        for span in sorted(self.spans, key=lambda s: s.x0):
            gap = span.x0 - previous.x1 if previous else 0.0
            spaced = out.endswith(" ") or span.text.startswith(" ")
            if previous and gap > 0.15 * span.size and not spaced:
                out += " "
            out += span.text
            previous = span
        return " ".join(out.split())

    @property
    def gappy(self) -> bool:
        """Wide gaps between neighbouring spans: a table row, not a line of prose."""
        ordered = sorted(self.spans, key=lambda s: s.x0)
        return any(b.x0 - a.x1 > 1.5 * max(a.size, b.size) for a, b in itertools.pairwise(ordered))

    @property
    def x0(self) -> float:
        return self._geometry()[0]

    @property
    def x1(self) -> float:
        return self._geometry()[1]

    @property
    def y0(self) -> float:
        return self._geometry()[2]

    @property
    def y1(self) -> float:
        return self._geometry()[3]

    @property
    def size(self) -> float:
        return self._geometry()[4]

    def _geometry(self) -> tuple[float, float, float, float, float]:
        """x0, x1, y0, y1 and the largest size, computed once like the text."""
        if self._box is None:
            spans = self.spans
            self._box = (
                min(s.x0 for s in spans),
                max(s.x1 for s in spans),
                min(s.y0 for s in spans),
                max(s.y1 for s in spans),
                max(s.size for s in spans),
            )
        return self._box

    @property
    def bold(self) -> bool:
        return all(s.bold for s in self.spans if s.text.strip())


@dataclass(slots=True)
class Block:
    page: int
    lines: list[Line] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(line.x0 for line in self.lines)

    @property
    def x1(self) -> float:
        return max(line.x1 for line in self.lines)

    @property
    def y0(self) -> float:
        return min(line.y0 for line in self.lines)

    @property
    def y1(self) -> float:
        return max(line.y1 for line in self.lines)

    @property
    def size(self) -> float:
        sizes: Counter[float] = Counter()
        for line in self.lines:
            for span in line.spans:
                sizes[round(span.size, 1)] += len(span.text)
        return sizes.most_common(1)[0][0] if sizes else 0.0

    @property
    def max_size(self) -> float:
        return max(line.size for line in self.lines)

    @property
    def bold(self) -> bool:
        return all(line.bold for line in self.lines)

    @property
    def text(self) -> str:
        return join_lines([line.text for line in self.lines])


def join_lines(lines: list[str]) -> str:
    """Lines of a paragraph as one string, repairing hyphenation at line ends."""
    out = ""
    for line in lines:
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            out = out[:-1] + line
        else:
            out = f"{out} {line}" if out else line
    return out


def page_spans(page: pymupdf.Page) -> dict[str, Any]:
    return dict(page.get_text("dict", flags=FLAGS))


def furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split())).lower()


@dataclass
class DocumentStyle:
    """What is learnt from a sample of pages: body font size and running heads/feet."""

    body_size: float
    furniture: set[str]


def learn_style(pages: list[tuple[dict[str, Any], float]]) -> DocumentStyle:
    """`pages`: (dict extraction, page height) for a sample of pages."""
    sizes: Counter[float] = Counter()
    margins: Counter[str] = Counter()
    for data, height in pages:
        seen: set[str] = set()
        for block in data.get("blocks", []):
            for line in block.get("lines", []):
                text = "".join(s["text"] for s in line["spans"]).strip()
                for span in line["spans"]:
                    sizes[round(span["size"] * 2) / 2] += len(span["text"].strip())
                y0, y1 = line["bbox"][1], line["bbox"][3]
                if text and (y1 < MARGIN * height or y0 > (1 - MARGIN) * height):
                    seen.add(furniture_key(text))
        margins.update(seen)
    repeat = max(2, int(0.3 * len(pages)))
    furniture = {key for key, count in margins.items() if count >= repeat}
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    return DocumentStyle(body_size=body, furniture=furniture)


def _keep_line(
    line: dict[str, Any],
    text: str,
    height: float,
    style: DocumentStyle,
    titled: set[int],
    first: bool,
) -> bool:
    if line.get("dir", (1.0, 0.0))[0] < 0.99:  # rotated: side stamps, axis labels
        return False
    y0, y1 = line["bbox"][1], line["bbox"][3]
    in_margin = y1 < MARGIN * height or y0 > (1 - MARGIN) * height
    page_number = re.fullmatch(r"[\divxlc]{1,5}", text, re.I)
    furniture = page_number or furniture_key(text) in style.furniture
    if in_margin and furniture and id(line) not in titled:
        return False
    if _ARXIV.search(text):
        return False
    size = max(s["size"] for s in line["spans"])
    if size < 0.45 * style.body_size:  # labels inside figures
        return False
    if first and y0 > (1 - MARGIN) * height and size <= 0.9 * style.body_size:
        return False  # the first page's foot: proceedings, copyright, licence notes
    cjk = len(_CJK.findall(text))
    return not (cjk and cjk > len(text) / 3)  # reader's notes in another script


def page_blocks(
    data: dict[str, Any], page_no: int, width: float, height: float, style: DocumentStyle
) -> list[Block]:
    """The page's text blocks in reading order."""
    blocks: list[Block] = []
    titled = _numbers_with_titles(data, height)
    for raw in data.get("blocks", []):
        block = Block(page=page_no)
        for line in raw.get("lines", []):
            text = "".join(s["text"] for s in line["spans"]).strip()
            if not text or not _keep_line(line, text, height, style, titled, page_no == 0):
                continue
            spans = [
                Span(
                    s["text"],
                    s["bbox"][0],
                    s["bbox"][1],
                    s["bbox"][2],
                    s["bbox"][3],
                    size=s["size"],
                    bold=bool(s["flags"] & 16) or bool(_BOLD_FONT.search(s["font"])),
                    base=s["origin"][1],
                )
                for s in line["spans"]
                if s["text"]
            ]
            block.lines.append(Line(spans))
        if block.lines and not _footnote(block, height, style.body_size):
            blocks.append(block)
    return reading_order(blocks, width, style.body_size)


def _numbers_with_titles(data: dict[str, Any], height: float) -> set[int]:
    """Ids of the short number lines in the page's margins that have text beside them on
    the same baseline: a heading's number set apart from its title (at the top of a column
    it looks like a page number otherwise)."""
    lines = [line for raw in data.get("blocks", []) for line in raw.get("lines", [])]
    number = re.compile(r"\d{1,2}(\.\d{1,2})*\.?")
    numbers = [
        line
        for line in lines
        if (line["bbox"][3] < MARGIN * height or line["bbox"][1] > (1 - MARGIN) * height)
        and number.fullmatch(_line_text(line))
    ]
    titled: set[int] = set()
    for mark in numbers:
        x1, y0, y1 = mark["bbox"][2], mark["bbox"][1], mark["bbox"][3]
        for other in lines:
            ox0, oy0, oy1 = other["bbox"][0], other["bbox"][1], other["bbox"][3]
            if other is not mark and 0 <= ox0 - x1 < 40 and min(y1, oy1) - max(y0, oy0) > 0:
                titled.add(id(mark))
                break
    return titled


def _line_text(line: dict[str, Any]) -> str:
    return "".join(s["text"] for s in line["spans"]).strip()


def _footnote(block: Block, height: float, body: float) -> bool:
    """A small-print note at the foot of the page, starting with its mark: a symbol, or a
    number (set as a superscript when the note's type is close to the body's)."""
    if block.y0 <= 0.7 * height or block.max_size > body - 0.5:
        return False
    text = block.text
    if re.match("^[\u2217*\u2020\u2021\u00a7\u00b6]", text):
        return block.max_size <= 0.8 * body or _raised(block)
    if not re.match(r"^\d{1,2}(?![\d.,])", text):
        return False
    return _raised(block) or block.max_size <= 0.8 * body


def _raised(block: Block) -> bool:
    """Does the block start with a mark set smaller than the text after it?"""
    spans = sorted(block.lines[0].spans, key=lambda s: s.x0)
    return len(spans) > 1 and spans[0].size < 0.9 * spans[1].size


def two_columns(blocks: list[Block], width: float) -> bool:
    """Is the page set in two columns: a fair share of its text on each side of the middle?"""
    mid, tol = width / 2, 0.02 * width
    left = sum(len(b.text) for b in blocks if b.x1 <= mid + tol)
    right = sum(len(b.text) for b in blocks if b.x0 >= mid - tol and b.x1 > mid + tol)
    chars = sum(len(b.text) for b in blocks) or 1
    return left > 0.15 * chars and right > 0.15 * chars


def reading_order(blocks: list[Block], width: float, body: float) -> list[Block]:
    mid = width / 2
    tol = 0.02 * width
    left = [b for b in blocks if b.x1 <= mid + tol]
    right = [b for b in blocks if b.x0 >= mid - tol and b not in left]
    if not two_columns(blocks, width):
        return rebuild_lines(merge_overlapping(sorted(blocks, key=lambda b: (b.y0, b.x0))), body)
    full = sorted((b for b in blocks if b not in left and b not in right), key=lambda b: b.y0)
    ordered: list[Block] = []
    top = float("-inf")
    for cut in [*full, None]:
        bottom = cut.y0 if cut else float("inf")
        for column in (left, right):
            band = [b for b in column if top <= b.y0 < bottom]
            ordered += merge_overlapping(sorted(band, key=lambda b: (b.y0, b.x0)))
        if cut is not None:
            ordered.append(cut)
            top = cut.y0
    return rebuild_lines(ordered, body)


def merge_overlapping(blocks: list[Block]) -> list[Block]:
    """Merge blocks (sorted by top) that overlap vertically and horizontally."""
    merged: list[Block] = []
    for block in blocks:
        last = merged[-1] if merged else None
        if last is not None and _overlap(last, block):
            last.lines += block.lines
        else:
            merged.append(Block(page=block.page, lines=list(block.lines)))
    return merged


def _overlap(a: Block, b: Block) -> bool:
    """Do the two blocks interleave: does a line of one overlap a line of the other?"""
    if min(a.x1, b.x1) - max(a.x0, b.x0) <= 0 or b.y0 >= a.y1:
        return False
    for upper in _regular(a.lines[-4:]):
        for lower in _regular(b.lines[:4]):
            vertical = min(upper.y1, lower.y1) - max(upper.y0, lower.y0)
            smaller = min(upper.y1 - upper.y0, lower.y1 - lower.y0) or 1.0
            if vertical > 0.3 * smaller:
                return True
    return False


def _regular(lines: list[Line]) -> list[Line]:
    """Lines of ordinary height: a tall bracket or root sign says nothing about overlap."""
    return [line for line in lines if line.y1 - line.y0 <= 1.6 * line.size]


def rebuild_lines(blocks: list[Block], body: float) -> list[Block]:
    """Regroup each block's spans into visual lines, left to right: full-size spans are
    clustered by vertical centre, then sub- and superscripts join the nearest line. Blank
    spans are left out: their boxes (a space set at a script's height) would split lines."""
    result: list[Block] = []
    for block in blocks:
        spans = [s for line in block.lines for s in line.spans if s.text.strip()]
        if not spans:
            continue
        full = max(s.size for s in spans)
        main = sorted((s for s in spans if s.size >= 0.8 * full), key=lambda s: s.center)
        rows: list[list[Span]] = []
        for span in main:
            if rows and abs(span.center - rows[-1][0].center) < 0.45 * max(body, span.size):
                rows[-1].append(span)
            else:
                rows.append([span])
        for span in (s for s in spans if s.size < 0.8 * full):
            nearest = min(rows, key=lambda row: abs(row[0].center - span.center), default=None)
            close = nearest is not None and abs(nearest[0].center - span.center) < 0.9 * full
            if nearest is not None and close:
                nearest.append(span)
            else:
                rows.append([span])
        rows.sort(key=lambda row: min(s.y0 for s in row))
        block.lines = [Line(row) for row in rows]
        result += split_block(block, body)
    return result


def split_block(block: Block, body: float) -> list[Block]:
    """Split where the style changes (a heading run into its paragraph) or a gap opens."""
    parts = [Block(page=block.page, lines=[block.lines[0]])]
    for previous, line in itertools.pairwise(block.lines):
        restyled = abs(line.size - previous.size) >= 1.0 or line.bold != previous.bold
        gap = line.y0 - previous.y1 > 0.9 * body
        if restyled or gap:
            parts.append(Block(page=block.page, lines=[line]))
        else:
            parts[-1].lines.append(line)
    return parts


def _center(row: list[Span]) -> float:
    main = max(row, key=lambda s: s.size)
    return main.center
