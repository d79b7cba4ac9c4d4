"""predict asked for with the paper's equations of its model in its body, as comments to
write below (resnet's y = F(x, {W_i}) + x; gcn's Z = softmax(Â ReLU(ÂXW^(0)) W^(1))).
The paper's own characters (Greek, minus signs) are the subject here."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest

from papercoder.agents import contract
from papercoder.agents.stubs import emptied, stubs, with_function
from papercoder.paper.model import Equation
from papercoder.testing import ScriptedServer
from tests.conftest import PAPERS
from tests.pipeline.conftest import scripted
from tests.pipeline.test_contract import answer, run_in, small_build


def equation(number: str | None, text: str, section: str = "3 Method") -> Equation:
    return Equation(number=number, text=text, page=1, section=section)


@pytest.mark.skipif(not PAPERS.is_dir(), reason=f"the shared papers are not at {PAPERS}")
@pytest.mark.papers
@pytest.mark.parametrize(
    ("paper", "wanted"),
    [
        ("resnet", ["Equation 1 of Section 3.2"]),  # not Eq. 2, its variant y = ... + W_s x
        ("gcn", ["Equation 9 of Section 3.1"]),  # not its losses, nor its layers' recurrence
        ("transformer", ["Equation 1 of Section 3.2.1", "Equation 2 of Section 3.3"]),
        ("adam", []),  # an optimizer: its equations are its update's
        ("tsne", []),  # its p_(j|i), garbled by the PDF's fractions
        ("distillation", []),  # its tempered softmax is its objective's
        ("glove", []),
        ("seq2seq", []),
        ("vgg", []),
    ],
)
def test_the_equations_of_the_papers_model_are_the_ones_that_compute_its_output(
    paper: str, wanted: list[str]
) -> None:
    from papercoder.paper import load_paper

    found = contract.model_equations(load_paper(PAPERS / f"{paper}.pdf").equations)
    assert [where for where, _ in found] == wanted
    if paper == "gcn":
        printed = unicodedata.normalize("NFC", found[0][1])  # (A and a combining hat)
        assert printed == "Z = f(X, A) = softmax(Â ReLU(ÂXW^(0)) W^(1)) ."


def test_only_an_equation_computing_an_output_in_the_method_is_picked() -> None:
    """Each left out would be picked but for the one thing its comment names: each holds an
    activation or a weight matrix, in the method's section."""
    picked = contract.model_equations(
        [
            equation("1", "h = σ(W_1 x + b)", "1 Introduction"),  # not the method's section
            equation("2", "h = relu(W x)", "4 Experiments"),
            equation("3", "h = relu(W x)", "A Appendix"),
            equation(None, "h = relu(W x)"),  # unnumbered
            equation("4", "L = −∑ y log softmax(W_1 x)"),  # an objective, by its log
            equation("5", "L_{reg} = λ ∑ ‖W_i‖^2"),  # by its left side
            equation("6", "J(θ) = ‖y − tanh(W_1 x)‖^2"),
            equation("7", "∂L/∂W_1 = x^T δ"),  # a gradient
            equation("8", "KL(p, softmax(W x))"),
            equation("9", "p_(j|i) = (exp −∥W_1 x_i −)/(_(̸=i) ex̂p(−∥x_i)"),  # garbled
            equation("10", "z = μ + σ ⊙ ε"),  # a deviation, not an activation applied
            equation("11", "v = a + b"),  # no activation, no weight matrix
            equation("12", "q = σ(W x) " + "+ W x " * 40),  # too long to be one of them
            equation("13", "h = relu(W_1 x + b_1)"),
            equation("14", "h = relu(W_1 x)"),  # a variant of Eq. 13: the same left side
            equation("15", "s = softmax(W_2 h + b_2)", "3.1 The output"),
            equation("16", "y = F(x, {W_i}) + x"),  # a third: the model's are at most two
        ]
    )
    assert picked == [
        ("Equation 13 of Section 3", "h = relu(W_1 x + b_1)"),
        ("Equation 15 of Section 3.1", "s = softmax(W_2 h + b_2)"),
    ]
    # a word inside a title is no experiments section; a numbered title's dot is dropped
    normalised = equation("1", "h = relu(W x)", "3.3. Decorrelated Batch Normalization")
    assert contract.model_equations([normalised]) == [
        ("Equation 1 of Section 3.3", "h = relu(W x)")
    ]
    # an LSTM's cell is no objective, as `C = ...` would be
    assert contract.model_equations([equation("1", "c_t = σ(W_c x)")]) != []
    assert contract.model_equations([equation("1", "C = σ(W_c x)")]) == []
    # a layer's recurrence is left out beside the model's own equation, and kept alone
    recurrence = equation("2", "H^(l+1) = σ(Â H^(l) W^(l))")
    own = equation("9", "Z = softmax(Â relu(Â X W^(0)) W^(1))", "3.1 Example")
    assert [w for w, _ in contract.model_equations([recurrence, own])] == [
        "Equation 9 of Section 3.1"
    ]
    assert [w for w, _ in contract.model_equations([recurrence])] == ["Equation 2 of Section 3"]
    for lhs in ("h_{t+1}", "x_(t + 1)", "h^(l+1)", "H^(ℓ+1)", "H^{[l+1]}"):
        with_own = contract.model_equations([equation("1", f"{lhs} = relu(W h)"), own])
        assert [w for w, _ in with_own] == ["Equation 9 of Section 3.1"], lhs


