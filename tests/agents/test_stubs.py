"""Stubs asked for one function at a time: what counts as one, and how an answer goes in."""

from __future__ import annotations

import ast

from papercoder.agents.stubs import fill_stubs, placeholder, stubs, with_function
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
    stub = next(s for s in stubs(CODE) if s.name == "forward_pass")
    new = with_function(CODE, stub, reply, "data")
    assert new is not None
    assert (
        "    @staticmethod\n    def forward_pass(features, weights):\n"
        "        return np.maximum(features @ weights, 0)\n\n    def backward_pass" in new
    )
    # scipy is new; numpy is imported already; the file's own module is never imported
    assert new.count("import numpy as np") == 1 and "import scipy.sparse as sp\n" in new
    assert "from data import" not in new
    assert [s.qualname for s in stubs(new)[2:]] == ["GCN.backward_pass"]
    ast.parse(new)


def test_an_answer_that_is_not_a_working_function_of_that_name_is_refused() -> None:
    stub = stubs(CODE)[0]
    assert with_function(CODE, stub, "def load_data():\n    pass\n") is None  # another stub
    assert with_function(CODE, stub, "def load(n):\n    return n\n") is None  # another name
    assert with_function(CODE, stub, "def load_data(:\n") is None
    assert with_function(CODE, stub, "def load_data(path):\n    return path\n") is None
    assert with_function(CODE, stub, "async def load_data():\n    return 1\n") is None
    method = next(s for s in stubs(CODE) if s.name == "backward_pass")
    assert with_function(CODE, method, "def backward_pass(gradients):\n    return 1\n") is None
    nested = "class Loader:\n    def load_data():\n        return 1\n"
    replaced = with_function(CODE, stub, nested)  # found wherever the reply put it
    assert replaced is not None and "def load_data():\n    return 1\n" in replaced


def test_each_stub_is_asked_alone_and_a_copy_of_another_modules_function_is_not() -> None:
    def reply(request: ChatRequest) -> str:
        task = request.messages[-1].content
        name = task.split("Write it: the whole `def ")[1].split("(")[0]
        if name == "backward_pass":
            return "Sorry, I cannot."
        params = {"preprocess_data": "data", "forward_pass": "features, weights"}[name]
        return f"```python\ndef {name}({params}):\n    return 1\n```"

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
    assert "def preprocess_data(data):\n    return 1" in code
    assert "def load_data():\n    # Implement" in code  # the linker drops it
    assert [s.qualname for s in stubs(code)] == ["load_data", "GCN.backward_pass"]
    assert model.requests[0].messages[0] == shared[0]  # the shared prefix, for the cache


def test_a_stub_is_found_by_its_line_not_its_name() -> None:
    code = (
        "class Box:\n"
        "    @property\n    def x(self):\n        return self._x\n\n"
        "    @x.setter\n    def x(self, v):\n        pass\n"
    )
    [stub] = stubs(code)
    assert (stub.qualname, stub.line) == ("Box.x", 7)
    new = with_function(code, stub, "def x(self, v):\n    self._x = v\n")
    assert new == code.replace("        pass\n", "        self._x = v\n")


def test_a_tab_indented_method_keeps_its_tabs() -> None:
    code = "class Net:\n\tdef forward(self, x):\n\t\tpass\n"
    [stub] = stubs(code)
    new = with_function(code, stub, "def forward(self, x):\n    return 2 * x\n")
    assert new is not None
    namespace: dict[str, object] = {}
    exec(compile(new, "net.py", "exec"), namespace)
    assert namespace["Net"]().forward(3) == 6  # type: ignore[operator]


def test_interfaces_and_methods_of_classes_defined_elsewhere_are_not_asked_for() -> None:
    code = (
        "import abc\nfrom typing import Generic, Protocol, TypeVar\n\nT = TypeVar('T')\n\n\n"
        "class Source(Protocol[T]):\n    def read(self) -> T: ...\n\n\n"
        "class Base(metaclass=abc.ABCMeta):\n    def fit(self):\n"
        "        raise NotImplementedError\n\n\n"
        "class GCN:\n    def forward(self, x):\n        pass\n"
    )
    assert [s.qualname for s in stubs(code)] == ["GCN.forward"]
    model = FunctionModel(lambda request: "def forward(self, x):\n    return x\n")
    _, filled = fill_stubs(model, [], "train.py", code, "", 64, 4, frozenset({"GCN"}))
    assert filled == [] and model.requests == []


