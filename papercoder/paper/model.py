"""The structured paper every later stage reads."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Section(_Item):
    number: str | None = None
    title: str
    level: int = Field(default=1, ge=1)
    text: str = ""
    children: list[Section] = Field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title

    def walk(self) -> Iterator[Section]:
        yield self
        for child in self.children:
            yield from child.walk()


class Equation(_Item):
    number: str | None = None
    text: str
    page: int
    section: str | None = None


class Table(_Item):
    number: str | None = None
    caption: str
    rows: list[list[str]] = Field(default_factory=list)
    page: int
    section: str | None = None

    def cells(self) -> list[str]:
        return [cell for row in self.rows for cell in row]


class Figure(_Item):
    number: str | None = None
    caption: str
    page: int
    section: str | None = None


class Algorithm(_Item):
    number: str | None = None
    caption: str
    text: str
    page: int
    section: str | None = None


class Paper(_Item):
    title: str
    authors: list[str] = Field(default_factory=list)
    abstract: str = ""
    sections: list[Section] = Field(default_factory=list)
    equations: list[Equation] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    algorithms: list[Algorithm] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    page_count: int = 0
    source_name: str = ""
    source_sha256: str = ""

    def walk(self) -> Iterator[Section]:
        for section in self.sections:
            yield from section.walk()

    def body_text(self) -> str:
        return "\n\n".join(f"{s.heading}\n{s.text}" for s in self.walk())


def nest(flat: list[Section]) -> list[Section]:
    """A section tree from sections in reading order, by level."""
    roots: list[Section] = []
    stack: list[Section] = []
    for section in flat:
        while stack and stack[-1].level >= section.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(section)
        stack.append(section)
    return roots
