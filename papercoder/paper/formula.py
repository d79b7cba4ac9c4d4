"""Display maths as one line a model can read, from the positions of its pieces.

A PDF sets an equation as pieces: a main baseline, sub- and superscripts in smaller type
above or below it, fractions as a numerator over a denominator, accents as separate glyphs
over a letter. `linear` puts them back in reading order with the structure marked:
``x_i``, ``10^-8``, ``beta_1^t``, ``(QK^T)/(sqrt d_k)``, ``D^(-1/2)`` with its tilde,
``sum_(j)`` (the characters are the ones the PDF sets).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from papercoder.paper.layout import Span

_ACCENTS = {
    "\u02dc": "\u0303",  # small tilde
    "~": "\u0303",
    "\u02c6": "\u0302",  # modifier circumflex
    "^": "\u0302",
    "\u00af": "\u0304",  # ¯ bar
    "\u02d9": "\u0307",  # ˙ dot
    "\u00a8": "\u0308",  # ¨ two dots
    "\u2192": "\u20d7",  # → vector arrow
    "\ufffd": "\u0302",  # a wide accent the font gives no character for (a wide hat)
}
# sums, products, integrals; U+FFFD: a big operator the font gives no character for
_BIG = set("\u2211\u220f\u222b\u222e\u22c3\u22c2\ufffd")
_BARE = re.compile("[\u2212-]?[\\w.\u2032']+|\\(.*\\)|\\[.*\\]")
SMALL = 0.8  # a span under this share of the main size is a script


@dataclass
class _Piece:
    """A span, or a small fraction of scripts, with the text to write for it."""

    text: str
    x0: float
    x1: float
    base: float
    size: float
    y0: float = 0.0
    y1: float = 0.0


def linear(spans: Sequence[Span], baseline: float | None = None) -> str:
    """The equation in `spans` as one line, sub/superscripts and fractions marked;
    `baseline`, when known (that of the equation's number), is the main one."""
    pieces = _accented([s for s in spans if s.text.strip()])
    if not pieces:
        return ""
    weight: dict[float, float] = {}
    for piece in pieces:
        key = round(piece.size, 1)
        weight[key] = weight.get(key, 0) + (sum(c.isalnum() for c in piece.text) + 1) * key**2
    size = max(weight, key=lambda k: (weight[k], k))
    full = [p for p in pieces if p.size >= SMALL * size]
    small = [p for p in pieces if p.size < SMALL * size]
    main = baseline if baseline is not None else _main_baseline(full or pieces)
    # a big glyph's baseline says nothing (sums, brackets and radicals hang from the top)
    hanging = ("\ufffd", "\u221a")  # radicals too
    above = [p for p in full if p.base < main - 0.25 * size and p.text.strip() not in hanging]
    below = [p for p in full if p.base > main + 0.25 * size and p.text.strip() not in hanging]
    on_main = [p for p in full if p not in above and p not in below]
    items: list[_Piece] = []
    taken: set[int] = set()
    for stack in _stacks(above, below):
        item, members = _stack(stack, on_main, small, size)
        items.append(item)
        taken.update(id(p) for p in members)
    rest = [p for p in on_main if id(p) not in taken]
    scripts = _limits(rest, [p for p in small if id(p) not in taken], main)
    return _unmapped(_render([*rest, *items], scripts, main, size))


def _limits(pieces: list[_Piece], scripts: list[_Piece], main: float) -> list[_Piece]:
    """Small limits set under and over a big operator ('k=0' under a sum, 'K' over it)
    written after it: the operator's text gains them; the scripts left are returned."""
    left = list(scripts)
    for operator in pieces:
        if not set(operator.text.strip()) & _BIG:
            continue
        mine = [s for s in left if operator.x0 - 1 <= (s.x0 + s.x1) / 2 <= operator.x1 + 1]
        if not mine:
            continue
        ordered = sorted(mine, key=lambda s: s.x0)
        below = "".join(s.text.strip() for s in ordered if s.base > main)
        above = "".join(s.text.strip() for s in ordered if s.base <= main)
        sign = operator.text.strip().replace("\ufffd", "\u2211")
        operator.text = sign + _script("_", below) + _script("^", above)
        left = [s for s in left if s not in mine]
    return left


def _accented(spans: Sequence[Span]) -> list[_Piece]:
    """Pieces with accents put on their letter (a tilde glyph over 'D' -> 'D' + U+0303); a
    glyph with no character that stands over no letter is kept for `_unmapped`."""
    pieces = [
        _Piece(s.text, s.x0, s.x1, s.base, s.size, s.y0, s.y1)
        for s in spans
        if s.text.strip() not in _ACCENTS
    ]
    for span in spans:
        mark = _ACCENTS.get(span.text.strip())
        if mark is None:
            continue
        middle = (span.x0 + span.x1) / 2
        letter = next(
            (p for p in pieces if p.x0 <= middle <= p.x1 and any(c.isalpha() for c in p.text)),
            None,
        )
        if letter is not None and (span.text.strip() != "\ufffd" or span.x1 - span.x0 < 12):
            letter.text = _combine(letter, middle, mark)
        elif span.text.strip() == "\ufffd":  # a big operator or bracket: see _unmapped
            pieces.append(
                _Piece("\ufffd", span.x0, span.x1, span.base, span.size, span.y0, span.y1)
            )
    return pieces


def _unmapped(text: str) -> str:
    """Glyphs the font gives no character for (U+FFFD): one with a lower limit after it
    and no bracket open is a sum; the others are big brackets, opening when set right
    against what follows, else closing the last one opened."""
    out = ""
    depth = 0
    for index, char in enumerate(text):
        if char != "\ufffd":
            out += char
        elif depth == 0 and text[index + 1 : index + 2] == "_":
            out += "\u2211"
        elif text[index + 1 : index + 2].isalnum():  # set right against what it encloses
            out += "("
            depth += 1
        elif depth > 0:
            out += ")"
            depth -= 1
        else:
            out += "("
            depth += 1
    return out


def _combine(piece: _Piece, middle: float, mark: str) -> str:
    """The piece's text with `mark` after the character nearest `middle`."""
    text = piece.text
    width = (piece.x1 - piece.x0) or 1.0
    index = min(len(text) - 1, max(0, int((middle - piece.x0) / width * len(text))))
    while index > 0 and not text[index].isalpha():
        index -= 1
    return text[: index + 1] + mark + text[index + 1 :]


def _main_baseline(pieces: Sequence[_Piece]) -> float:
    weight: dict[float, int] = {}
    for piece in pieces:
        key = round(piece.base)
        weight[key] = weight.get(key, 0) + len(piece.text.strip())
    best = max(weight, key=lambda k: weight[k])
    return float(best)


def _stacks(above: list[_Piece], below: list[_Piece]) -> list[tuple[list[_Piece], list[_Piece]]]:
    """Numerator/denominator pairs: pieces above and below the baseline that overlap."""
    groups: list[tuple[list[_Piece], list[_Piece]]] = []
    for piece in sorted([*above, *below], key=lambda p: p.x0):
        side = 0 if piece in above else 1
        for group in groups:
            x0 = min(p.x0 for part in group for p in part)
            x1 = max(p.x1 for part in group for p in part)
            if piece.x0 < x1 and piece.x1 > x0:
                group[side].append(piece)
                break
        else:
            pair: tuple[list[_Piece], list[_Piece]] = ([], [])
            pair[side].append(piece)
            groups.append(pair)
    return groups


def _stack(
    stack: tuple[list[_Piece], list[_Piece]],
    on_main: list[_Piece],
    small: list[_Piece],
    size: float,
) -> tuple[_Piece, list[_Piece]]:
    """One piece for a stack: a fraction 'num/den', or a big operator with its limits;
    with the pieces and scripts it took."""
    upper, lower = stack
    x0 = min(p.x0 for part in stack for p in part)
    x1 = max(p.x1 for part in stack for p in part)
    operator = next(
        (
            p
            for p in on_main
            if p.x0 - size < x0 and p.x1 + size > x1 and set(p.text.strip()) & _BIG
        ),
        None,
    )
    inside = [p for p in on_main if p.x1 > x0 + 1 and p.x0 < x1 - 1 and p is not operator]
    bar = (max(p.y1 for p in upper) + min(p.y0 for p in lower)) / 2 if upper and lower else 0
    for piece in inside:  # on the fraction bar's level: a radical, a sum in the denominator
        if bar and piece.y0 >= bar - 1:
            lower.append(piece)
        elif bar and piece.y1 <= bar + 1:
            upper.append(piece)
        else:
            parts = [part for part in (upper, lower) if part]
            nearest = min(parts, key=lambda part: min(abs(p.x0 - piece.x1) for p in part))
            nearest.append(piece)
    result = _Piece("", x0, x1, 0.0, size)
    members = [*upper, *lower, *inside]
    scripts: dict[int, list[_Piece]] = {0: [], 1: []}
    for script in small:
        if x0 - 1 <= script.x0 <= x1 + 0.3 * size:
            bases = [
                (abs(script.base - p.base), side)
                for side, part in enumerate((upper, lower))
                for p in part
            ]
            if bases:
                scripts[min(bases)[1]].append(script)
                members.append(script)
    top = _render(upper, scripts[0], _main_baseline(upper), size) if upper else ""
    bottom = _render(lower, scripts[1], _main_baseline(lower), size) if lower else ""
    if operator is not None:
        members.append(operator)
        sign = operator.text.strip().replace("\ufffd", "∑")
        result.text = sign + _script("_", bottom) + _script("^", top)
        result.x0 = operator.x0
    elif top and bottom:
        result.text = f"{_wrap(top)}/{_wrap(bottom)}"
    else:
        result.text = top or bottom
    return result, members


def _render(pieces: Sequence[_Piece], scripts: Sequence[_Piece], base: float, size: float) -> str:
    """Pieces on one baseline left to right, each script after the piece before it."""
    marked = [(p.x0, 0, p.text, p) for p in pieces]
    for script in _small_fractions(list(scripts), base):
        kind = "^" if script.base < base - 0.1 * size else "_"
        order = 1 if kind == "_" else 2
        marked.append((script.x0, order, kind + script.text, script))
    marked.sort(key=lambda m: (m[0], m[1]))
    out = ""
    previous: _Piece | None = None
    pending = ""  # a run of scripts of one kind, written together
    for _, order, text, piece in marked:
        if order:
            if pending and pending[0] == text[0] and previous and piece.x0 - previous.x1 < 2:
                pending += text[1:]
            else:
                out += _script(pending[:1], pending[1:]) if pending else ""
                pending = text
            previous = piece
            continue
        if pending:
            out += _script(pending[:1], pending[1:])
            pending = ""
        gap = piece.x0 - previous.x1 if previous else 0.0
        spaced = out.endswith(" ") or text.startswith(" ")
        if previous and gap > 0.15 * piece.size and not spaced:
            out += " "
        out += text
        previous = piece
    if pending:
        out += _script(pending[:1], pending[1:])
    return " ".join(out.split())


def _small_fractions(scripts: list[_Piece], base: float) -> list[_Piece]:
    """Scripts set one over the other at the same place, on the same side of the baseline
    ('1' over '2' in an exponent), become one piece '1/2'; a subscript under a superscript
    (β_1^t) stays two."""
    out: list[_Piece] = []
    for piece in sorted(scripts, key=lambda p: p.x0):
        partner = next(
            (
                p
                for p in out
                if abs(p.x0 - piece.x0) < 1.5
                and abs(p.base - piece.base) > 0.6 * piece.size
                and "/" not in p.text
                and abs(p.size - piece.size) < 0.5
                and (p.base < base) == (piece.base < base)
            ),
            None,
        )
        if partner is None:
            out.append(replace(piece))
            continue
        upper, lower = sorted((partner, piece), key=lambda p: p.base)
        partner.text = f"{upper.text.strip()}/{lower.text.strip()}"
        partner.base = (upper.base + lower.base) / 2
        partner.x1 = max(upper.x1, lower.x1)
    return out


def _script(kind: str, text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    return f"{kind}{text}" if _BARE.fullmatch(text) else f"{kind}({text})"


def _wrap(text: str) -> str:
    return text if _BARE.fullmatch(text) or re.fullmatch("[\\w^_.\u2032']+", text) else f"({text})"
