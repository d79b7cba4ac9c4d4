"""Paper ingest: PDF (PyMuPDF), Markdown, LaTeX or plain text into a `Paper`."""

from __future__ import annotations

from pathlib import Path

from papercoder.errors import InputError
from papercoder.paper.model import Paper

SUPPORTED = (".pdf", ".md", ".markdown", ".tex", ".txt")


def load_paper(path: Path) -> Paper:
    """The structured paper from `path`; `InputError` with a fix for anything unreadable."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise InputError(
            f"{path.name}: unsupported paper format {suffix or '(no extension)'}",
            f"pass one of {', '.join(SUPPORTED)}",
        )
    if suffix == ".pdf":
        from papercoder.paper.pdf import read_pdf

        return read_pdf(path)
    from papercoder.paper.text import read_text_paper

    return read_text_paper(path)


__all__ = ["SUPPORTED", "Paper", "load_paper"]
