"""Display maths as one line, from span positions built in code (no PDF needed)."""

from __future__ import annotations

from papercoder.paper.formula import linear
from papercoder.paper.layout import Span


def span(text: str, x0: float, x1: float, base: float, size: float = 10.0) -> Span:
    return Span(text, x0, base - 0.8 * size, x1, base + 0.2 * size, size, False, base)


def test_sub_and_superscripts_marked_and_stacked_scripts_kept_apart() -> None:
    spans = [
        span("m", 0, 8, 100),
        span("t", 8, 11, 101.5, 7),
        span("←", 14, 24, 100),
        span("(1 −", 26, 44, 100),
        span("β", 46, 52, 100),
        span("t", 52.5, 55, 96.5, 7),  # superscript over ...
        span("1", 52, 55, 102.4, 7),  # ... a subscript at the same place
        span(")", 56, 60, 100),
    ]
    assert linear(spans) == "m_t ← (1 − β_1^t)"


def test_fraction_with_a_radical_in_the_denominator() -> None:
    spans = [
        span("softmax(", 0, 40, 100),
        span("QK", 41, 58, 93.3),  # numerator, above the bar
        span("T", 59, 63, 89.7, 7),
        span("√", 44, 52, 99.8),  # the radical sits on the bar's level
        span("d", 52, 57, 107.5),  # denominator, below the bar
        span("k", 57, 61, 109, 7),
        span(")V", 64, 76, 100),
    ]
    assert linear(spans) == "softmax(QK^T/(√d_k) )V"


def test_accent_over_its_letter_and_a_fraction_in_an_exponent() -> None:
    spans = [
        span("D", 0, 8, 100),
        span("\u02dc", 2, 7, 97.5),  # the tilde glyph over the D
        span("−", 8.5, 14, 96.4, 7),
        span("1", 15, 18, 93.7, 5),
        span("2", 15, 18, 98.8, 5),
        span("A", 20, 28, 100),
    ]
    assert linear(spans) == "D\u0303^(−1/2) A"


def test_limits_under_and_over_a_sum() -> None:
    spans = [
        span("x =", 0, 16, 100),
        span("\u2211", 18, 30, 100, 10),
        span("i=1", 17, 31, 106, 7),
        span("N", 21, 27, 92, 7),
        span("a", 32, 37, 100),
        span("i", 37, 40, 101.5, 7),
    ]
    assert linear(spans) == "x = \u2211_(i=1)^N a_i"
