"""Hyperparameters grounded in the paper: extraction from real papers, and the check of every
config value the plan says the paper states."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from papercoder.agents.plan import ConfigEntry, ConfigPlan
from papercoder.agents.plan_checks import render_config
from papercoder.grounding import (
    NUMBER,
    Candidate,
    carried_key,
    carry_stated,
    config_comments,
    extract,
    ground,
    ground_config,
    parse_number,
)
from papercoder.grounding import (
    bound as grounding_bound,
)
from papercoder.paper import load_paper
from papercoder.paper.model import Paper, Section, Table
from tests.conftest import PAPERS

needs_papers = pytest.mark.skipif(
    not PAPERS.is_dir(), reason=f"the shared papers are not at {PAPERS}"
)


@functools.cache
def paper(name: str) -> Paper:
    return load_paper(PAPERS / f"{name}.pdf")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.001", 0.001),
        ("10−8", 1e-8),
        ("10^-8", 1e-8),
        ("5 · 10−4", 5e-4),
        ("5 × 10^-4", 5e-4),
        ("1e-3", 1e-3),
        ("100,000", 100000.0),
        ("2.5e−4", 2.5e-4),
        ("3/4", 0.75),  # glove's alpha
    ],
)
def test_numbers_as_papers_print_them(text: str, value: float) -> None:
    parsed = parse_number(text)
    assert parsed is not None and abs(parsed - value) <= 1e-12 * max(1.0, value)


def stated(name: str) -> dict[tuple[str, float], str]:
    """Where each value stands, by its name as printed, subscripts marked or not (β_1, β1)."""
    found: dict[tuple[str, float], str] = {}
    for c in extract(paper(name)):
        found.setdefault((c.name.replace("_", ""), c.value), c.where)
    return found


@needs_papers
@pytest.mark.papers
def test_adam_defaults_from_algorithm_1() -> None:
    found = stated("adam")
    assert found[("α", 0.001)] == "Algorithm 1"
    assert found[("β1", 0.9)] == "Algorithm 1"
    assert found[("β2", 0.999)] == "Algorithm 1"
    assert found[("ϵ", 1e-8)] == "Algorithm 1"


@needs_papers
@pytest.mark.papers
def test_gcn_training_settings() -> None:
    values = {(c.name.lower(), c.value) for c in extract(paper("gcn"))}
    assert ("learning rate", 0.01) in values
    assert ("epochs", 200.0) in values
    assert ("dropout rate", 0.5) in values
    assert ("l2 regularization", 5e-4) in values
    assert ("number of hidden units", 16.0) in values


def test_a_fraction_is_one_number_and_a_date_is_not() -> None:
    assert NUMBER.findall("We found that α = 3/4 gives; in 12/2014, 1/100") == [
        "3/4", "12", "2014", "1", "100",
    ]  # fmt: skip
    assert parse_number("10/2018") is None


@needs_papers
@pytest.mark.papers
def test_glove_weighting_function() -> None:
    """alpha = 3/4 was read as 3, and config.yaml held `alpha: 3`, cited from Section 3."""
    found = stated("glove")
    assert found[("α", 0.75)] == "Section 3"
    assert found[("xmax", 100.0)] == "Section 3"
    assert ("α", 3.0) not in found


@needs_papers
@pytest.mark.papers
def test_transformer_base_model() -> None:
    found = stated("transformer")
    assert found[("dmodel", 512.0)] == "Section 3.1"
    assert found[("h", 8.0)] == "Section 3.2.2"
    assert found[("dff", 2048.0)] == "Section 3.3"
    assert found[("layers", 6.0)] == "Section 3.1"
    assert found[("Pdrop", 0.1)] == "Section 5.4"
    assert found[("warmupsteps", 4000.0)] == "Section 5.3"


@needs_papers
@pytest.mark.papers
def test_a_small_whole_number_a_place_has_counts_only_where_it_is_named() -> None:
    """A place writes small whole numbers anyway (section and equation numbers, indices):
    found there with no name beside it, such a value is no evidence; transformer's layers
    (N = 6) and heads (h = 8) are named where they stand, and a distinctive number found
    alone (adam's 0.002 in Algorithm 2) still counts."""
    adam = paper("adam")
    alone = ground(adam, "training.widgets", 2, "Section 6.1", False, extract(adam))
    assert alone.status == "assumption"
    assert alone.note == "Section 6.1 has 2 but nowhere as widgets: too common to count alone"
    transformer = paper("transformer")
    found = extract(transformer)
    layers = ground(transformer, "model.num_layers", 6, "Section 3.1", False, found)
    heads = ground(transformer, "model.heads", 8, "Section 3.2.2", False, found)
    assert (layers.status, heads.status) == ("verified", "verified")
    assert ground(adam, "training.lr", 0.002, "Algorithm 2", False, []).status == "verified"


@needs_papers
@pytest.mark.papers
def test_a_cited_place_that_states_the_value_verifies_it() -> None:
    result = ground(paper("adam"), "optimizer.beta2", 0.999, "Algorithm 1", False, [])
    assert result.status == "verified" and result.source == "Algorithm 1"
    section = ground(paper("transformer"), "model.d_ff", 2048, "Section 3.3", False, [])
    assert section.status == "verified"


@needs_papers
@pytest.mark.papers
def test_a_wrong_citation_is_recited_to_where_the_paper_states_it() -> None:
    candidates = extract(paper("adam"))
    result = ground(paper("adam"), "optimizer.alpha", 0.001, "Section 6.1", False, candidates)
    assert result.status == "re-cited" and result.source == "Algorithm 1"


@needs_papers
@pytest.mark.papers
def test_invented_values_and_tables_become_assumptions() -> None:
    candidates = extract(paper("adam"))
    invented = ground(paper("adam"), "training.dropout", 0.5, "Table 1", False, candidates)
    assert invented.status == "assumption"
    assert invented.note == "cited 'Table 1', which does not state it"
    decay = ground(paper("adam"), "optimizer.decay_rate", 0.99, "Section 2", False, candidates)
    assert decay.status == "assumption"


def table_paper() -> Paper:
    return Paper(
        title="T",
        sections=[Section(number="3", title="Training", text="We train with a batch size of 64.")],
        tables=[
            Table(
                number="1",
                caption="Settings",
                rows=[["model", "layers", "units"], ["small", "2", "128"]],
                page=1,
            )
        ],
    )


def test_a_value_cited_from_a_table_that_does_not_hold_it_becomes_an_assumption() -> None:
    doc = table_paper()
    candidates = extract(doc)
    held = ground(doc, "model.units", 128, "Table 1", False, candidates)
    assert held.status == "verified" and held.source.startswith("Table 1")
    missing = ground(doc, "model.units", 256, "Table 1", False, candidates)
    assert missing.status == "assumption" and "Table 1" in missing.note
    nowhere = ground(doc, "model.units", 128, "Table 7", False, [])
    assert nowhere.status == "assumption"


def test_config_yaml_says_which_values_were_checked() -> None:
    doc = table_paper()
    config = ConfigPlan(
        entries=[
            ConfigEntry(key="training.batch_size", value=64, source="Section 3"),
            ConfigEntry(key="model.layers", value=4, source="Table 1"),
            ConfigEntry(key="smoke.steps", value=3, source="assumption", assumption=True),
        ]
    )
    grounded, results = ground_config(doc, config, extract(doc))
    text = render_config(grounded, config_comments(results))
    assert "batch_size: 64  # Section 3 (verified)" in text
    assert "layers: 4  # assumption: cited 'Table 1', which does not state it" in text
    assert "steps: 3  # assumption: the paper does not state it" in text
    assert [e.assumption for e in grounded.entries] == [False, True, True]


def test_candidates_come_from_the_table_cells_with_their_headers() -> None:
    wheres = {c.where for c in extract(table_paper())}
    assert "Table 1 (row 'small', column 'units')" in wheres


def test_the_fixture_paper_values_are_found(tmp_path: Path) -> None:
    from tests.paper.helpers import build_fixture

    candidates = extract(load_paper(build_fixture(tmp_path)))
    assert candidates, "the bundled paper states its hyperparameters"


@needs_papers
@pytest.mark.papers
def test_a_value_the_cited_place_states_for_another_parameter_is_not_verified() -> None:
    """The 1.5B model set beta1 to 0.999, citing Algorithm 1: that is beta2's value there."""
    candidates = extract(paper("adam"))
    wrong = ground(paper("adam"), "training.beta1", 0.999, "Algorithm 1", False, candidates)
    assert wrong.status == "assumption"
    assert wrong.note == "Algorithm 1 states 0.999 for β_2, not for training.beta1"
    right = ground(paper("adam"), "training.learning_rate", 0.001, "Algorithm 1", False, candidates)
    assert right.status == "verified", "α is the learning rate"


@needs_papers
@pytest.mark.papers
def test_a_value_marked_as_an_assumption_that_its_source_states_is_verified() -> None:
    candidates = extract(paper("adam"))
    result = ground(paper("adam"), "data.batch_size", 128, "Section 6.1", True, candidates)
    assert result.status == "verified" and result.source == "Section 6.1"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("dmodel", "d_model"),
        ("h", "heads"),
        ("dff", "d_ff"),
        ("Pdrop", "dropout"),
        ("layers", "num_layers"),
        ("learning rate", "learning_rate"),
        ("lr", "learning_rate"),
        ("warmup_steps", "warmup_steps"),
        ("β1", "beta1"),
        ("ϵ", "epsilon"),
        ("eps", "epsilon"),
        ("epsilon", "epsilon"),
        ("α", "alpha"),  # a Greek symbol keeps its name: alpha is not always a learning rate
        ("beam size", "beam_size"),
        ("steps", "steps"),
        ("Training Cost (FLOPs)", "training_cost_flops"),
    ],
)
def test_a_stated_value_gets_its_synonym_groups_key(name: str, key: str) -> None:
    assert carried_key(name) == key


