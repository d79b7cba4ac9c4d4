"""The paper as agents read it (`to_prompt`, within a token budget) and as people read it
(`to_markdown`). Both are pure and deterministic: the same paper gives byte-identical text,
so provider prefix caches hit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from papercoder.paper.model import Algorithm, Paper, Section, Table
from papercoder.tokens import estimate_tokens

CORE = re.compile(
    r"method|approach|model|architecture|algorithm|training|experiment|set-?up|implement|"
    r"hyper-?param|dataset|evaluation|result|optimi[sz]|objective|loss|network|propos|"
    r"learning|update|layer|attention|convolution|residual",
    re.I,
)
LOW = re.compile(
    r"related work|background|acknowledg|proof|discussion|limitation|"
    r"future work|supplementary|broader impact",
    re.I,
)
HYPER = re.compile(r"hyper-?param|setting|configuration|default|training details", re.I)
CUT = "\n[... cut to fit the prompt budget ...]"


@dataclass(frozen=True)
class _Piece:
    priority: float
    order: float
    text: str


def markdown_table(table: Table) -> str:
    width = max((len(row) for row in table.rows), default=0)
    lines = [f"**Table {table.number}**: {_caption_text(table.caption)}"]
    if width:
        rows = [row + [""] * (width - len(row)) for row in table.rows]
        clean = [[cell.replace("|", "\\|") for cell in row] for row in rows]
        lines.append("| " + " | ".join(clean[0]) + " |")
        lines.append("|" + "---|" * width)
        lines += ["| " + " | ".join(row) + " |" for row in clean[1:]]
    return "\n".join(lines)


def _caption_text(caption: str) -> str:
    return re.sub(r"^(Table|Figure|Fig\.|Algorithm)\s*\S+?[:.]\s*", "", caption).strip()


def _algorithm(algorithm: Algorithm) -> str:
    return f"**Algorithm {algorithm.number}**\n```\n{algorithm.text}\n```"


def _priority(section: Section, inherited: float) -> float:
    if LOW.search(section.title):
        return 3.0
    if CORE.search(section.title):
        return 1.0
    return inherited


def _pieces(paper: Paper) -> list[_Piece]:
    pieces: list[_Piece] = []
    order_of: dict[str, float] = {}
    index = 0

    def visit(section: Section, inherited: float, depth: int) -> None:
        nonlocal index
        index += 1
        order_of[section.heading] = index
        priority = _priority(section, inherited)
        heading = "#" * min(depth + 2, 6) + " " + section.heading
        pieces.append(_Piece(priority, index, f"{heading}\n{section.text}".rstrip()))
        for child in section.children:
            visit(child, priority, depth + 1)

    for section in paper.sections:
        visit(section, 2.0, 0)
    end = index + 1
    for table in paper.tables:
        priority = 0.5 if HYPER.search(table.caption) else 1.5
        pieces.append(
            _Piece(priority, order_of.get(table.section or "", end) + 0.5, markdown_table(table))
        )
    for algorithm in paper.algorithms:
        pieces.append(
            _Piece(0.5, order_of.get(algorithm.section or "", end) + 0.6, _algorithm(algorithm))
        )
    if paper.references:
        refs = "\n".join(f"- {r}" for r in paper.references)
        pieces.append(_Piece(4.0, end + 1, f"## References\n{refs}"))
    return pieces


def to_prompt(paper: Paper, max_tokens: int) -> str:
    """The paper within `max_tokens`: method, experiments, hyperparameter tables and
    algorithms are kept first; references and related work are dropped first."""
    head = f"# {paper.title}\n"
    if paper.authors:
        head += f"Authors: {', '.join(paper.authors)}\n"
    if paper.abstract:
        head += f"\n## Abstract\n{paper.abstract}\n"
    budget = max_tokens - estimate_tokens(head)
    if budget <= 0:
        return _truncate(head, max_tokens)
    chosen: list[_Piece] = []
    for piece in sorted(_pieces(paper), key=lambda p: (p.priority, p.order)):
        cost = estimate_tokens(piece.text) + 1
        if cost <= budget:
            chosen.append(piece)
            budget -= cost
        elif piece.priority <= 1.0 and budget > 200:
            chosen.append(_Piece(piece.priority, piece.order, _truncate(piece.text, budget - 20)))
            budget = 0
    body = "\n\n".join(p.text for p in sorted(chosen, key=lambda p: p.order))
    return f"{head}\n{body}\n" if body else head


def _truncate(text: str, tokens: int) -> str:
    limit = max(0, tokens * 3 - len(CUT))
    return text if len(text) <= limit else text[:limit].rstrip() + CUT


def to_markdown(paper: Paper) -> str:
    """Everything, for people: `papercoder ingest PAPER`."""
    parts = [f"# {paper.title}"]
    if paper.authors:
        parts.append(f"*{', '.join(paper.authors)}*")
    source = f"{paper.page_count} pages, {paper.source_name}, sha256 {paper.source_sha256[:12]}"
    parts.append(source)
    if paper.abstract:
        parts.append(f"## Abstract\n\n{paper.abstract}")
    for section in paper.walk():
        parts.append("#" * min(section.level + 1, 6) + f" {section.heading}\n\n{section.text}")
    if paper.equations:
        parts.append(
            "## Equations\n\n"
            + "\n".join(f"- ({e.number or '-'}) `{e.text}`" for e in paper.equations)
        )
    for table in paper.tables:
        parts.append(markdown_table(table))
    for algorithm in paper.algorithms:
        parts.append(_algorithm(algorithm))
    if paper.figures:
        parts.append("## Figures\n\n" + "\n".join(f"- {f.caption}" for f in paper.figures))
    if paper.references:
        parts.append(
            "## References\n\n" + "\n".join(f"{i}. {r}" for i, r in enumerate(paper.references, 1))
        )
    return "\n\n".join(parts).rstrip() + "\n"
