"""Telling a reply that loops from one that is merely long."""

from __future__ import annotations

from pathlib import Path

from papercoder.llm.loops import before_loop, loop_start

# what the 1.5B model wrote when asked for gcn's `build_model`, until the 768-token limit
HEAD = "```python\ndef build_model(self):\n    # Example implementation:\n"
PAIR = (
    "    #     tf.keras.layers.Dense(self.num_hidden_units, activation='relu'),\n"
    "    #     tf.keras.layers.Dropout(self.dropout_rate),\n"
)


def test_a_reply_cut_off_while_repeating_lines_loops_from_its_second_copy() -> None:
    text = HEAD + PAIR * 12 + PAIR[:37]  # the limit fell mid-line
    assert loop_start(text) == len(HEAD) + len(PAIR)
    assert before_loop(text) == HEAD + PAIR


def test_a_loop_inside_one_line_is_found_too() -> None:
    text = '{"summary": "We propose' + " a graph convolution," * 30
    assert before_loop(text) == '{"summary": "We propose a graph convolution,'


def test_code_that_is_long_but_does_not_repeat_is_not_a_loop() -> None:
    source = Path(__file__).resolve().parents[2] / "papercoder" / "llm" / "gateway.py"
    text = source.read_text(encoding="utf-8")
    for end in range(400, len(text), 97):  # cut anywhere, as an output limit would
        assert loop_start(text[:end]) is None, text[end - 200 : end]


def test_a_short_or_twice_written_repetition_is_not_a_loop() -> None:
    assert loop_start("x = 0\n" * 20) is None  # 120 characters: too short to tell
    assert loop_start("import numpy as np\n" + PAIR * 2) is None  # two copies: not yet a loop
    assert loop_start("import numpy as np\n" + PAIR * 3) is not None
    assert before_loop("no loop here") == "no loop here"


def test_a_reply_still_being_written_needs_a_longer_repetition_to_be_left() -> None:
    """transformer's data.py from the 1.5B model: one line repeating a dict five times, then
    the rest of the file; a reply read as it is written is left only for a longer run."""
    from papercoder.llm.loops import LIVE_SPAN

    line = "    return vocabulary, " + "{token: i for i, token in enumerate(vocabulary)}, " * 5
    assert loop_start(line) is not None  # at the end of a reply cut off: a loop
    assert loop_start(line, LIVE_SPAN) is None  # mid-reply: not yet
    assert loop_start(line + "{token: i for i, token in enumerate(vocabulary)}, " * 5, LIVE_SPAN)


def test_a_tail_counting_up_is_a_loop_after_enough_copies() -> None:
    """transformer's `__init__` from the 1.5B model (papers-35): `"w1": ...` to `"w21": ...`
    until the 768-token limit, and asked again bigger, to the 1,536-token one."""
    head = "def __init__(self, config, n_features, n_classes):\n    self.params = {\n"

    def row(i: int) -> str:
        return f'        "w{i}": rng.normal(0.0, 1.0, size=(n_classes, n_classes)),\n'

    text = head + "".join(row(i) for i in range(1, 22)) + '        "w22": rng.nor'
    assert loop_start(text) == len(head) + len(row(1))  # kept: the first row
    assert before_loop(text) == head + row(1)
    assert loop_start(head + "".join(row(i) for i in range(1, 8))) is None  # seven: a list yet
    numbers = "".join(f"    {i}: {i * 0.5},\n" for i in range(100))  # too short each to tell
    assert loop_start("TABLE = {\n" + numbers[:150]) is None


def test_a_table_of_numbers_is_no_count() -> None:
    """Rows of values, a list of losses: their numbers are not names counting up."""
    rows = "".join(f"    [{i * 0.37 % 7:.1f}, 3.5, {i % 3}.5, 0.5],\n" for i in range(40))
    assert loop_start("X = np.array([\n" + rows) is None
    losses = '{"losses": [' + ", ".join(f"{2.3 - i / 100:.4f}" for i in range(80))
    assert loop_start(losses) is None
