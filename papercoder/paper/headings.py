"""Section headings: numbered ("3.1 Residual Learning", "A Proofs") or named ("References"),
set apart by weight, size or small capitals."""

from __future__ import annotations

import re

from papercoder.paper.layout import Block

_NUMBERED = re.compile(
    r"^(?P<num>(?:\d{1,2}|[A-H])(?:\.\d{1,2}){0,3})\.?\s+(?P<title>[A-Za-z][^\n]{1,90})$"
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
    match = _NUMBERED.match(text)
    if match and emphasised and not text.endswith((",", ";")):
        title = match["title"].rstrip(". ")
        if sum(c.isalpha() for c in title) >= 3 and not title[0].islower():
            return match["num"], title_case(title)
    bare = text.rstrip(":. ").lower()
    if bare in _NAMED and (emphasised or text.isupper()):
        return None, title_case(text.rstrip(":. "))
    return None