def test_only_the_stubs_named_are_asked_for_and_unwritten_ones_can_be_taken_out() -> None:
    from papercoder.agents.stubs import without_stubs

    model = FunctionModel(lambda request: "no")
    _, filled = fill_stubs(model, [], "m.py", CODE, "", 64, 8, only=frozenset({"load_data"}))
    assert filled == [] and len(model.requests) == 1
    code = "import os\n\n\ndef gone():\n    raise NotImplementedError\n\n\ndef kept():\n    pass\n"
    assert without_stubs(code, {"gone"}) == "import os\n\n\ndef kept():\n    pass\n"


def test_a_stub_whose_prompt_is_too_long_for_the_context_stays_and_the_next_is_asked() -> None:
    from papercoder.llm.client import ContextLengthExceeded

    def reply(request: ChatRequest) -> str:
        if "`load_data` does nothing yet" in request.messages[-1].content:
            raise ContextLengthExceeded("the prompt does not fit", "ask for less")
        return "```python\ndef preprocess_data(data):\n    return data\n```"

    code, filled = fill_stubs(FunctionModel(reply), [], "data.py", CODE, "", 64, 2)
    assert filled == ["preprocess_data"] and "def load_data():\n    # Implement" in code


def test_a_function_written_whole_before_the_reply_looped_is_kept() -> None:
    from papercoder.llm.gateway import TruncatedReply

    looped = (
        "```python\ndef load_data():\n    return np.zeros((4, 3))\n\n\n"
        + "# the features are loaded from the dataset.\n" * 20
    )

    def reply(request: ChatRequest) -> str:
        if "`load_data` does nothing yet" in request.messages[-1].content:
            raise TruncatedReply("cut off, repeating itself", content=looped[:-9])
        raise TruncatedReply("cut off, repeating itself", content="def preprocess_data(d" * 30)

    code, filled = fill_stubs(FunctionModel(reply), [], "data.py", CODE, "", 64, 2)
    assert filled == ["load_data"]
    assert "def load_data():\n    return np.zeros((4, 3))\n" in code
    assert "# the features are loaded" not in code
    assert 'def preprocess_data(data):\n    """Normalise the features."""\n' in code


def test_a_method_nobody_could_write_is_taken_out_of_its_class_by_its_qualified_name() -> None:
    from papercoder.agents.stubs import without_stubs

    code = without_stubs(CODE, {"GCN.backward_pass", "forward_pass"})
    assert "def backward_pass" not in code and "    def forward_pass(features, weights):" in code
    assert [s.qualname for s in stubs(code)] == ["load_data", "preprocess_data", "GCN.forward_pass"]
    ast.parse(code)


# t-SNE's data.py from the 1.5B model, cut down: no data file exists in the sandbox
READS = """import numpy as np
import yaml


def load_config():
    with open("config.yaml") as handle:
        return yaml.safe_load(handle)


def load_data(file_path):
    try:
        with open(file_path, "r") as file:
            data = np.loadtxt(file)
    except FileNotFoundError:
        raise ValueError("File not found.")
    return data


def save(data, out):
    with open(out, "w") as handle:
        handle.write(str(data))


class Loader:
    def table(self):
        return pd.read_csv("data/cora.content")
"""


def test_functions_that_read_a_data_file_the_repository_lacks_are_asked_for_again() -> None:
    from papercoder.agents.stubs import readers

    present = frozenset({"config.yaml", "data.py", "main.py"})
    found = readers(READS, present)
    assert [(s.qualname, s.why) for s in found] == [
        ("load_data", "reads a data file, and no data file exists"),
        ("Loader.table", "reads a data file, and no data file exists"),
    ]  # config.yaml is there; writing a file is no read
    assert [s.qualname for s in readers(READS, present | {"data/cora.content"})] == ["load_data"]

    def reply(request: ChatRequest) -> str:
        task = request.messages[-1].content
        if "`load_data` reads a data file, and no data file exists" in task:
            return "```python\ndef load_data(file_path):\n    return np.random.rand(8, 2)\n```"
        return "```python\ndef table(self):\n    return np.loadtxt('other.txt')\n```"

    code, filled = fill_stubs(
        FunctionModel(reply), [], "data.py", READS, "", 64, 4,
        targets=lambda c: readers(c, present),
    )  # fmt: skip
    assert filled == ["load_data"], "an answer that reads a missing file again is no answer"
    assert "def load_data(file_path):\n    return np.random.rand(8, 2)\n" in code
    assert 'return pd.read_csv("data/cora.content")' in code


