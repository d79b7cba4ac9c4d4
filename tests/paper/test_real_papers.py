"""The real papers in ../shared/papers (see its README): what a good ingest must find."""

from __future__ import annotations

import pytest

from papercoder.paper import Paper, load_paper
from tests.conftest import PAPERS
from tests.paper.quality import NAMES, check

pytestmark = pytest.mark.papers


def titles(paper: Paper) -> list[str]:
    return [s.title.lower() for s in paper.walk()]


def in_order(paper: Paper, wanted: list[str]) -> bool:
    found = titles(paper)
    positions = [found.index(w.lower()) for w in wanted]
    return positions == sorted(positions)


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("adam", "ADAM: A METHOD FOR STOCHASTIC OPTIMIZATION"),
        ("transformer", "Attention Is All You Need"),
        ("gcn", "SEMI-SUPERVISED CLASSIFICATION WITH GRAPH CONVOLUTIONAL NETWORKS"),
        ("resnet", "Deep Residual Learning for Image Recognition"),
    ],
)
def test_titles(real_paper: dict[str, Paper], name: str, title: str) -> None:
    assert real_paper[name].title == title


@pytest.mark.parametrize(
    ("name", "sections"),
    [
        ("adam", ["Introduction", "Algorithm", "Experiments", "Conclusion"]),
        ("transformer", ["Model Architecture", "Training", "Results"]),
        ("gcn", ["Introduction", "Experiments", "Results", "Conclusion"]),
        ("resnet", ["Introduction", "Deep Residual Learning", "Experiments"]),
    ],
)
def test_named_sections_present_in_order(
    real_paper: dict[str, Paper], name: str, sections: list[str]
) -> None:
    assert in_order(real_paper[name], sections), titles(real_paper[name])


def test_adam_algorithm_and_default_hyperparameters(real_paper: dict[str, Paper]) -> None:
    adam = real_paper["adam"]
    [algorithm] = [a for a in adam.algorithms if a.number == "1"]
    assert algorithm.caption.startswith("Algorithm 1: Adam")
    text = algorithm.caption + "\n" + algorithm.text
    for value in ("α = 0.001", "β_1 = 0.9", "β_2 = 0.999", "10^−8"):
        assert value in text
    for step in ("Require: α: Stepsize", "while θ_t not converged do", "return θ_t"):
        assert step in algorithm.text
    # the bias-corrected update, one line with its scripts and hat marked
    assert "m\u0302_t ← m_t/(1 − β_1^t) (Compute bias-corrected first moment" in algorithm.text
    assert "v\u0302_t ← v_t/(1 − β_2^t)" in algorithm.text
    assert "θ_t ← θ_(t−1) − α · m\u0302_t/(√v\u0302_t + ϵ) (Update parameters)" in algorithm.text
    assert "m_0 ← 0 (Initialize 1^st moment vector)" in algorithm.text


def test_transformer_table_3_cells(real_paper: dict[str, Paper]) -> None:
    [table] = [t for t in real_paper["transformer"].tables if t.number == "3"]
    assert table.caption.startswith("Table 3: Variations on the Transformer architecture")
    cells = set(table.cells())
    for value in (
        "base",
        "512",
        "2048",
        "0.1",
        "100K",
        "4.92",
        "25.8",
        "65",
        "(A)",
        "big",
        "1024",
        "4096",
        "300K",
        "4.33",
        "26.4",
        "213",
    ):
        assert value in cells, value
    assert [
        "base",
        "6",
        "512",
        "2048",
        "8",
        "64",
        "64",
        "0.1",
        "0.1",
        "100K",
        "4.92",
        "25.8",
        "65",
    ] in table.rows


def test_transformer_attention_equation(real_paper: dict[str, Paper]) -> None:
    equations = {e.number: e for e in real_paper["transformer"].equations}
    assert equations["1"].text == "Attention(Q, K, V ) = softmax(QK^T/(√d_k) )V"
    assert equations["1"].section == "3.2.1 Scaled Dot-Product Attention"


