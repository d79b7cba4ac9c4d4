"""Where the project's own data lives: prompts/, sandbox/ and fixtures/.

From a source checkout (or an editable install) they are the top-level folders;
a wheel carries them under ``papercoder/_data``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `name` (prompts, sandbox or fixtures) that ships with this installation."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"papercoder data folder {name!r} is missing from this installation")