def test_reads_of_repository_files_temporary_paths_and_other_variables_are_not_data_reads() -> None:
    from papercoder.agents.stubs import readers

    code = (
        "import io\nimport numpy as np\nimport yaml\n\n\n"
        "def load_config(path='config.yaml'):\n    with open(path) as f:\n"
        "        return yaml.safe_load(f)\n\n\n"
        "def load_weights(path):\n    return np.load(path)\n\n\n"
        "def test_roundtrip(tmp_path):\n    return np.loadtxt(tmp_path / 'x.txt')\n\n\n"
        "def parse_table(text):\n    return np.loadtxt(io.StringIO(text))\n\n\n"
        "def load_dataset(path):\n    return np.load(path)\n\n\n"
        "def load_graph(path='data/cora.npz'):\n    return np.load(path)\n"
    )
    found = readers(code, frozenset({"config.yaml", "data.py"}))
    assert [s.qualname for s in found] == ["load_dataset", "load_graph"]
    assert readers(code, frozenset({"config.yaml", "data/cora.npz"}))[-1].name == "load_dataset"


def test_a_function_the_reply_looped_inside_of_is_not_taken_half_written() -> None:
    from papercoder.llm.gateway import TruncatedReply

    inside = "```python\ndef load_data():\n    x = np.zeros(3)\n" + "    # the data.\n" * 40

    def reply(request: ChatRequest) -> str:
        raise TruncatedReply("cut off, repeating itself", content=inside)

    code, filled = fill_stubs(FunctionModel(reply), [], "data.py", CODE, "", 64, 1)
    assert filled == [] and "def load_data():\n    # Implement" in code


def test_a_function_the_reply_looped_in_a_literal_of_is_taken_with_the_literal_closed() -> None:
    """resnet (papers-58): `__init__` listed an array per layer of 34 in `self.params = {`
    and was cut off repeating, three times; it stayed empty. The entries before the loop
    are the function's, the dict closed."""
    from papercoder.llm.gateway import TruncatedReply

    entry = '        "w{}": np.random.default_rng(0).normal(0.0, 1.0, size=(16, 16)),\n'
    listing = (
        "```python\ndef load_data():\n    x = {\n"
        + entry.format(1)
        + "".join(entry.format(9) for _ in range(30))
    )

    def reply(request: ChatRequest) -> str:
        if "`load_data` does nothing yet" in request.messages[-1].content:
            raise TruncatedReply("cut off, repeating itself", content=listing[:-20])
        raise TruncatedReply("cut off, repeating itself", content="def preprocess_data(d" * 30)

    code, filled = fill_stubs(FunctionModel(reply), [], "data.py", CODE, "", 64, 1)
    assert filled == ["load_data"]
    assert (
        "def load_data():\n    x = {\n"
        + entry.format(1)
        + entry.format(9)
        + "    }\n\n\ndef preprocess_data"
    ) in code
    ast.parse(code)


def test_a_method_answered_at_its_classs_indentation_is_taken() -> None:
    """Asked for one method, a model answers it as it stands in the class: indented."""
    code = "class Model:\n    def loss(self, x):\n        pass\n"
    [stub] = stubs(code)
    reply = "    def loss(self, x):\n        return float((x**2).sum())\n"
    assert with_function(code, stub, reply) == (
        "class Model:\n    def loss(self, x):\n        return float((x**2).sum())\n"
    )


PLACEHOLDERS = {
    # adam's real replies for Model.predict and Model.loss, 1.5B model
    "said": "def predict(self, x):\n    # This is a placeholder for the actual implementation\n"
    "    return x @ self.w\n",
    "drawn": "def loss(self, x, y):\n    return np.random.rand()\n",
}


def test_placeholders_are_told_from_code_that_works() -> None:
    assert placeholder(PLACEHOLDERS["said"], "predict") == "it says it is a placeholder"
    assert placeholder(PLACEHOLDERS["drawn"], "loss") == "it returns random numbers"
    # making data at random is the work of a data function; a computed result is no placeholder
    assert placeholder("def make_data(n):\n    return np.random.rand(n)\n", "make_data") is None
    assert placeholder("def loss(self, x):\n    return float((x**2).mean())\n", "loss") is None


