"""Token estimates without a tokenizer: conservative, so budgets err on the safe side."""

from __future__ import annotations

CHARS_PER_TOKEN = 3  # code, LaTeX and numbers tokenise worse than English prose


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1