def test_gcn_dataset_table_and_hyperparameters(real_paper: dict[str, Paper]) -> None:
    gcn = real_paper["gcn"]
    [table] = [t for t in gcn.tables if t.number == "1"]
    assert [row[0] for row in table.rows] == ["Dataset", "Citeseer", "Cora", "Pubmed", "NELL"]
    assert table.rows[1] == [
        "Citeseer",
        "Citation network",
        "3,327",
        "4,732",
        "6",
        "3,703",
        "0.036",
    ]
    setup = next(s for s in gcn.walk() if s.title == "Experimental Set-up").text
    assert "maximum of 200 epochs" in setup and "learning rate of 0.01" in setup
    values = "0.5 (dropout rate), 5 · 10−4 (L2 regularization) and 16 (number of hidden units)"
    assert values in gcn.body_text()


def test_gcn_propagation_rule_is_one_linear_block(real_paper: dict[str, Paper]) -> None:
    equations = {e.number: e for e in real_paper["gcn"].equations}
    tilde = "\u0303"
    assert equations["2"].text == (
        f"H^(l+1) = σ(D{tilde}^(−1/2) A{tilde}D{tilde}^(−1/2) H^(l)W^(l)) ."
    )
    assert equations["8"].text.startswith(f"Z = D{tilde}^(−1/2) A{tilde}D{tilde}^(−1/2) X")


@pytest.mark.parametrize(
    ("name", "number", "text"),
    [
        ("distillation", "1", "q_i = (exp(z_i/T ))/(∑_j exp(z_j/T))"),
        ("gcn", "4", "g_θ′(Λ) ≈ ∑_(k=0)^K θ_k^′ T_k(˜Λ) ,"),
        ("glove", "12", "J = − ∑_(i=1)^V ∑_(j=1)^V X_(i j) log Q_(i j) ,"),
        ("adam", "1", "v_t = (1 − β_2) ∑_(i=1)^t β_2^(t−i) · g_i^2"),
        ("glove", "8", "J = ∑_(i,j=1)^V f (X_(i j))(w^T_i w̃_j + b_i + b̃_j − log X_(i j))^2 ,"),
        ("tsne", "5", "δC/δy_i = 4∑_j(p_(i j) −q_(i j))(y_i −y_j)(1+∥y_i −y_j∥^2)^−1 ."),
    ],
)
def test_display_equations_with_sums_and_fractions(name: str, number: str, text: str) -> None:
    if not PAPERS.is_dir():
        pytest.skip(f"the shared papers are not here ({PAPERS} is absent: a user's clone)")
    equations = [e for e in load_paper(PAPERS / f"{name}.pdf").equations if e.number == number]
    assert [e.text for e in equations][:1] == [text]


def test_resnet_two_columns_read_in_order(real_paper: dict[str, Paper]) -> None:
    intro = real_paper["resnet"].sections[0]
    assert intro.title == "Introduction"
    first = intro.text.split("\n\n")[0]
    assert first.startswith("Deep convolutional neural networks [22, 21] have led")
    assert first.endswith("have also greatly benefited from very deep models.")
    [table] = [t for t in real_paper["resnet"].tables if t.number == "1"]
    assert "conv1" in table.cells() and "152-layer" in table.cells()


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("adam", "Natural gradient works efficiently in learning"),
        ("transformer", "arXiv:1607.06450"),
        ("gcn", "Large-scale machine learning on heterogeneous systems"),
        ("resnet", "Learning long-term dependencies with gradient descent is difficult"),
    ],
)
def test_references_kept_apart(real_paper: dict[str, Paper], name: str, reference: str) -> None:
    paper = real_paper[name]
    assert any(reference in r for r in paper.references)
    assert reference not in paper.body_text()
    assert len(paper.references) >= 20  # adam has 23 (tests/paper/expected)


@pytest.mark.parametrize("name", ["adam", "gcn", "resnet"])
def test_no_side_stamp_or_running_head(real_paper: dict[str, Paper], name: str) -> None:
    body = real_paper[name].body_text() + real_paper[name].abstract
    assert "arXiv:1" not in body
    assert "Published as a conference paper" not in body