def test_a_placeholder_is_asked_for_again_and_told_what_it_is() -> None:
    code = "class Model:\n    def loss(self, x, y):\n        pass\n"
    real = "def loss(self, x, y):\n    return float(((x - y) ** 2).mean())\n"
    model = FunctionModel(
        lambda r: real if len(r.messages) > 1 else f"```python\n{PLACEHOLDERS['drawn']}```"
    )
    filled, names = fill_stubs(model, [], "model.py", code, "", 64, 1)
    assert names == ["Model.loss"] and "((x - y) ** 2).mean()" in filled
    assert len(model.requests) == 2
    told = model.requests[1].messages[-1].content
    assert "placeholder" in told and "it returns random numbers" in told
    assert model.requests[1].messages[-2].role == "assistant"


def test_an_answer_that_does_not_parse_is_asked_for_again_with_its_error() -> None:
    """adam's predict on the 1.5B model (papers-22): an f-string with quotes inside its braces
    did not parse, and the method stayed empty."""
    code = "class Model:\n    def predict(self, x):\n        pass\n"
    broken = "def predict(self, x):\n    return x @ self.params[f\"w_{self.params[f'h']-1']}\"]\n"
    real = "def predict(self, x):\n    return x @ self.params['w']\n"
    model = FunctionModel(lambda r: real if len(r.messages) > 1 else f"```python\n{broken}```")
    filled, names = fill_stubs(model, [], "model.py", code, "", 64, 1)
    assert names == ["Model.predict"] and "self.params['w']" in filled
    assert len(model.requests) == 2
    told = model.requests[1].messages[-1].content
    assert "not valid Python" in told and "line 2" in told and "`Model.predict`" in told
    # asked again, still broken: the stub stays for the checks to name
    model = FunctionModel(lambda r: f"```python\n{broken}```")
    assert fill_stubs(model, [], "model.py", code, "", 64, 1) == (code, [])
    assert len(model.requests) == 2


def test_the_names_asked_for_last_are_asked_after_the_others() -> None:
    code = (
        "class Model:\n"
        "    def __init__(self, w):\n        raise NotImplementedError\n"
        "    def predict(self, x):\n        pass\n"
        "    def loss(self, x):\n        pass\n"
    )

    def reply(request: ChatRequest) -> str:
        name = request.messages[-1].content.split("Write it: the whole `def ")[1].split("(")[0]
        args = {"__init__": "self, w", "predict": "self, x", "loss": "self, x"}[name]
        body = "self.w = w" if name == "__init__" else "return x * self.w"
        return f"```python\ndef {name}({args}):\n    {body}\n```"

    model = FunctionModel(reply)
    _, filled = fill_stubs(model, [], "model.py", code, "", 64, 3, last=frozenset({"__init__"}))
    assert filled == ["Model.predict", "Model.loss", "Model.__init__"]
    _, filled = fill_stubs(FunctionModel(reply), [], "model.py", code, "", 64, 3)
    assert filled == ["Model.__init__", "Model.predict", "Model.loss"]  # else in file order


def test_a_function_asked_for_afresh_is_shown_without_its_body() -> None:
    """adam (papers-29): asked for its update rule again beside its gradient descent, the
    model wrote the gradient descent again."""
    from papercoder.agents.stubs import Stub, emptied

    code = (
        "class Model:\n"
        "    def step(self, g):\n"
        '        """One update."""\n'
        "        self.w -= 0.1 * g\n"
        "        self.t += 1\n"
        "    def loss(self):\n"
        "        return 0.0\n"
    )
    stub = Stub(name="step", qualname="Model.step", line=2, afresh=True)
    assert emptied(code, stub) == code.replace(
        "        self.w -= 0.1 * g\n        self.t += 1\n", ""
    )
    bare = code.replace('        """One update."""\n', "")
    assert emptied(bare, stub) == bare.replace(
        "        self.w -= 0.1 * g\n        self.t += 1\n", "        ...\n"
    )
    assert emptied("def step(g): return g\n", Stub(name="step", qualname="step", line=1)) == (
        "def step(g): return g\n"
    )
    adam = "def step(self, g):\n    self.m = 0.9 * self.m + g\n    self.w -= self.m\n"
    model = FunctionModel(lambda r: f"```python\n{adam}```")
    filled, names = fill_stubs(
        model,
        [],
        "model.py",
        code,
        "",
        64,
        1,
        targets=lambda c: [stub] if "self.m" not in c else [],
    )
    assert names == ["Model.step"] and "self.m = 0.9" in filled
    shown = model.requests[0].messages[-1].content
    assert '"""One update."""' in shown and "self.w -= 0.1 * g" not in shown
    assert "return 0.0" in shown  # the rest of the file as it is