# the 1.5B model's answer to resnet's question, word for word (Qwen2.5-Coder-1.5B Q4_K_M, on
# the plan of papers-37): told no equation, it had written `return np.dot(inputs, w1)`
_RESNET_ANSWER = '''\
def predict(self, inputs: np.ndarray) -> np.ndarray:
        """The method's output."""
        x = inputs
        for i in range(self.params["num_layers"]):
            W = self.params[f"w{i}"]
            b = self.params[f"b{i}"]
            x = relu(np.dot(x, W) + b)
        return x
'''

_RESNET = [("Equation 1 of Section 3.2", "y = F(x, {W_i}) + x.")]


def test_predict_is_first_asked_to_write_the_equations_below_them() -> None:
    code = contract.skeleton(contract.MODEL, "Deep Residual Learning")
    assert contract.first_stubs(code) == stubs(code)  # no equations: asked as before
    [init, predict, loss, step] = contract.first_stubs(code, _RESNET)
    assert (init.why, loss.why, step.why) == ("does nothing yet",) * 3
    assert predict.why.startswith("does nothing yet: its body starts with `x = inputs` and the")
    shown = emptied(code, predict)
    assert (
        '        same parameters give the same output."""\n'
        "        x = inputs\n"
        "        # y = F(x, {W_i}) + x.  (Equation 1 of Section 3.2)\n"
        "\n"
        "    def loss("
    ) in shown
    written = with_function(code, predict, _RESNET_ANSWER, "model")
    assert written is not None and 'self.params[f"w{i}"]' in written
    assert [s.name for s in stubs(written)] == ["__init__", "loss", "step"]


_PREDICT = """\
def predict(self, inputs: np.ndarray) -> np.ndarray:
    x = inputs
    h = relu(x @ self.params["w1"] + self.params["b1"])
    return (h + x @ self.params["p"]) @ self.params["w2"] + self.params["b2"]
"""


def test_a_build_asks_for_predict_with_the_papers_equations(
    fixture_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fixture paper's one equation is its loss; given a model's equations, predict's
    first question holds them, and the rest of the build goes on as before."""
    gcn = [("Equation 9 of Section 3.1", "Z = softmax(Â ReLU(ÂXW^(0)) W^(1))")]
    monkeypatch.setattr(contract, "model_equations", lambda equations: gcn)
    rules: list[dict[str, Any]] = [answer("Below each comment line, write that equation", _PREDICT)]
    with ScriptedServer(scripted(*rules)) as srv:
        run_dir = small_build(srv, fixture_pdf, tmp_path)
        asked = [r.text for r in srv.chat_requests("coder.function")]
    [predict] = [a for a in asked if "`Model.predict`" in a]
    gcn_line = "# Z = softmax(Â ReLU(ÂXW^(0)) W^(1))  (Equation 9 of Section 3.1)"
    assert f"        x = inputs\n        {gcn_line}\n" in predict
    assert sum("write that equation" in a for a in asked) == 1  # predict's alone
    model = (run_dir / "repo" / contract.MODEL).read_text("utf-8")
    assert 'h = relu(x @ self.params["w1"] + self.params["b1"])' in model
    tests = run_in(run_dir / "repo", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout


def test_a_predict_the_equations_question_leaves_empty_is_asked_for_as_before(
    fixture_pdf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """resnet (papers-41): told its Equation 1, the 1.5B model repeated it until its reply
    was cut off, and predict stayed empty to the checks. Asked as before, it is written."""
    resnet = [("Equation 1 of Section 3.2", "y = F(x, {W_i}) + x.")]
    monkeypatch.setattr(contract, "model_equations", lambda equations: resnet)
    looped = {
        "agent": "coder.function",
        "contains": "Below each comment line, write that equation",
        "content": "I would write y = F(x) + x, y = F(x) + x, y = F(x) + x.",
    }
    with ScriptedServer(scripted(looped)) as srv:
        run_dir = small_build(srv, fixture_pdf, tmp_path)
        asked = [r.text for r in srv.chat_requests("coder.function")]
    predict = [a for a in asked if "`Model.predict` does nothing yet" in a]
    assert len(predict) == 2 and "write that equation" not in predict[1]
    model = (run_dir / "repo" / contract.MODEL).read_text("utf-8")
    assert [s.name for s in stubs(model)] == []
    tests = run_in(run_dir / "repo", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout
