"""Markdown, LaTeX and plain text become the same `Paper` as a PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from papercoder.errors import InputError
from papercoder.paper import load_paper

MARKDOWN = """# Tiny Residual MLPs

## Abstract
We study a residual perceptron.

## 1 Introduction
Small classifiers are useful.

## 2 Method
The hidden layer computes h.

$$ L = -\\log p_y \\tag{1} $$

### 2.1 Residual Projection
P maps inputs to the hidden width.

Table 1: Hyperparameters.

| Hyperparameter | Value |
|---|---|
| learning rate | 0.05 |
| epochs | 30 |

Algorithm 1: Training loop.
```
for epoch in 1..E: update
```

## References
- [1] Rumelhart et al. Nature, 1986.
- [2] He et al. CVPR, 2016.
"""

LATEX = r"""\documentclass{article}
\title{Tiny Residual MLPs}
\author{Ada Fixture \and Alan Testcase}
\begin{document}
\maketitle
\begin{abstract}We study a \emph{residual} perceptron.\end{abstract}
\section{Introduction}
Small classifiers are useful \cite{rumelhart}.
\section{Method}
The hidden layer computes h.
\begin{equation} L = -\log p_y \label{eq:loss} \end{equation}
\subsection{Residual Projection}
P maps inputs to the hidden width. % a comment
\begin{table}\caption{Hyperparameters.}
\begin{tabular}{ll}\toprule Hyperparameter & Value \\ \midrule learning rate & 0.05 \\
epochs & 30 \\ \bottomrule\end{tabular}\end{table}
\begin{thebibliography}{9}
\bibitem{rumelhart} Rumelhart et al. Nature, 1986.
\bibitem{he} He et al. CVPR, 2016.
\end{thebibliography}
\end{document}
"""

TEXT = """Tiny Residual MLPs

Abstract
We study a residual perceptron.

1 Introduction
Small classifiers are useful.

2 Method
The hidden layer computes h.

2.1 Residual Projection
P maps inputs to the hidden width.

References
[1] Rumelhart et al. Nature, 1986.
[2] He et al. CVPR, 2016.
"""

HEADINGS = [("1", "Introduction"), ("2", "Method"), ("2.1", "Residual Projection")]


@pytest.mark.parametrize(("suffix", "source"), [(".md", MARKDOWN), (".tex", LATEX), (".txt", TEXT)])
def test_sections_abstract_references(tmp_path: Path, suffix: str, source: str) -> None:
    path = tmp_path / f"paper{suffix}"
    path.write_text(source, encoding="utf-8")
    paper = load_paper(path)
    assert paper.title == "Tiny Residual MLPs"
    assert paper.abstract == "We study a residual perceptron."
    assert [(s.number, s.title) for s in paper.walk()] == HEADINGS
    assert paper.sections[1].children[0].title == "Residual Projection"
    assert len(paper.references) == 2 and "Rumelhart" in paper.references[0]
    assert "Rumelhart" not in paper.body_text()


@pytest.mark.parametrize(("suffix", "source"), [(".md", MARKDOWN), (".tex", LATEX)])
def test_tables_and_equations(tmp_path: Path, suffix: str, source: str) -> None:
    path = tmp_path / f"paper{suffix}"
    path.write_text(source, encoding="utf-8")
    paper = load_paper(path)
    [table] = paper.tables
    assert table.rows == [["Hyperparameter", "Value"], ["learning rate", "0.05"], ["epochs", "30"]]
    assert "Hyperparameters." in table.caption
    [equation] = paper.equations
    assert equation.number == "1" and "L = -\\log p_y" in equation.text


def test_markdown_algorithm(tmp_path: Path) -> None:
    path = tmp_path / "paper.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    [algorithm] = load_paper(path).algorithms
    assert algorithm.number == "1" and algorithm.text == "for epoch in 1..E: update"


def test_latex_authors(tmp_path: Path) -> None:
    path = tmp_path / "paper.tex"
    path.write_text(LATEX, encoding="utf-8")
    assert load_paper(path).authors == ["Ada Fixture", "Alan Testcase"]


def test_non_utf8_text_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "paper.txt"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="UTF-8"):
        load_paper(path)