def candidate(name: str, value: float, where: str, text: str = "", quote: str = "") -> Candidate:
    text = text or f"{value:g}"
    return Candidate(name=name, value=value, text=text, where=where, quote=quote or text)


def test_values_the_plan_left_out_are_carried_with_their_place() -> None:
    config = ConfigPlan(
        entries=[
            ConfigEntry(key="model.d_model", value=512, source="Section 3.1"),
            ConfigEntry(key="training.batch_size", value=32, source="assumption", assumption=True),
            ConfigEntry(key="optimizer.lr", value=0.01, source="Section 5.5"),
        ]
    )
    candidates = [
        candidate("dmodel", 512, "Section 3.1"),  # the plan has it
        candidate("h", 8, "Section 3.2.2"),
        candidate("h", 64, "Section 3.2.2"),  # a second value for a name: another setting
        candidate("steps", 100000, "Section 5.2", "100,000"),  # not a known setting's name
        candidate("β1", 0.9, "Section 5.3"),  # a Greek symbol's
        candidate("learning rate", 0.001, "Section 5.5"),  # the plan has its own: checked alone
        candidate("layers", 10, "Section 7", quote="deeper models with up to 10 layers"),
        candidate("dropout", 5e-4, "Section 3", "5·10−4", "decay (5·10−4) and dropout"),
        candidate("heads", 16, "Abstract"),
        Candidate(  # a claim: "models with over 100 layers"
            name="layers",
            value=100,
            text="100",
            where="Section 1",
            quote="",
            heading="Introduction",
        ),
        candidate("Pdrop", 0.1, "Section 5.4"),
        candidate("BLEU", 28.4, "Table 2 (row 'base', column 'BLEU')"),  # a result, not a setting
        candidate("m_0", 0, "Algorithm 1"),  # an initial value
        candidate("accuracy", 81.5, "Section 6", "81.5%"),
        candidate("ti", 3, "Section 5"),  # an index
    ]
    settings = Candidate(
        name="momentum",
        value=0.9,
        text="0.9",
        where="Table 1 (row 'momentum', column 'Value')",
        quote="",
        also=["Value"],
    )
    candidates.append(settings)
    carried, added = carry_stated(config, candidates)
    new = {e.key: (e.value, e.source, e.assumption) for e in carried.entries[3:]}
    assert new == {
        "paper.heads": (8, "Section 3.2.2", False),
        "paper.beta1": (0.9, "Section 5.3", False),
        "paper.dropout": (0.1, "Section 5.4", False),
        "paper.momentum": (0.9, "Table 1 (row 'momentum', column 'Value')", False),
    }
    assert isinstance(new["paper.heads"][0], int)
    assert added == [
        "paper.heads = 8 (Section 3.2.2)",
        "paper.beta1 = 0.9 (Section 5.3)",
        "paper.dropout = 0.1 (Section 5.4)",
        "paper.momentum = 0.9 (Table 1 (row 'momentum', column 'Value'))",
    ]
    assert carried.entries[:3] == config.entries
    assert carry_stated(config, candidates, limit=1)[1] == ["paper.heads = 8 (Section 3.2.2)"]


