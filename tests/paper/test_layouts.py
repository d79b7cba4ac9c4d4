"""Layouts the shared papers do not all have, built in code with PyMuPDF: a title in
capitals wrapped over lines with a word cut at the line end, authors side by side with
affiliations and e-mails under them in another type, a level-1 heading set in plain body
type while its subsections are bold, and an unnumbered reference list with hanging indent."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from papercoder.paper import Paper, load_paper

BODY = 10.0
LEFT, WIDTH = 72.0, 468.0
PROSE = (
    "We describe the method in enough detail that it can be implemented again from this text "
    "alone, with every setting that matters given where it is used and nothing left implicit. "
)


class _Page:
    def __init__(self, doc: pymupdf.Document) -> None:
        self.page = doc.new_page(width=612, height=792)
        self.y = 90.0

    def text(self, x: float, text: str, font: str = "tiro", size: float = BODY) -> None:
        self.page.insert_text((x, self.y), text, fontname=font, fontsize=size)

    def line(self, text: str, font: str = "tiro", size: float = BODY, gap: float = 1.3) -> None:
        self.text(LEFT, text, font, size)
        self.y += gap * size

    def paragraph(self, text: str) -> None:
        words, current = text.split(), ""
        for word in words:
            trial = f"{current} {word}".strip()
            if pymupdf.get_text_length(trial, fontname="tiro", fontsize=BODY) > WIDTH:
                self.line(current)
                current = word
            else:
                current = trial
        self.line(current)
        self.y += 6


def _build(path: Path) -> Path:
    doc = pymupdf.open()
    page = _Page(doc)
    for line in ("LEARNING SPARSE REPRESENTATIONS OF NATURAL LAN-", "GUAGE WITH GATED UNITS"):
        page.line(line, "tiro", 17, gap=1.25)
    page.y += 14
    for x, name in ((LEFT, "Maria Lopez*"), (250, "Wei Zhang"), (420, "Jonas van Berg")):
        page.text(x, name, "tibo", BODY)
    page.y += 12
    for x, place in ((LEFT, "Example University"), (250, "Example Labs"), (420, "Example Inst.")):
        page.text(x, place, "tiro", 9)
    page.y += 11
    for x, mail in ((LEFT, "maria@example.org"), (250, "wei@example.org"), (420, "jb@example.org")):
        page.text(x, mail, "cour", 8)
    page.y += 30
    page.line("Abstract", "tibo", 12)
    page.paragraph(PROSE * 2)
    page.line("1 Introduction", "tibo", 12)
    page.paragraph(PROSE * 3)
    page.line("2 Towards Reducing Internal Shift")  # level 1 in plain body type
    page.paragraph(PROSE * 2)
    page.line("2.1 Gated Units", "tibo", BODY)
    page.paragraph(PROSE * 2)
    page.line("2.2 Training", "tibo", BODY)
    page.paragraph(PROSE * 2)
    page.line("3 Conclusion", "tibo", 12)
    page.paragraph(PROSE)
    page = _Page(doc)
    page.line("References", "tibo", 12)
    entries = [
        ("Bengio, Yoshua, Ducharme, Rejean, and Vincent, Pascal. A neural probabilistic", 2),
        ("Hochreiter, Sepp and Schmidhuber, Juergen. Long short-term memory. Neural", 2),
        ("Mikolov, Tomas, Chen, Kai, Corrado, Greg, and Dean, Jeffrey. Efficient estimation", 3),
    ]
    for first, more in entries:
        page.line(first, "tiro", 9, gap=1.2)
        for _ in range(more - 1):
            page.text(
                LEFT + 10, "language model. Journal of Machine Learning Research, 2003.", "tiro", 9
            )
            page.y += 1.2 * 9
        page.y += 4
    doc.save(path)
    return path


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> Paper:
    return load_paper(_build(tmp_path_factory.mktemp("layouts") / "layouts.pdf"))


def test_title_wrapped_over_lines_with_its_cut_word_joined(paper: Paper) -> None:
    assert paper.title == "LEARNING SPARSE REPRESENTATIONS OF NATURAL LANGUAGE WITH GATED UNITS"


def test_authors_side_by_side_without_affiliations_or_mails(paper: Paper) -> None:
    assert paper.authors == ["Maria Lopez", "Wei Zhang", "Jonas van Berg"]


def test_level_one_heading_in_plain_type_found_from_its_subsections(paper: Paper) -> None:
    headings = [s.heading for s in paper.walk()]
    assert headings == [
        "1 Introduction",
        "2 Towards Reducing Internal Shift",
        "2.1 Gated Units",
        "2.2 Training",
        "3 Conclusion",
    ]
    assert paper.sections[1].children[0].title == "Gated Units"
    assert "Towards" not in paper.sections[0].text  # not merged into the introduction
    assert paper.sections[1].text.startswith("We describe the method")


def test_unnumbered_references_split_by_hanging_indent(paper: Paper) -> None:
    assert len(paper.references) == 3
    assert paper.references[2].startswith("Mikolov, Tomas")
    assert paper.references[2].count("Journal of Machine Learning Research") == 2


def _one_column(path: Path) -> Path:
    """A one-column preprint: the title over two lines, the author line in small bold type
    with initials, then the abstract and sections."""
    doc = pymupdf.open()
    page = _Page(doc)
    page.line("Improving neural networks by preventing", "tibo", 16, gap=1.25)
    page.line("co-adaptation of feature detectors", "tibo", 16, gap=1.25)
    page.y += 10
    page.line("G. E. Hinton*, N. Srivastava, A. Krizhevsky and R. R. Salakhutdinov", "tibo", 8)
    page.line("Department of Computer Science, Example University", "tiro", 8)
    page.y += 16
    page.line("Abstract", "tibo", 12)
    page.paragraph(PROSE)
    page.line("1 Introduction", "tibo", 12)
    page.paragraph(PROSE * 2)
    page.line("2 Method", "tibo", 12)
    page.paragraph(PROSE * 2)
    doc.save(path)
    return path


def test_one_column_preprint_with_a_small_author_line(tmp_path: Path) -> None:
    paper = load_paper(_one_column(tmp_path / "preprint.pdf"))
    assert (
        paper.title == "Improving neural networks by preventing co-adaptation of feature detectors"
    )
    assert paper.authors == [
        "G. E. Hinton",
        "N. Srivastava",
        "A. Krizhevsky",
        "R. R. Salakhutdinov",
    ]
    assert [s.heading for s in paper.walk()] == ["1 Introduction", "2 Method"]
