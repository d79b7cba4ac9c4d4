"""Stubs asked for one function at a time: what counts as one, and how an answer goes in."""

from __future__ import annotations

import ast

from papercoder.agents.stubs import Stub, fill_stubs, stubs, with_function
from papercoder.llm.client import ChatRequest, Message
from papercoder.testing import FunctionModel

# what the 1.5B model wrote for gcn's data.py and model.py, cut down
CODE = '''import numpy as np
from abc import ABC, abstractmethod
from typing import Protocol


def load_data():
    # Implement the logic to load the dataset from a file
    pass


def preprocess_data(data):
    """Normalise the features."""
    raise NotImplementedError


def degree(adjacency):
    return adjacency.sum(axis=1)


class GCN:
    def __init__(self):
        pass

    @staticmethod
    def forward_pass(features, weights):
        ...

    def backward_pass(self, gradients):
        """Update the weights."""
        pass


class Layer(Protocol):
    def __call__(self, x): ...


class Base(ABC):
    @abstractmethod
    def fit(self): ...
'''


def test_stubs_are_the_functions_that_do_nothing_and_are_meant_to() -> None:
    assert [s.qualname for s in stubs(CODE)] == [
        "load_data",
        "preprocess_data",
        "GCN.forward_pass",
        "GCN.backward_pass",
    ]
    assert stubs("def broken(:\n") == []


def test_a_method_goes_in_at_its_indentation_keeping_its_decorator() -> None:
    reply = (
        "import numpy as np\nimport scipy.sparse as sp\nfrom data import load_data\n\n"
        "def forward_pass(features, weights):\n"
        "    return np.maximum(features @ weights, 0)\n"
    )
    new = with_function(CODE, Stub(name="forward_pass", qualname="GCN.forward_pass"), reply, "data")
    assert new is not None
    assert (
        "    @staticmethod\n    def forward_pass(features, weights):\n"
        "        return np.maximum(features @ weights, 0)\n\n    def backward_pass" in new
    )
    # scipy is new; numpy is imported already; the file's own module is never imported
    assert new.count("import numpy as np") == 1 and "import scipy.sparse as sp\n" in new
    assert "from data import" not in new
    assert stubs(new)[2:] == [Stub(name="backward_pass", qualname="GCN.backward_pass")]
    ast.parse(new)


def test_an_answer_that_is_not_a_working_function_of_that_name_is_refused() -> None:
    stub = Stub(name="load_data", qualname="load_data")
    assert with_function(CODE, stub, "def load_data():\n    pass\n") is None  # another stub
    assert with_function(CODE, stub, "def load(n):\n    return n\n") is None  # another name
    assert with_function(CODE, stub, "def load_data(:\n") is None
    nested = "class Loader:\n    def load_data(self):\n        return 1\n"
    replaced = with_function(CODE, stub, nested)  # found wherever the reply put it
    assert replaced is not None and "def load_data(self):\n    return 1\n" in replaced


def test_each_stub_is_asked_alone_and_a_copy_of_another_modules_function_is_not() -> None:
    def reply(request: ChatRequest) -> str:
        task = request.messages[-1].content
        name = task.split("Write it: the whole `def ")[1].split("(")[0]
        if name == "backward_pass":
            return "Sorry, I cannot."
        return f"```python\ndef {name}(*args):\n    return len(args)\n```"

    model = FunctionModel(reply)
    shared = [Message(role="system", content="system")]
    code, filled = fill_stubs(
        model, shared, "model.py", CODE, "the design", 256, limit=3,
        elsewhere=frozenset({"load_data"}),
    )  # fmt: skip
    assert filled == ["preprocess_data", "GCN.forward_pass"]
    asked = [r.messages[-1].content for r in model.requests]
    assert len(asked) == 3 and all(r.agent == "coder.function" for r in model.requests)
    assert "`GCN.backward_pass` does nothing yet" in asked[2] and "the design" in asked[2]
    assert "def preprocess_data(*args):\n    return len(args)" in code
    assert "def load_data():\n    # Implement" in code  # the linker drops it
    assert [s.qualname for s in stubs(code)] == ["load_data", "GCN.backward_pass"]
    assert model.requests[0].messages[0] == shared[0]  # the shared prefix, for the cache
