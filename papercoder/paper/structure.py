"""From body blocks in reading order to a `Paper`: title and authors (see `front`), the
abstract, a section tree (headings from the document's own model, see `headings`), and
references kept apart (numbered, or split by hanging indent)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from papercoder.paper.front import authors_from, find_title, title_text
from papercoder.paper.headings import Headings, find_headings
from papercoder.paper.layout import Block, join_lines
from papercoder.paper.model import Algorithm, Equation, Figure, Paper, Section, Table, nest

Item = Table | Figure | Algorithm | Equation

_REFERENCES = {"references", "bibliography"}
_EQ_NUMBER = re.compile(r"^\(\d+[a-z]?\)$")
_NUMBERED_REF = re.compile(r"^(\[\d+\]|\d{1,3}\.\s)")


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
    texts = [line.text for _, line in lines]
    if sum(bool(_NUMBERED_REF.match(text)) for text in texts) >= 3:
        starts = [bool(_NUMBERED_REF.match(text)) for text in texts]
    else:
        edges = _edges(blocks)
        starts = [line.x0 <= edges[id(block)] + 2 for block, line in lines]
        if all(starts):  # no hanging indent: one entry per block
            starts = [index == 0 for block in blocks for index in range(len(block.lines))]
    entries: list[list[str]] = []
    for text, start in zip(texts, starts, strict=True):
        if start or not entries:
            entries.append([text])
        else:
            entries[-1].append(text)
    return [join_lines(entry) for entry in entries]


def _edges(blocks: Sequence[Block]) -> dict[int, float]:
    """For each block, the left edge of the reference column it stands in on its page."""
    starts = [(block.page, block.x0, min(line.x0 for line in block.lines)) for block in blocks]
    return {
        id(block): min(
            edge for page, x0, edge in starts if page == block.page and abs(x0 - block.x0) < 30
        )
        for block in blocks
    }


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
    first_height: float,
    name: str,
    sha: str,
) -> Paper:
    title_blocks = find_title(blocks, body)
    title_ids = {id(b) for b in title_blocks}
    headings = find_headings([b for b in blocks if id(b) not in title_ids], body)
    builder = _Builder(body, headings)
    section_at: list[str | None] = []
    for block in blocks:
        current = builder.current
        section_at.append(current.heading if current else None)
        if id(block) not in title_ids:
            for part in headings.splits.get(id(block), [block]):
                builder.add(part)
    paper = Paper(
        title=title_text(title_blocks) or str(meta.get("title") or name),
        authors=authors_from(meta, builder.front, first_height),
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
