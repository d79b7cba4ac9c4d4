"""A step asked for line by line from the paper's algorithm box (adam's Algorithm 1), and
the state it keeps by array started by __init__. The paper's own characters (minus signs, Greek) are
the subject here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.conftest import PAPERS

_YAML = """\
# Hyperparameters of the paper; `assumption` marks values the paper leaves open.
paper:
  beta1: 0.9  # Algorithm 1
  ϵ: 1.0e-08  # Algorithm 1
  temperature: 20  # Section 3
  hidden_units: 1000  # Section 6.2
training:
  learning_rate: 0.001  # Algorithm 1
"""

_ADAM_ALGORITHM = """\
Algorithm 1: Adam, our proposed algorithm for stochastic optimization.
Require: α: Stepsize
Require: β_1, β_2 ∈ [0, 1): Exponential decay rates for the moment estimates
m_0 ← 0 (Initialize 1^st moment vector)
t ← 0 (Initialize timestep)
while θ_t not converged do
t ← t + 1
g_t ←∇_θf_t(θ_(t−1)) (Get gradients w.r.t. stochastic objective at timestep t)
m_t ← β_1 · m_(t−1) + (1 − β_1) · g_t (Update biased first moment estimate)
v_t ← β_2 · v_(t−1) + (1 − β_2) · g_t^2
m̂_t ← m_t/(1 − β_1^t)
v̂_t ← v_t/(1 − β_2^t)
θ_t ← θ_(t−1) − α · m̂_t/(√v̂_t + ϵ) (Update parameters)
end while
Which gives u_t = max(β_2 · u_(t−1), |g_t|) (12)
return θ_t (Resulting parameters)
"""

# the 1.5B model's answer to the question of test_an_update_rule_..., word for word
# (Qwen2.5-Coder-1.5B Q4_K_M, on adam's model.py of papers-30)
_ADAM_LINE_BY_LINE = """\
def step(self, inputs: np.ndarray, targets: np.ndarray) -> None:
    grads = gradients(lambda: self.loss(inputs, targets), self.params)
    for name, g in grads.items():
        # Algorithm 1 of the paper, for the array self.params[name] and its gradient g:
        # t ← t + 1
        self.t[name] = self.t.get(name, 0) + 1
        m = self.m.get(name, 0)
        v = self.v.get(name, 0)
        m = self.m[name] = self.beta1 * m + (1 - self.beta1) * g
        v = self.v[name] = self.beta2 * v + (1 - self.beta2) * g**2
        m_hat = m / (1 - self.beta1**self.t[name])
        v_hat = v / (1 - self.beta2**self.t[name])
        self.params[name] -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.ϵ)
"""

_ADAM_GD = """\
import numpy as np
from typing import Any


class Model:
    def __init__(self, config: dict[str, Any], n_features: int, n_classes: int) -> None:
        \"\"\"Doc.\"\"\"
        self.params = {"w1": np.ones((n_features, min(config["hidden_units"], 3)))}
        self.learning_rate = config["learning_rate"]
        self.beta1 = config["beta1"]
        self.t = 0

    def loss(self, inputs: Any, targets: Any) -> float:
        return 0.0

    def step(self, inputs: Any, targets: Any) -> None:
        \"\"\"One update.\"\"\"
        grads = gradients(lambda: self.loss(inputs, targets), self.params)
        self.params["w1"] -= self.learning_rate * grads["w1"]