def test_nothing_is_carried_into_a_config_that_uses_the_section_name() -> None:
    config = ConfigPlan(entries=[ConfigEntry(key="paper", value="x", source="Section 1")])
    assert carry_stated(config, [candidate("h", 8, "Section 3")])[1] == []


@needs_papers
@pytest.mark.papers
@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("adam", {"alpha": 0.001, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}),
        (
            "transformer",
            {
                "d_model": 512,
                "heads": 8,
                "d_ff": 2048,
                "num_layers": 6,
                "dropout": 0.1,
                "warmup_steps": 4000,
            },
        ),
    ],
)
def test_a_plan_that_left_out_every_value_gets_the_methods_values_verified(
    name: str, wanted: dict[str, float]
) -> None:
    """What a 1.5B model's plan did on transformer: config.yaml with none of the six."""
    config = ConfigPlan(
        entries=[ConfigEntry(key="training.num_epochs", value=10, source="Section 5.2")]
    )
    candidates = extract(paper(name), limit=25)  # the small profile's count
    carried, _ = carry_stated(config, candidates)
    _, groundings = ground_config(paper(name), carried, candidates)
    verified = {
        g.key.removeprefix("paper."): float(g.value)
        for g in groundings
        if g.status == "verified" and g.key.startswith("paper.")
    }
    assert {k: verified.get(k) for k in wanted} == {k: float(v) for k, v in wanted.items()}


