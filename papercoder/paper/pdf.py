"""Reading a paper PDF with PyMuPDF into a `Paper`, with one-line errors for bad files."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymupdf

from papercoder.errors import InputError
from papercoder.paper import layout, regions
from papercoder.paper.equations import find_equations
from papercoder.paper.formula import linear
from papercoder.paper.layout import Block, DocumentStyle, join_lines
from papercoder.paper.model import Algorithm, Equation, Figure, Paper, Table
from papercoder.paper.structure import build_paper

SAMPLE_PAGES = 40
_EQ_NUMBER = re.compile(r"(?:^|\s)\((\d+[a-z]?)\)$")
_ALGO_START = re.compile(
    r"\b(Require|Input|Ensure|Output|Data(?=:)|Initiali[sz]e|procedure|function)\b"
)

Item = Table | Figure | Algorithm | Equation


@dataclass
class Flow:
    """Body blocks in reading order, and the captioned items found between them."""

    blocks: list[Block] = field(default_factory=list)
    items: list[tuple[int, Item]] = field(default_factory=list)


def open_pdf(path: Path) -> pymupdf.Document:
    """The document, or an `InputError` that says what is wrong with the file."""
    if not path.exists():
        raise InputError(f"paper {path} does not exist", "check the path")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a paper", "pass the PDF file itself")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty (0 bytes)", "download the paper again")
    with path.open("rb") as handle:
        if b"%PDF-" not in handle.read(1024):
            raise InputError(
                f"{path} is not a PDF (no %PDF header)",
                "pass the paper's PDF, or a .md, .tex or .txt file",
            )
        handle.seek(max(0, path.stat().st_size - 2048))
        if b"%%EOF" not in handle.read():
            raise InputError(
                f"{path} is truncated (no end-of-file marker)", "download the paper again"
            )
    try:
        doc = pymupdf.open(path)
    except (pymupdf.FileDataError, RuntimeError, ValueError) as exc:
        raise InputError(f"{path} is not a readable PDF ({exc})", "download it again") from exc
    if doc.needs_pass:
        doc.close()
        raise InputError(
            f"{path} is encrypted",
            "save a decrypted copy (e.g. `qpdf --decrypt in.pdf out.pdf`) and pass that",
        )
    if doc.page_count == 0:
        doc.close()
        raise InputError(f"{path} has no pages", "download the paper again")
    return doc


def read_pdf(path: Path) -> Paper:
    doc = open_pdf(path)
    try:
        return _read(doc, path, hashlib.sha256(path.read_bytes()).hexdigest())
    finally:
        doc.close()


def _read(doc: pymupdf.Document, path: Path, sha: str) -> Paper:
    count = doc.page_count
    step = max(1, count // SAMPLE_PAGES)
    cached: dict[int, dict[str, Any]] = {}
    for number in range(0, count, step):
        cached[number] = _page_data(doc, number, path)
    style = layout.learn_style([(cached[n], doc[n].rect.height) for n in cached])
    flow = Flow()
    for number in range(count):
        page = doc[number]
        data = cached.pop(number, None) or _page_data(doc, number, path)
        blocks = layout.page_blocks(data, number, page.rect.width, page.rect.height, style)
        _claim(page, blocks, style, flow)
    if not any(block.text.strip() for block in flow.blocks) and not flow.items:
        raise InputError(
            f"{path} has no extractable text (a scanned PDF?)",
            "run OCR first, e.g. `ocrmypdf in.pdf out.pdf`, and pass the result",
        )
    meta = doc.metadata or {}
    return build_paper(
        flow.blocks, flow.items, style.body_size, meta, count, doc[0].rect.height, path.name, sha
    )


def _page_data(doc: pymupdf.Document, number: int, path: Path) -> dict[str, Any]:
    try:
        return layout.page_spans(doc[number])
    except (RuntimeError, ValueError) as exc:
        raise InputError(
            f"{path} is damaged: page {number + 1} cannot be read ({exc})",
            "download the paper again (the file may be truncated)",
        ) from exc


def _claim(page: pymupdf.Page, blocks: list[Block], style: DocumentStyle, flow: Flow) -> None:
    """Move captions and what they own out of the body flow; note equations."""
    body = style.body_size
    claimed: set[int] = set()
    found: list[tuple[Block, Item]] = []
    for block in blocks:
        caption = regions.caption_of(block)
        if caption is None or id(block) in claimed:
            continue
        kind, number = caption
        item, region = _captioned(page, blocks, block, kind, number, body, frozenset(claimed))
        claimed.update(id(b) for b in (block, *region))
        found.append((block, item))
    order = {id(b): i for i, b in enumerate(blocks)}
    kept = [b for b in blocks if id(b) not in claimed]
    base = len(flow.blocks)
    for block, item in found:
        position = sum(1 for b in kept if order[id(b)] < order[id(block)])
        flow.items.append((base + position, item))
    columns = page.rect.width if layout.two_columns(blocks, page.rect.width) else 0.0
    kept, equations = find_equations(kept, body, columns)
    flow.items += [(base + index, equation) for index, equation in equations]
    flow.blocks += kept


def _captioned(
    page: pymupdf.Page,
    blocks: list[Block],
    caption: Block,
    kind: str,
    number: str,
    body: float,
    taken: frozenset[int],
) -> tuple[Item, list[Block]]:
    text = caption.text
    if kind == "table":
        rest = regions.continuation(blocks, caption, body, taken)
        if rest is not None:  # a caption PyMuPDF cut in two: the rest is no table row
            text = join_lines([text, rest.text])
            taken = taken | {id(rest)}
        below = regions.grow(blocks, caption, body, True, taken)
        above = regions.grow(blocks, caption, body, False, taken)
        region = below if regions.rows_of(below) >= regions.rows_of(above) else above
        rows = regions.grid(_words(page, region)) if region else []
        table = Table(number=number, caption=text, rows=rows, page=page.number + 1)
        return table, region + ([rest] if rest is not None else [])
    if kind == "algorithm":
        region = regions.grow(blocks, caption, body, True, taken, steps=True)
        merged = Block(page=caption.page, lines=[ln for b in (caption, *region) for ln in b.lines])
        lines = [
            linear(line.spans)
            for part in layout.rebuild_lines([merged], body)
            for line in part.lines
        ]
        full = "\n".join(lines)
        start = _ALGO_START.search(full)
        head = full[: start.start()] if start else lines[0]
        steps = full[start.start() :] if start else "\n".join(lines[1:])
        algorithm = Algorithm(
            number=number, caption=" ".join(head.split()), text=steps, page=page.number + 1
        )
        return algorithm, region
    region = regions.grow(blocks, caption, body, False, taken)
    return Figure(number=number, caption=text, page=page.number + 1), region


def _words(page: pymupdf.Page, region: list[Block]) -> list[regions.Word]:
    rect = pymupdf.Rect(
        min(b.x0 for b in region),
        min(b.y0 for b in region),
        max(b.x1 for b in region),
        max(b.y1 for b in region),
    )
    words = page.get_text("words", clip=rect)
    return [(w[0], w[1], w[2], w[3], str(w[4])) for w in words]
