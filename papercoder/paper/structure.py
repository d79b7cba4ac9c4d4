"""From body blocks in reading order to a `Paper`: title, authors, abstract, a section tree
(headings found from numbering and font size or weight), and references kept apart."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from papercoder.paper.headings import Headings, find_headings
from papercoder.paper.layout import Block, Line, Span, join_lines
from papercoder.paper.model import Algorithm, Equation, Figure, Paper, Section, Table, nest

Item = Table | Figure | Algorithm | Equation

_REFERENCES = {"references", "bibliography"}
_EQ_NUMBER = re.compile(r"^\(\d+[a-z]?\)$")
_NUMBERED_REF = re.compile(r"^(\[\d+\]|\d{1,3}\.\s)")
_NOT_NAME = re.compile(
    r"@|\d|university|institute|research|google|microsoft|department|lab\b|"
    r"school|college|inc\b|corp|amsterdam|toronto|cifar|open ?ai",
    re.I,
)
_MARKS = re.compile("[\u2217*\u2020\u2021\u00a7\u00b6]")  # footnote marks


def _continues(previous: str, text: str) -> bool:
    """A paragraph cut by a column or page break: no full stop, then a lowercase start."""
    return bool(text[:1].islower()) and not previous.rstrip().endswith((".", "!", "?", ":"))


def level_of(number: str | None) -> int:
    return number.count(".") + 1 if number else 1


def split_references(blocks: Sequence[Block]) -> list[str]:
    """Entries of a reference list: numbered ('[12] ...', '12. ...') or, unnumbered, by
    hanging indent: an entry starts at the column's left edge, its other lines are
    indented. The edge is learnt per page and column, so a block holding only the
    continuation of an entry (cut by PyMuPDF or by a page break) joins its entry."""
    lines = [(block, line) for block in blocks for line in block.lines]
    if not lines:
        return []
    if sum(bool(_NUMBERED_REF.match(line.text)) for _, line in lines) >= 3:
        starts = [bool(_NUMBERED_REF.match(line.text)) for _, line in lines]
    else:
        starts = [line.x0 <= _edge(block, blocks) + 2 for block, line in lines]
        if all(starts):  # no hanging indent: one entry per block
            starts = [index == 0 for block in blocks for index in range(len(block.lines))]
    entries: list[list[str]] = []
    for (_, line), start in zip(lines, starts, strict=True):
        if start or not entries:
            entries.append([line.text])
        else:
            entries[-1].append(line.text)
    return [join_lines(entry) for entry in entries]


def _edge(block: Block, blocks: Sequence[Block]) -> float:
    """The left edge of the reference column `block` stands in, on its page."""
    near = [
        line.x0
        for other in blocks
        if other.page == block.page and abs(other.x0 - block.x0) < 30
        for line in other.lines
    ]
    return min(near)


def find_title(blocks: Sequence[Block], body: float) -> Block | None:
    first_page = [b for b in blocks if b.page == 0 and len(b.text) > 3]
    if not first_page:
        return None
    top = min(b.y0 for b in first_page)
    candidates = [b for b in first_page if b.y0 < top + 400]
    best = max(candidates, key=lambda b: (b.size, -b.y0))
    return best if best.size >= 1.15 * body else None


def authors_from(meta: dict[str, Any], front: list[Block]) -> list[str]:
    listed = str(meta.get("author") or "").strip()
    if listed:
        return [a.strip() for a in re.split(r",|;|\band\b", listed) if a.strip()]
    names: list[str] = []
    for block in front:
        for line in block.lines:
            for cell in _cells(line):  # names set side by side on one line, apart
                text = _MARKS.sub("", cell).strip(" ,")
                words = text.split()
                if (
                    2 <= len(words) <= 4
                    and not _NOT_NAME.search(text)
                    and all(w[:1].isupper() for w in words)
                ):
                    names.append(text)
    return names


def _cells(line: Line) -> list[str]:
    """The line's text split where spans stand more than an em apart."""
    cells: list[list[Span]] = []
    for span in sorted(line.spans, key=lambda s: s.x0):
        if cells and span.x0 - cells[-1][-1].x1 <= span.size:
            cells[-1].append(span)
        else:
            cells.append([span])
    return [Line(cell).text for cell in cells]


class _Builder:
    def __init__(self, body: float, headings: Headings) -> None:
        self.body = body
        self.headings = headings
        self.state = "front"
        self.front: list[Block] = []
        self.abstract: list[str] = []
        self.flat: list[Section] = []
        self.paragraphs: dict[int, list[str]] = {}
        self.reference_blocks: list[Block] = []

    @property
    def current(self) -> Section | None:
        return self.flat[-1] if self.flat else None

    def add(self, block: Block) -> None:
        if id(block) in self.headings.absorbed:
            return
        heading = self.headings.found.get(id(block))
        if heading is not None:
            self._heading(block, *heading)
            return
        text = block.text.strip()
        if self.state == "front":
            run_in = re.match("^abstract\\s*[.:\u2014\u2013-]\\s*(.+)$", text, re.I | re.S)
            if run_in:
                self.state = "abstract"
                self.abstract.append(run_in.group(1))
            else:
                self.front.append(block)
        elif self.state == "abstract":
            self.abstract.append(text)
        elif self.state == "references":
            self.reference_blocks.append(block)
        elif self.current is not None:
            paragraphs = self.paragraphs.setdefault(id(self.current), [])
            if paragraphs and (_EQ_NUMBER.match(text) or _continues(paragraphs[-1], text)):
                paragraphs[-1] = join_lines([paragraphs[-1], text])
            else:
                paragraphs.append(text)

    def _heading(self, block: Block, number: str | None, title: str) -> None:
        low = title.lower()
        if low == "abstract":
            self.state = "abstract"
            return
        if low in _REFERENCES:
            self.state = "references"
            return
        resumes_body = low in ("appendix", "appendices") or low.startswith("supplementary")
        if self.state == "references" and number is None and not resumes_body:
            self.reference_blocks.append(block)
            return
        self.state = "body"
        self.flat.append(Section(number=number, title=title, level=level_of(number)))

    def sections(self) -> list[Section]:
        for section in self.flat:
            section.text = "\n\n".join(self.paragraphs.get(id(section), []))
        return nest(self.flat)


def build_paper(
    blocks: list[Block],
    items: list[tuple[int, Item]],
    body: float,
    meta: dict[str, Any],
    page_count: int,
    name: str,
    sha: str,
) -> Paper:
    title_block = find_title(blocks, body)
    headings = find_headings([b for b in blocks if b is not title_block], body)
    builder = _Builder(body, headings)
    section_at: list[str | None] = []
    for block in blocks:
        current = builder.current
        section_at.append(current.heading if current else None)
        if block is not title_block:
            builder.add(block)
    paper = Paper(
        title=" ".join(title_block.text.split()) if title_block else str(meta.get("title") or name),
        authors=authors_from(meta, builder.front),
        abstract="\n\n".join(builder.abstract),
        sections=builder.sections(),
        references=split_references(builder.reference_blocks),
        page_count=page_count,
        source_name=name,
        source_sha256=sha,
    )
    for index, item in items:
        located = item.model_copy(
            update={"section": section_at[min(index, len(section_at) - 1)] if section_at else None}
        )
        if isinstance(located, Table):
            paper.tables.append(located)
        elif isinstance(located, Figure):
            paper.figures.append(located)
        elif isinstance(located, Algorithm):
            paper.algorithms.append(located)
        else:
            paper.equations.append(located)
    return paper
