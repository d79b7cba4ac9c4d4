"""Section headings: numbered ("3.1 Residual Learning", "A Proofs") or named ("References"),
set apart by weight, size or small capitals."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from papercoder.paper.layout import Block

_NUMBERED = re.compile(
    r"^(?:Appendix\s+)?(?P<num>(?:\d{1,2}|[A-H])(?:\.\d{1,2}){0,3})\.?\s+"
    r"(?P<title>[A-Za-z][^\n]{1,110})$"
)
_NAMED = {
    "abstract",
    "references",
    "bibliography",
    "acknowledgments",
    "acknowledgements",
    "acknowledgment",
    "appendix",
    "appendices",
    "introduction",
    "conclusion",
    "conclusions",
    "related work",
    "supplementary material",
}
_SMALL = {
    "a",
    "an",
    "and",
    "as",
    "at",
    "by",
    "for",
    "in",
    "of",
    "on",
    "or",
    "the",
    "to",
    "via",
    "with",
    "is",
    "all",
    "you",
}


def title_case(text: str) -> str:
    """'ADAM'S UPDATE RULE' -> "Adam's Update Rule"; mixed case is left alone."""
    if not text.isupper():
        return text
    words = text.lower().split()
    return " ".join(
        w if (i and w in _SMALL) else w[:1].upper() + w[1:] for i, w in enumerate(words)
    )


def numbered_title(text: str) -> tuple[str, str] | None:
    """(number, title) when `text` reads like a numbered heading, whatever its font."""
    match = _NUMBERED.match(text)
    if not match or text.endswith((",", ";")):
        return None
    title = match["title"].rstrip(". ")
    if match["num"].isalpha() and re.match(r"[A-Z]\.(\s|$)", title):
        return None  # 'G. E. Hinton, N. Srivastava': initials, not appendix G
    first = title.split()[0]
    if sum(c.isalpha() for c in title) < 3 or (first.isalpha() and first.islower()):
        return None  # '1 and 2 show ...': a sentence, not a heading ('t-SNE' passes)
    return match["num"], title_case(title)


def heading_of(block: Block, body: float) -> tuple[str | None, str] | None:
    """(number, title) when the block is a section heading."""
    text = " ".join(block.text.split())
    if len(text) > 100 or len(block.lines) > 3 or not text:
        return None
    letters = [c for c in text if c.isalpha()]
    small_caps = len(letters) >= 4 and all(c.isupper() for c in letters)
    emphasised = (
        block.bold or block.size >= body + 0.9 or block.max_size >= body + 1.5 or small_caps
    )
    numbered = numbered_title(text)
    if numbered and emphasised:
        return numbered
    bare = text.rstrip(":. ").lower()
    if bare in _NAMED and (emphasised or text.isupper()):
        return None, title_case(text.rstrip(":. "))
    return None


@dataclass(frozen=True)
class HeadingStyle:
    """How a document sets its headings: size (to half a point), weight, capitals."""

    size: float
    bold: bool
    caps: bool


def style_of(block: Block) -> HeadingStyle:
    letters = [c for c in block.text if c.isalpha()]
    caps = len(letters) >= 4 and all(c.isupper() for c in letters)
    return HeadingStyle(round(block.size * 2) / 2, block.bold, caps)


@dataclass
class Headings:
    """The headings of a document by block id, the blocks that were only the continuation
    of a heading's title (a wrapped line in another font), and the blocks that start with a
    heading run into their paragraph, by id, as [heading, paragraph]."""

    found: dict[int, tuple[str | None, str]]
    absorbed: set[int]
    splits: dict[int, list[Block]]


def find_headings(blocks: Sequence[Block], body: float) -> Headings:
    """Headings from a per-document model: the headings set apart by their type give the
    document's heading styles and numbering; a numbered line in one of those styles, or
    one that is the missing link of the numbering (a '2' between '1.3' and '2.1'), is a
    heading too, even when its font alone would not say so."""
    found = {id(b): h for b in blocks if (h := heading_of(b, body)) is not None}
    plain = HeadingStyle(round(body * 2) / 2, False, False)
    styles = {style_of(b) for b in blocks if id(b) in found and found[id(b)][0]} - {plain}
    numbers = [(i, h[0]) for i, b in enumerate(blocks) if (h := found.get(id(b))) and h[0]]
    splits: dict[int, list[Block]] = {}
    for index, block in enumerate(blocks):
        if id(block) in found:
            continue
        before = [n for i, n in numbers if i < index]
        after = [n for i, n in numbers if i > index]
        if len(block.lines) <= 2 and len(block.text) <= 100:
            candidate = numbered_title(" ".join(block.text.split()))
            if candidate and (
                style_of(block) in styles or _missing_link(candidate[0], before, after)
            ):
                found[id(block)] = candidate
            continue
        first = block.lines[0]  # a heading run into its paragraph, in the paragraph's type
        candidate = numbered_title(first.text)
        short = first.x1 - first.x0 < 0.7 * (block.x1 - block.x0)
        if candidate and short and _missing_link(candidate[0], before, after):
            head, rest = Block(block.page, [first]), Block(block.page, block.lines[1:])
            found[id(head)] = candidate
            splits[id(block)] = [head, rest]
    absorbed = _continuations(blocks, found, body)
    return Headings(found, absorbed, splits)


def _missing_link(number: str, before: list[str], after: list[str]) -> bool:
    """Does `number` complete the numbering between the headings around it?"""
    return bool(before and after) and _follows(before[-1], number) and _precedes(number, after[0])


def _parts(number: str) -> list[str]:
    return number.split(".")


def _next(part: str) -> str:
    return str(int(part) + 1) if part.isdigit() else chr(ord(part) + 1)


def _follows(previous: str, number: str) -> bool:
    """Can `number` come right after `previous` ('1.3' -> '2', '2' -> '2.1', '2.1' -> '2.2')?"""
    prev, this = _parts(previous), _parts(number)
    if len(this) > len(prev) + 1:
        return False
    if len(this) == len(prev) + 1:
        return this[:-1] == prev and this[-1] in ("1", "A")
    depth = len(this)
    return prev[: depth - 1] == this[:-1] and _next(prev[depth - 1]) == this[-1]


def _precedes(number: str, following: str) -> bool:
    return _follows(number, following) or any(
        _follows(".".join(_parts(number)[:depth]), following)
        for depth in range(1, len(_parts(number)))
    )


def _continuations(
    blocks: Sequence[Block], found: dict[int, tuple[str | None, str]], body: float
) -> set[int]:
    """A heading's title wrapped onto a short line set in another font ('Comparison with' /
    'word2vec'): close under the heading, aligned with it, set apart from what follows."""
    absorbed: set[int] = set()
    for index, block in enumerate(blocks[:-1]):
        heading = found.get(id(block))
        following = blocks[index + 1]
        if heading is None or id(following) in found or len(following.lines) != 1:
            continue
        line = following.lines[0]
        gap = line.y0 - block.y1
        after = blocks[index + 2].y0 - line.y1 if index + 2 < len(blocks) else body
        if (
            following.page == block.page
            and len(line.text) <= 40
            and not line.text.endswith((".", ":"))
            and -1 < gap < 0.4 * body
            and after > 2 * max(gap, 1.0)
            and block.x0 - 1 <= line.x0 <= block.x0 + 4 * body
        ):
            found[id(block)] = (heading[0], f"{heading[1]} {line.text}")
            absorbed.add(id(following))
    return absorbed
