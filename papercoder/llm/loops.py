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


def loop_start(text: str, span: int = MIN_SPAN) -> int | None:
    """Where `text`'s repeating tail begins (the end of its first copy of the repeated unit),
    or None when the tail does not repeat. The tail repeats when its last characters are a
    unit of up to MAX_UNIT characters written MIN_REPEATS times or more, over `span`
    characters or more; a unit cut off by the output limit still counts."""
    n = len(text)
    for unit in range(1, min(MAX_UNIT, n // MIN_REPEATS) + 1):
        i = n - 1 - unit
        while i >= 0 and text[i] == text[i + unit]:
            i -= 1
        covered = n - 1 - i  # characters of the repetition, its first copy included
        if covered >= max(span, MIN_REPEATS * unit):
            start = i + 1 + unit
            if "\n" in text[start - unit : start]:  # repeated lines: keep whole lines
                start = text.find("\n", start - 1) + 1
            return start
    return None


def before_loop(text: str) -> str:
    """`text` without its repeating tail, one copy of the repeated unit kept."""
    start = loop_start(text)
    return text if start is None else text[:start]