@needs_papers
@pytest.mark.papers
@pytest.mark.parametrize(
    ("name", "wrong"),
    [
        ("gcn", "paper.num_layers = 10"),  # "deeper models with up to 10 layers"
        ("vgg", "paper.dropout = 5"),  # the weight decay, "5·10^-4) and dropout"
        ("tsne", "paper.y_i"),  # the gradient's index, "δC/δy_i = 4 ∑ ..."
        ("resnet", "paper.num_layers = 1000"),  # the abstract's "100 and 1000 layers"
    ],
)
def test_what_is_not_a_setting_of_the_method_is_not_carried(name: str, wrong: str) -> None:
    config = ConfigPlan(entries=[ConfigEntry(key="seed", value=0, source="assumption")])
    _, added = carry_stated(config, extract(paper(name), limit=25))
    assert not [a for a in added if a.startswith(wrong)], added


@needs_papers
@pytest.mark.papers
@pytest.mark.parametrize(
    ("name", "right"),
    [  # not the introduction's "over 100 layers" (resnet), "only 2 hidden layers" (seq2seq)
        ("resnet", "paper.num_layers = 34 (Section 3.3)"),
        ("seq2seq", "paper.num_layers = 4 (Section 3.4)"),
    ],
)
def test_a_value_the_introduction_states_gives_way_to_the_methods(name: str, right: str) -> None:
    config = ConfigPlan(entries=[ConfigEntry(key="seed", value=0, source="assumption")])
    _, added = carry_stated(config, extract(paper(name), limit=25))
    assert right in added, added


def test_a_later_statement_of_a_value_the_plan_has_is_not_carried() -> None:
    """adam: the plan had alpha = 0.001 as learning_rate; Algorithm 2's 0.002 is AdaMax's."""
    config = ConfigPlan(
        entries=[ConfigEntry(key="training.learning_rate", value=0.001, source="Algorithm 1")]
    )
    candidates = [candidate("α", 0.001, "Algorithm 1"), candidate("α", 0.002, "Algorithm 2")]
    assert carry_stated(config, candidates)[1] == []


