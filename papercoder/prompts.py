"""Prompt templates: one file per agent turn in ``prompts/``, rendered with ``string.Template``.

A variable the template names but the caller does not give is an error, never an empty string.
"""

from __future__ import annotations

import functools
from string import Template

from papercoder.resources import data_dir


@functools.cache
def _template(name: str) -> Template:
    path = data_dir("prompts") / f"{name}.md"
    return Template(path.read_text(encoding="utf-8"))


def render(name: str, **variables: object) -> str:
    """The prompt `name` with `variables` filled in; KeyError names a missing variable."""
    template = _template(name)
    try:
        return template.substitute({k: str(v) for k, v in variables.items()})
    except KeyError as exc:
        raise KeyError(f"prompt {name!r} needs variable {exc.args[0]!r}") from None
