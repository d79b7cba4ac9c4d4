"""What a good ingest of each shared paper must find, from hand-written expectation files
(tests/paper/expected/<paper>.yaml, written by reading the PDFs), and the comparison the
tests and `benchmarks/ingest.py` share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from papercoder.paper import Paper

EXPECTED = Path(__file__).resolve().parent / "expected"
NAMES = sorted(path.stem for path in EXPECTED.glob("*.yaml"))


@dataclass
class Expected:
    title: str
    authors: list[str]
    sections: list[str]
    tables: list[str]
    algorithms: list[str]
    references: int


@dataclass
class Check:
    """One paper's result: a line per aspect that is wrong, empty when all is right."""

    name: str
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def expected(name: str) -> Expected:
    data = yaml.safe_load((EXPECTED / f"{name}.yaml").read_text(encoding="utf-8"))
    return Expected(
        title=data["title"],
        authors=list(data["authors"]),
        sections=list(data["sections"]),
        tables=[str(t) for t in data["tables"]],
        algorithms=[str(a) for a in data["algorithms"]],
        references=int(data["references"]),
    )


def normal(text: str) -> str:
    """Headings compared without case, curly quotes or spacing differences."""
    return " ".join(text.replace("\u2019", "'").lower().split())


def numbered_sections(paper: Paper) -> list[str]:
    return [normal(s.heading) for s in paper.walk() if s.number]


def check(name: str, paper: Paper) -> Check:
    want = expected(name)
    result = Check(name)
    if paper.title != want.title:
        result.problems["title"] = f"{paper.title!r} != {want.title!r}"
    if paper.authors != want.authors:
        result.problems["authors"] = f"{paper.authors} != {want.authors}"
    found = numbered_sections(paper)
    wanted = [normal(s) for s in want.sections]
    if found != wanted:
        missing = [s for s in wanted if s not in found]
        extra = [s for s in found if s not in wanted]
        order = "" if missing or extra else "; out of order"
        result.problems["sections"] = f"missing {missing}, extra {extra}{order}"
    tables = [t.number or "?" for t in paper.tables]
    if tables != want.tables:
        result.problems["tables"] = f"{tables} != {want.tables}"
    algorithms = [a.number or "?" for a in paper.algorithms]
    if algorithms != want.algorithms:
        result.problems["algorithms"] = f"{algorithms} != {want.algorithms}"
    if len(paper.references) != want.references:
        result.problems["references"] = f"{len(paper.references)} != {want.references}"
    return result


def linear(text: str) -> str:
    """Equation text without spaces, for comparing linear forms."""
    return re.sub(r"\s+", "", text)