@needs_papers
@pytest.mark.papers
def test_a_value_the_paper_states_only_as_a_bound_is_not_a_verified_setting() -> None:
    """GCN §5.2 trains a two-layer GCN and mentions "deeper models with up to 10 layers" in
    the appendix; the 1.5B model's plan kept `layers: 10` (papers-49, 61), verified, so the
    green was judged hollow for a depth the paper never trains at. The learning rate beside
    it, stated as a setting, still verifies."""
    gcn = paper("gcn")
    found = extract(gcn)
    layers = ground(gcn, "training.layers", 10, "Values the paper states", False, found)
    assert layers.status == "assumption"
    assert layers.note == (
        "Section 5.2 states 10 for layers only as a bound ('up to 10 layers'), not as the setting"
    )
    rate = ground(gcn, "training.learning_rate", 0.01, "Values the paper states", False, found)
    assert rate.status == "re-cited" and rate.source == "Section 5.2"


def test_a_bound_gives_way_to_the_same_value_stated_as_a_setting() -> None:
    bounded = candidate("layers", 10, "Section 2", quote="deeper models with up to 10 layers")
    plain = candidate("layers", 10, "Section 4", quote="we train 10 layers with dropout")
    assert bounded.text == "10" and grounding_bound(bounded) == "up to 10 layers"
    assert grounding_bound(plain) == ""
    both = ground(
        Paper(title="t", sections=[]), "model.layers", 10, "assumption", False, [bounded, plain]
    )
    assert both.status == "re-cited" and both.source == "Section 4"


@needs_papers
@pytest.mark.papers
@pytest.mark.parametrize(
    ("name", "right"),
    [  # "the uniform distribution between -0.08 and 0.08"; "zero mean and 10^-2 variance"
        ("seq2seq", "paper.init_range = 0.08 (Section 3.4)"),
        ("vgg", "paper.init_variance = 10−2 (Section 3.1)"),
    ],
)
def test_the_weights_initialisation_the_paper_states_is_carried(name: str, right: str) -> None:
    config = ConfigPlan(entries=[ConfigEntry(key="seed", value=0, source="assumption")])
    _, added = carry_stated(config, extract(paper(name), limit=25))
    assert right in added, added


def test_an_initialisation_is_the_weights_not_a_data_sets() -> None:
    section = Section(
        number="4",
        title="Data",
        text="Inputs are drawn from a uniform distribution between -0.5 and 0.5. We"
        " initialised the weights from a normal distribution with zero mean and standard"
        " deviation 0.02.",
    )
    found = extract(Paper(title="t", sections=[section]))
    assert [(c.name, c.value) for c in found if c.name.startswith("init")] == [("init std", 0.02)]


@needs_papers
@pytest.mark.papers
def test_a_smoke_runs_own_value_does_not_keep_the_methods_out() -> None:
    """resnet (papers-66): the plan kept `smoke.layers: 100` (the introduction's "over 100
    layers") and no depth of the method, so Section 3.3's 34 was not carried and nothing
    of the paper's depth reached the code."""
    config = ConfigPlan(
        entries=[
            ConfigEntry(key="smoke.layers", value=100, source="Section 1"),
            ConfigEntry(key="training.learning_rate", value=0.1, source="Section 4.2"),
        ]
    )
    _, added = carry_stated(config, extract(paper("resnet"), limit=25))
    assert "paper.num_layers = 34 (Section 3.3)" in added, added
    assert not [a for a in added if a.startswith("paper.learning_rate")]  # the plan has it


def test_an_initialisation_that_ends_a_sentence_is_found() -> None:
    text = "We train for 10 epochs. We initialised the weights uniformly between -0.05 and 0.05."
    found = extract(Paper(title="t", sections=[Section(number="4", title="Setup", text=text)]))
    assert [(c.name, c.value) for c in found if c.name == "init range"] == [("init range", 0.05)]