"""


def test_an_update_rule_from_an_algorithm_is_asked_line_by_line_and_its_state_started() -> None:
    """adam (papers-28 to 30): told Algorithm 1's steps whole, the 1.5B model wrote gradient
    descent three times; given the loop with the algorithm's lines as comments, it wrote
    Adam (its answer: _ADAM_LINE_BY_LINE). The state it keeps by array is started as dicts
    by __init__, where its own `self.t = 0` was, and the step is Adam's."""
    from papercoder.agents.contract import (
        settings_from_params,
        state_by_array,
        unread_paper_settings,
        update_lines,
    )
    from papercoder.agents.stubs import emptied, with_function

    lines = update_lines(_ADAM_ALGORITHM)
    assert lines[0] == "t ← t + 1" and lines[-1].startswith("θ_t ← θ_(t−1) − α · m̂_t")
    assert len(lines) == 6  # the loop's, less the gradient's; not what follows `end while`
    [_, step] = unread_paper_settings(_ADAM_GD, _YAML, {"Algorithm 1": _ADAM_ALGORITHM})
    assert step.why.startswith("is to apply Algorithm 1 of the paper to each array")
    assert "self.beta1 (0.9), self.ϵ (1e-08), self.learning_rate." in step.why  # not params
    shown = emptied(_ADAM_GD, step)
    assert 'grads["w1"]' not in shown  # not its gradient descent
    assert shown.endswith(
        '        """One update."""\n'
        "        grads = gradients(lambda: self.loss(inputs, targets), self.params)\n"
        "        for name, g in grads.items():\n"
        "            # Algorithm 1 of the paper, for the array self.params[name]"
        " and its gradient g:\n"
        "            # t ← t + 1\n"
        "            t = self.t[name] = self.t.get(name, 0) + 1\n"
        "            # m_t ← β_1 · m_(t−1) + (1 − β_1) · g_t"
        " (Update biased first moment estimate)\n"
        "            # v_t ← β_2 · v_(t−1) + (1 − β_2) · g_t^2\n"
        "            # m̂_t ← m_t/(1 − β_1^t)\n"
        "            # v̂_t ← v_t/(1 − β_2^t)\n"
        "            # θ_t ← θ_(t−1) − α · m̂_t/(√v̂_t + ϵ) (Update parameters)\n"
    )
    written = with_function(_ADAM_GD, step, _ADAM_LINE_BY_LINE, "model")
    assert written is not None
    again = unread_paper_settings(written, _YAML, {"Algorithm 1": _ADAM_ALGORITHM})
    assert [s.qualname for s in again] == ["Model.loss"]  # (the temperature): step uses them
    started, names = state_by_array(written)
    assert names == ["m", "t", "v"]
    assert "        self.t: dict[str, Any] = {}\n" in started and "self.t = 0" not in started
    assert state_by_array(started) == (started, [])  # dicts now
    config_kept = written.replace("self.t = 0", "self.t = config")  # what may be a dict
    assert "self.t = config" in state_by_array(config_kept)[0]
    by_constant = written.replace("self.t.get(name, 0)", 'self.t.get("w1", 0)')
    assert "self.t = 0" in state_by_array(by_constant)[0]  # by a key: no state by array
    mended, _ = settings_from_params(started, ["beta1", "beta2", "ϵ", "learning_rate"])
    # run, it is Adam: the first step moves each weight by about the step size
    ns: dict[str, Any] = {"gradients": lambda loss, params: {k: 2 * v for k, v in params.items()}}
    exec(mended, ns)
    config = {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "\u03b5": 1e-8}
    config["hidden_units"] = 1000
    model = ns["Model"](config, 2, 3)
    for _ in range(3):
        model.step(None, None)
    assert np.allclose(model.params["w1"], 1 - 3 * 0.001, atol=1e-5)  # plain GD: 0.994
    assert model.t == {"w1": 3}


def test_only_the_update_of_an_algorithms_loop_is_asked_for() -> None:
    from papercoder.agents.contract import algorithm_body, update_lines

    assert update_lines("Caption.\nx = 1\n") == []  # one line is no update
    assert update_lines("Caption.\n" + "a = b\n" * 13) == []  # prose, not one update
    ascii_box = "Algorithm 2.\nfor i in 1..n do\nk <- k + 1\nw <- w - eta * g\nend for\n"
    lines = update_lines(ascii_box)
    assert lines == ["k <- k + 1", "w <- w - eta * g"]
    body = algorithm_body("Algorithm 2", lines)
    assert "    k = self.k[name] = self.k.get(name, 0) + 1\n    # w <- w - eta * g\n" in body
    compile(body, "step", "exec")


@pytest.mark.skipif(not PAPERS.is_dir(), reason=f"the shared papers are not at {PAPERS}")
@pytest.mark.papers
def test_adams_update_lines_on_the_paper() -> None:
    from papercoder import grounding
    from papercoder.agents.contract import update_lines
    from papercoder.paper import load_paper

    places = dict(grounding.places(load_paper(PAPERS / "adam.pdf")))
    adam = update_lines(places["Algorithm 1"])
    assert [line.split(" ")[0] for line in adam] == ["t", "m_t", "v_t", "m̂_t", "v̂_t", "θ_t"]
    adamax = update_lines(places["Algorithm 2"])  # not its derivation after `end while`
    assert [line.split(" ")[0] for line in adamax] == ["t", "m_t", "u_t", "θ_t"]


