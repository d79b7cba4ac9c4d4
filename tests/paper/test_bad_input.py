"""Every bad paper is exit 3 with one line naming the problem and the fix; never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pymupdf
import pytest
from typer.testing import CliRunner

from papercoder.cli import app

runner = CliRunner()


def missing(tmp: Path, pdf: Path) -> Path:
    return tmp / "nope.pdf"


def directory(tmp: Path, pdf: Path) -> Path:
    (tmp / "dir.pdf").mkdir()
    return tmp / "dir.pdf"


def empty(tmp: Path, pdf: Path) -> Path:
    (tmp / "empty.pdf").write_bytes(b"")
    return tmp / "empty.pdf"


def renamed(tmp: Path, pdf: Path) -> Path:
    (tmp / "notes.pdf").write_text("just some notes\n", encoding="utf-8")
    return tmp / "notes.pdf"


def truncated(tmp: Path, pdf: Path) -> Path:
    data = pdf.read_bytes()
    (tmp / "cut.pdf").write_bytes(data[: len(data) // 2])
    return tmp / "cut.pdf"


def encrypted(tmp: Path, pdf: Path) -> Path:
    doc = pymupdf.open(pdf)
    doc.save(tmp / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    doc.close()
    return tmp / "locked.pdf"


def scanned(tmp: Path, pdf: Path) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    page.draw_rect(pymupdf.Rect(50, 50, 300, 400), color=(0, 0, 0), fill=(0.4, 0.4, 0.4))
    doc.save(tmp / "scan.pdf")
    doc.close()
    return tmp / "scan.pdf"


def unsupported(tmp: Path, pdf: Path) -> Path:
    (tmp / "paper.docx").write_bytes(b"PK\x03\x04")
    return tmp / "paper.docx"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (missing, "does not exist"),
        (directory, "is a directory"),
        (empty, "is empty"),
        (renamed, "is not a PDF"),
        (truncated, "truncated"),
        (encrypted, "encrypted"),
        (scanned, "OCR"),
        (unsupported, "unsupported paper format"),
    ],
)
def test_bad_paper_is_exit_3_with_one_line(
    tmp_path: Path, fixture_pdf: Path, make: Callable[[Path, Path], Path], words: str
) -> None:
    result = runner.invoke(app, ["ingest", str(make(tmp_path, fixture_pdf))])
    assert result.exit_code == 3, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and " — " in lines[0]
    assert words in lines[0]
    assert "Traceback" not in result.output


def test_ingest_prints_markdown_and_json(tmp_path: Path, fixture_pdf: Path) -> None:
    shown = runner.invoke(app, ["ingest", str(fixture_pdf)])
    assert shown.exit_code == 0 and "## 2 Method" in shown.output
    out = tmp_path / "paper.json"
    written = runner.invoke(app, ["ingest", str(fixture_pdf), "--json", "--out", str(out)])
    assert written.exit_code == 0
    from papercoder.paper import Paper

    paper = Paper.model_validate_json(out.read_text("utf-8"))
    assert paper.tables[0].rows[1] == ["learning rate", "0.05"]


def test_a_500_page_pdf_ingests(tmp_path: Path, fixture_pdf: Path) -> None:
    source = pymupdf.open(fixture_pdf)
    big = pymupdf.open()
    while big.page_count < 500:
        big.insert_pdf(source)
    big.save(tmp_path / "big.pdf")
    from papercoder.paper import load_paper

    paper = load_paper(tmp_path / "big.pdf")
    assert paper.page_count == 500
    assert len(paper.tables) == 250 and len(paper.algorithms) == 250