@pytest.mark.parametrize(
    ("name", "authors"),
    [
        ("resnet", ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"]),
        ("gcn", ["Thomas N. Kipf", "Max Welling"]),
        ("adam", ["Diederik P. Kingma", "Jimmy Lei Ba"]),
    ],
)
def test_authors(real_paper: dict[str, Paper], name: str, authors: list[str]) -> None:
    assert real_paper[name].authors == authors


@pytest.mark.parametrize("name", NAMES)
def test_matches_hand_written_expectations(name: str) -> None:
    """Title, authors, numbered sections in order, tables, algorithms and the reference
    count of each shared paper, against tests/paper/expected/<name>.yaml."""
    if not PAPERS.is_dir():
        pytest.skip(f"the shared papers are not here ({PAPERS} is absent: a user's clone)")
    result = check(name, load_paper(PAPERS / f"{name}.pdf"))
    assert result.ok, result.problems


@pytest.mark.parametrize(
    ("name", "note"),
    [
        ("glove", "To demonstrate the scalability of the model"),
        ("gcn", "Hardware used: 16-core"),
        ("glove", "Proceedings of the 2014 Conference on Empirical Methods"),
        ("transformer", "31st Conference on Neural Information Processing Systems"),
        ("tsne", "2008 Laurens van der Maaten and Geoffrey Hinton."),
    ],
)
def test_footnotes_kept_out_of_the_body(name: str, note: str) -> None:
    """Footnotes in type close to the body's, told apart by their raised mark, and the
    notes at the first page's foot (proceedings, copyright)."""
    if not PAPERS.is_dir():
        pytest.skip(f"the shared papers are not here ({PAPERS} is absent: a user's clone)")
    paper = load_paper(PAPERS / f"{name}.pdf")
    assert note not in paper.body_text()
    assert all(note not in e.text for e in paper.equations)


def test_glove_table_2_caption_whole_and_rows_from_the_table() -> None:
    if not PAPERS.is_dir():
        pytest.skip(f"the shared papers are not here ({PAPERS} is absent: a user's clone)")
    [table] = [t for t in load_paper(PAPERS / "glove.pdf").tables if t.number == "2"]
    assert table.caption.startswith("Table 2: Results on the word analogy task")
    assert table.caption.endswith("for details and a description of the SVD models.")
    assert table.rows[0] == ["Model", "Dim.", "Size", "Sem.", "Syn.", "Tot."]
    assert ["GloVe", "100", "1.6B", "67.5", "54.3", "60.3"] in table.rows


@pytest.mark.parametrize(
    ("name", "section", "line"),
    [
        ("transformer", "3.2.1", "Attention(Q, K, V ) = softmax(QK^T/(√d_k) )V (1)"),
        ("distillation", "2", "q_i = (exp(z_i/T ))/(∑_j exp(z_j/T)) (1)"),
        ("adam", "7.1", "v_t = β_2^pv_(t−1) + (1 − β_2^p)|g_t|^p (6)"),
    ],
)
def test_body_text_holds_each_display_equation_once_linear(
    name: str, section: str, line: str
) -> None:
    """What the planner reads: the equation in place, not its pieces one per line."""
    if not PAPERS.is_dir():
        pytest.skip(f"the shared papers are not here ({PAPERS} is absent: a user's clone)")
    paper = load_paper(PAPERS / f"{name}.pdf")
    text = next(s for s in paper.walk() if s.number == section).text
    assert text.count(line) == 1
    assert "QKT" not in paper.body_text() and "exp(zi/T )" not in paper.body_text()


def test_tsne_algorithm_caption_and_steps_apart() -> None:
    if not PAPERS.is_dir():
        pytest.skip(f"the shared papers are not here ({PAPERS} is absent: a user's clone)")
    [algorithm] = load_paper(PAPERS / "tsne.pdf").algorithms
    assert algorithm.caption == (
        "Algorithm 1: Simple version of t-Distributed Stochastic Neighbor Embedding."
    )
    assert algorithm.text.startswith("Data: data set X = {x_1,x_2,...,x_n},")
    assert "for t=1 to T do" in algorithm.text