@pytest.mark.parametrize(
    ("box", "wanted"),
    [
        # an `end if` ends no loop: the update after it counts
        (
            "while x do\nt ← t + 1\nif t > T then\nη ← η · γ\nend if\nθ ← θ − η g\nend while",
            ["t ← t + 1", "η ← η · γ", "θ ← θ − η g"],
        ),
        # a nested loop's lines count, not its header
        (
            "for e = 1 to E do\nfor i = 1 to N do\nw ← w − η g\nb ← b − η g_b\nend for\nend for",
            ["w ← w − η g", "b ← b − η g_b"],
        ),
        # a line using a gradient updates; one whose value is the gradient does not
        (
            "while x do\nt ← t + 1\ng ← ∇f(θ)\nv ← μv − ε∇f(θ)\nθ ← θ + v\nend while",
            ["t ← t + 1", "v ← μv − ε∇f(θ)", "θ ← θ + v"],
        ),
        # numbered lines (ADADELTA's box), and `endwhile` in one word, prose after it
        (
            "1: Initialize E_0 = 0\n2: for t = 1 : T do\n3: Compute Gradient: g_t\n"
            "4: E_t = ρE_(t−1) + (1 − ρ)g_t²\n5: x_(t+1) = x_t + ∆x_t\n6: end for\nu = max(a)",
            ["E_t = ρE_(t−1) + (1 − ρ)g_t²", "x_(t+1) = x_t + ∆x_t"],
        ),
        (
            "while x do\nt ← t + 1\nm ← m + 1\nendwhile\nWhich gives u = v",
            ["t ← t + 1", "m ← m + 1"],
        ),
    ],
)
def test_the_lines_of_an_update_are_read_from_the_layouts_papers_use(
    box: str, wanted: list[str]
) -> None:
    from papercoder.agents.contract import algorithm_body, update_lines

    assert update_lines("Algorithm 1: caption.\n" + box) == wanted
    compile(algorithm_body("Algorithm 1", wanted), "step", "exec")  # a count or `pass`


def test_state_set_in_a_chain_or_a_tuple_is_started_as_dicts() -> None:
    from papercoder.agents.contract import state_by_array

    code = (
        "from typing import Any\n"
        "class M:\n"
        "    def __init__(self, config):\n"
        "        self.m = self.v = 0\n"
        "        self.t, self.lr = 0, config['lr']\n"
        "        self.u, self.w = pair\n"
        "    def step(self, name):\n"
        "        first = self.m.get(name, 0), self.v.get(name, 0)\n"
        "        return first, self.t.get(name), self.u.get(name)\n"
    )
    fixed, names = state_by_array(code)
    assert names == ["m", "t", "v"]  # u: set so that it cannot be told apart
    namespace: dict[str, Any] = {"pair": (1, 2)}
    exec(fixed, namespace)
    model = namespace["M"]({"lr": 0.5})
    assert (model.m, model.v, model.t, model.lr, model.u) == ({}, {}, {}, 0.5, 1)


def test_only_settings_read_from_config_are_listed_and_only_methods_read_bare_names() -> None:
    import ast

    from papercoder.agents.contract import _kept_settings, settings_from_names

    init = ast.parse(
        "def __init__(self, config, n_features, n_classes):\n"
        "    self.config = config\n"
        "    self.rng = np.random.default_rng(config['seed'])\n"
        "    self.lr = float(config['training']['learning_rate'])\n"
        "    self.b1 = config.get('beta1')\n"
        "    self.params = {'w': np.zeros((n_features, min(config['h'], 16)))}\n"
    ).body[0]
    assert isinstance(init, ast.FunctionDef)
    assert _kept_settings(init) == ["lr", "b1"]
    code = "class M:\n    @staticmethod\n    def f(t):\n        return beta2 ** t\n"
    code += "    def g(me, t):\n        return beta2 * t\n"
    fixed, _ = settings_from_names(code, ["beta2"])
    assert "return beta2 ** t" in fixed and "return me.beta2 * t" in fixed
