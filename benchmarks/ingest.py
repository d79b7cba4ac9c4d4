"""Ingest speed, memory and quality on the real papers.

Speed: for each paper, pages, seconds, pages/s, tables found, peak RSS (each paper in its
own process, so the figure is that paper's), and the ratio of our ingest time to plain
`page.get_text()` over the same file. Also a 26-page paper (two real ones joined) for the
memory target and a 500-page one (the fixture repeated) for scaling.
Targets: median >= 60 pages/s over the shared papers, peak RSS < 300 MB at 26 pages.

Quality: for each shared paper, what the ingest found against the hand-written
expectation file tests/paper/expected/<paper>.yaml (title, authors, numbered sections in
order, tables, algorithms, reference count): "ok" or what is wrong.

    .venv/bin/python benchmarks/ingest.py
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymupdf

from papercoder.paper import load_paper

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ROOT.parent / "shared" / "papers"


def measure(path: Path, repeat: int = 3) -> dict[str, float]:
    plain = []
    ours = []
    tables = 0
    for _ in range(repeat):
        started = time.perf_counter()
        with pymupdf.open(path) as doc:
            for page in doc:
                page.get_text()
        plain.append(time.perf_counter() - started)
        started = time.perf_counter()
        paper = load_paper(path)
        ours.append(time.perf_counter() - started)
        tables = len(paper.tables)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "pages": paper.page_count,
        "seconds": min(ours),
        "plain": min(plain),
        "tables": tables,
        "rss_mb": rss_mb,
    }


def in_child(path: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--one", str(path)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout))


def joined(out: Path, parts: list[Path]) -> Path:
    doc = pymupdf.open()
    for part in parts:
        with pymupdf.open(part) as source:
            doc.insert_pdf(source)
    doc.save(out)
    return out


def repeated(out: Path, source_path: Path, pages: int) -> Path:
    doc = pymupdf.open()
    with pymupdf.open(source_path) as source:
        while doc.page_count < pages:
            doc.insert_pdf(source)
    doc.save(out)
    return out


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(Path(sys.argv[2]))))
        return
    if not PAPERS.is_dir():
        sys.exit(f"{PAPERS} is absent: the benchmark needs the shared papers")
    sys.path.insert(0, str(ROOT / "fixtures" / "paper"))
    from make_paper import build  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        files = {p.stem: p for p in sorted(PAPERS.glob("*.pdf"))}
        stems = set(files)
        files["adam+transformer (26 p)"] = joined(
            tmp_path / "joined.pdf", [PAPERS / "adam.pdf", PAPERS / "transformer.pdf"]
        )
        fixture = build(tmp_path / "fixture.pdf")
        files["fixture x250 (500 p)"] = repeated(tmp_path / "big.pdf", fixture, 500)
        print(
            f"{'paper':<26}{'pages':>6}{'seconds':>9}{'pages/s':>9}{'tables':>8}"
            f"{'RSS MB':>8}{'x plain':>9}"
        )
        rates = []
        for name, path in files.items():
            row = in_child(path)
            rate = row["pages"] / row["seconds"]
            if name in stems:
                rates.append(rate)
            print(
                f"{name:<26}{row['pages']:>6.0f}{row['seconds']:>9.3f}{rate:>9.1f}"
                f"{row['tables']:>8.0f}{row['rss_mb']:>8.0f}{row['seconds'] / row['plain']:>9.1f}"
            )
    print(
        f"median pages/s over the {len(rates)} shared papers: {statistics.median(rates):.1f}"
        " (target >= 60)"
    )
    quality()


def quality() -> None:
    """The quality table: each shared paper against its expectation file."""
    sys.path.insert(0, str(ROOT))
    from tests.paper.quality import NAMES, check, expected

    print()
    print(
        f"{'paper':<14}{'title':>7}{'authors':>9}{'sections':>10}{'tables':>8}"
        f"{'algos':>7}{'refs':>6}  problems"
    )
    right = 0
    for name in NAMES:
        want = expected(name)
        result = check(name, load_paper(PAPERS / f"{name}.pdf"))
        right += result.ok

        def mark(
            aspect: str, count: int | None = None, problems: dict[str, str] = result.problems
        ) -> str:
            if aspect in problems:
                return "x"
            return "ok" if count is None else str(count)

        print(
            f"{name:<14}{mark('title'):>7}{mark('authors', len(want.authors)):>9}"
            f"{mark('sections', len(want.sections)):>10}{mark('tables', len(want.tables)):>8}"
            f"{mark('algorithms', len(want.algorithms)):>7}"
            f"{mark('references', want.references):>6}  "
            + "; ".join(f"{k}: {v}" for k, v in result.problems.items())
        )
    print(f"papers with everything right: {right}/{len(NAMES)}")


if __name__ == "__main__":
    main()
