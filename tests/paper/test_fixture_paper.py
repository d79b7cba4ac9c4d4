"""The project's own fixture paper: every element recovered exactly."""

from __future__ import annotations

import hashlib
from pathlib import Path

from papercoder.paper import Paper
from papercoder.paper.render import to_prompt
from papercoder.tokens import estimate_tokens
from tests.paper.helpers import fixture_module

fx = fixture_module()


def squash(text: str) -> str:
    return " ".join(text.split())


def test_title_authors_abstract(fixture_paper: Paper) -> None:
    assert fixture_paper.title == fx.TITLE
    assert fixture_paper.authors == fx.AUTHORS
    assert fixture_paper.abstract == fx.ABSTRACT


def test_sections_in_order_with_levels_and_text(fixture_paper: Paper) -> None:
    got = [(s.number, s.title, s.level) for s in fixture_paper.walk()]
    want = [(n, t, n.count(".") + 1) for n, t, _ in fx.SECTIONS]
    assert got == want
    by_number = {s.number: s for s in fixture_paper.walk()}
    for number, _, paragraphs in fx.SECTIONS:
        for paragraph in paragraphs:
            assert paragraph in by_number[number].text
    assert [c.number for c in fixture_paper.sections[1].children] == ["2.1"]


def test_equation_with_its_number(fixture_paper: Paper) -> None:
    [equation] = fixture_paper.equations
    assert (equation.number, equation.text) == fx.EQUATION
    assert equation.section == "2 Method"


def test_hyperparameter_table(fixture_paper: Paper) -> None:
    [table] = fixture_paper.tables
    assert table.number == "1" and table.caption == fx.TABLE_CAPTION
    assert table.rows == fx.TABLE_ROWS
    assert "0.05" not in fixture_paper.body_text(), "table cells stay out of the body text"


def test_algorithm(fixture_paper: Paper) -> None:
    [algorithm] = fixture_paper.algorithms
    assert algorithm.number == "1" and algorithm.caption == fx.ALGORITHM_CAPTION
    assert algorithm.text.splitlines() == [squash(line) for line in fx.ALGORITHM_LINES]


def test_references_kept_apart(fixture_paper: Paper) -> None:
    assert fixture_paper.references == fx.REFERENCES
    assert "Rumelhart" not in fixture_paper.body_text()


def test_no_page_furniture_in_the_body(fixture_paper: Paper) -> None:
    everything = fixture_paper.body_text() + fixture_paper.abstract
    assert fx.HEADER not in everything and "Proceedings" not in everything
    for section in fixture_paper.walk():
        assert not section.text.rstrip().endswith(("\n1", "\n2"))
    assert fixture_paper.page_count == 2


def test_source_hash(fixture_paper: Paper, fixture_pdf: Path) -> None:
    assert fixture_paper.source_sha256 == hashlib.sha256(fixture_pdf.read_bytes()).hexdigest()


def test_prompt_is_deterministic_and_within_budget(fixture_paper: Paper) -> None:
    full = to_prompt(fixture_paper, 20000)
    assert full == to_prompt(fixture_paper, 20000)
    assert fx.TABLE_ROWS[1][1] in full and "Rumelhart" in full
    small = to_prompt(fixture_paper, 450)
    assert estimate_tokens(small) <= 450
    assert "Rumelhart" not in small, "references are dropped first"
    assert "| learning rate | 0.05 |" in small, "hyperparameter tables are kept first"
    assert fixture_paper.title in small and fixture_paper.abstract in small
