"""Telling a reply that loops from one that is merely long.

A model decoding greedily that starts to repeat itself repeats until the output limit: asked
again with a larger limit, it writes the same text and repeats for longer. So a reply cut off
while repeating is not asked again bigger; its text up to the loop is what there is to keep.
"""

from __future__ import annotations

MAX_UNIT = 400  # characters: the longest repeated unit looked for (a few lines of code)
MIN_SPAN = 200  # characters the repetition must cover at the end of a reply that was cut off
LIVE_SPAN = 500  # ... and in a reply still being written, which may yet stop repeating
MIN_REPEATS = 3


COUNTED_REPEATS = 8  # copies of a unit that differ only in their numbers: a count, a loop


def loop_start(text: str, span: int = MIN_SPAN) -> int | None:
    """Where `text`'s repeating tail begins (the end of its first copy of the repeated unit),
    or None when the tail does not repeat. The tail repeats when its last characters are a
    unit of up to MAX_UNIT characters written MIN_REPEATS times or more, over `span`
    characters or more; a unit cut off by the output limit still counts. A tail counting,
    its copies the same but for the numbers that end their names, repeats too when there
    are COUNTED_REPEATS of them or more: transformer's `__init__` from the 1.5B model ran
    `"w1": ...` to `"w21": ...` until the limit, asked again bigger to `"w40"` (papers-35)."""
    start = _repeat_start(text, span, MIN_REPEATS)
    if start is not None:
        return start
    counted, where = _counted(text)
    start = _repeat_start(counted, span, COUNTED_REPEATS)
    return None if start is None else where[start]


def _counted(text: str) -> tuple[str, list[int]]:
    """`text` with each run of digits that ends a name written `#` (`w12`, `layer_3`; not a
    number of its own, `0.5`: a table of values is no count), and where each of its
    characters is in `text` (one more for its end)."""
    chars: list[str] = []
    where: list[int] = []
    i = 0
    while i < len(text):
        where.append(i)
        if text[i].isdigit() and i > 0 and (text[i - 1].isalpha() or text[i - 1] == "_"):
            chars.append("#")
            while i < len(text) and text[i].isdigit():
                i += 1
        else:
            chars.append(text[i])
            i += 1
    where.append(len(text))
    return "".join(chars), where


def _repeat_start(text: str, span: int, repeats: int) -> int | None:
    n = len(text)
    for unit in range(1, min(MAX_UNIT, n // repeats) + 1):
        i = n - 1 - unit
        while i >= 0 and text[i] == text[i + unit]:
            i -= 1
        covered = n - 1 - i  # characters of the repetition, its first copy included
        if covered >= max(span, repeats * unit):
            start = i + 1 + unit
            if "\n" in text[start - unit : start]:  # repeated lines: keep whole lines
                start = text.find("\n", start - 1) + 1
            return start
    return None


def before_loop(text: str) -> str:
    """`text` without its repeating tail, one copy of the repeated unit kept."""
    start = loop_start(text)
    return text if start is None else text[:start]
