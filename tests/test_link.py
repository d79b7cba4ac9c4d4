"""Linking the coded files: the shapes below are what the 1.5B model wrote for real papers."""

from __future__ import annotations

import ast
import runpy
import subprocess
import sys
from pathlib import Path

from papercoder.link import link, merged, with_imports

DATA = '''"""Data."""

import numpy as np


def load_data(n):
    return np.arange(n, dtype=float)


# Test the data loading
def test_data():
    assert load_data(3).shape == (3,)


test_data()
'''
MODEL = """import numpy as np


def step(theta, grad, rate):
    return theta - rate * grad
"""
MAIN = """import numpy as np
import yaml


# Load the data
def load_data(n):
    pass


def step(theta, grad, rate):
    \"\"\"One update.\"\"\"
    raise NotImplementedError


def unused_copy():
    pass


def main():
    config = yaml.safe_load(open("config.yaml"))
    theta = load_data(config["n"])
    print(float(step(theta, np.ones_like(theta), config["rate"]).sum()))


if __name__ == "__main__":
    main()
"""
TRAIN = """def fit(n):
    return load_data(n).sum()
"""
CONFIG = "n: 4\nrate: 0.5\n"
ORDER = ["data.py", "model.py", "train.py", "main.py"]


def files(**extra: str) -> dict[str, str]:
    return {
        "data.py": DATA,
        "model.py": MODEL,
        "main.py": MAIN,
        "train.py": TRAIN,
        "config.yaml": CONFIG,
        **extra,
    }


def test_a_function_defined_again_in_the_entry_point_is_imported_from_its_owner() -> None:
    linked, links = link(files(), ORDER, "main.py")
    main = linked["main.py"]
    assert "def load_data" not in main and "def step" not in main
    assert "# Load the data" not in main  # the comment that introduced the copy went with it
    assert "from data import load_data\nfrom model import step\n" in main
    assert "unused_copy" in main  # defined once: not a copy
    fixes = [link.fix for link in links]
    assert "main.py: dropped its copy of `step`, imported from model.py" in fixes
    assert any("(this copy was a stub)" in link.why for link in links if "`step`" in link.fix)


def test_a_real_body_owns_the_name_over_a_stub_written_first() -> None:
    stub_first = {"data.py": "def load_data(n):\n    pass\n", "main.py": DATA}
    linked, _ = link(stub_first, ["data.py", "main.py"], "app.py")
    assert "def load_data" not in linked["data.py"]
    assert "def load_data(n):\n    return np.arange" in linked["main.py"]


def test_a_copy_the_owner_imports_is_kept_to_avoid_a_cycle() -> None:
    owner = "from main import helper\n\n\ndef load_data(n):\n    return helper(n)\n"
    main = "def load_data(n):\n    pass\n\n\ndef helper(n):\n    return n\n"
    linked, links = link({"data.py": owner, "main.py": main}, ["data.py", "main.py"], "main.py")
    assert linked["main.py"] == main and not links


def test_a_bare_call_at_a_module_s_top_level_runs_only_under_main() -> None:
    linked, links = link(files(), ORDER, "main.py")
    data = linked["data.py"]
    assert data.endswith('\n\n\nif __name__ == "__main__":\n    test_data()\n')
    assert data.count("test_data()") == 2  # the definition and the guarded call
    assert any(link.fix == "data.py: `test_data()` at the top level now runs only under __main__"
               for link in links)  # fmt: skip
    script = "print(1)\nmain_loop()\n"
    linked, _ = link({"run.py": script}, ["run.py"], "run.py")
    assert linked["run.py"] == script  # the entry point is a script: its calls are the program


def test_a_name_used_and_defined_by_one_module_is_imported() -> None:
    linked, links = link(files(), ORDER, "main.py")
    assert linked["train.py"].startswith("from data import load_data\n\ndef fit")
    assert "train.py: added `from data import load_data`" in [link.fix for link in links]


def test_a_name_two_modules_define_is_left_for_thought() -> None:
    a = "import b\n\n\ndef f():\n    return b.g\n"
    b = "import a\n\n\ndef f():\n    return a.f() + 1\n"  # a cycle: each copy stays
    user = "def g():\n    return f()\n"
    linked, _ = link({"a.py": a, "b.py": b, "c.py": user}, ["a.py", "b.py", "c.py"], None)
    assert linked["c.py"] == user


def test_from_config_import_config_reads_the_yaml_at_the_repository_root() -> None:
    test = "import pytest\nfrom config import config\nimport numpy as np\n\n\ndef test_n():\n"
    test += '    assert config["n"] == 4\n'
    linked, links = link(files(**{"tests/test_n.py": test}), ORDER, "main.py")
    text = linked["tests/test_n.py"]
    assert "from config import" not in text
    load = 'config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml")'
    assert load in text
    tree = ast.parse(text)
    kinds = [type(node).__name__ for node in tree.body]
    assert kinds == ["Import", "Import", "Import", "ImportFrom", "Assign", "FunctionDef"]
    assert any("reads config.yaml instead" in link.fix for link in links)
    with_module = files(**{"tests/test_n.py": test, "config.py": "config = {}\n"})
    assert link(with_module, ORDER, "main.py")[0]["tests/test_n.py"] == test


def test_merged_imports_one_line_per_module() -> None:
    lines = ["from m import b", "import numpy as np", "from m import a", "from n import c"]
    assert merged(lines) == ["import numpy as np", "from m import a, b", "from n import c"]


def test_the_linked_program_runs_and_its_tests_pass(tmp_path: Path) -> None:
    """Before linking, `python main.py` printed nothing useful (`step` raised
    NotImplementedError) and importing data.py ran its test; after it, the program runs."""
    test = "from config import config\nfrom train import fit\n\n\ndef test_fit() -> None:\n"
    test += '    assert fit(config["n"]) == 6.0\n'
    linked, _ = link(files(**{"tests/test_fit.py": test}), ORDER, "main.py")
    for path, text in linked.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "main.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "4.0"  # sum(arange(4) - 0.5 * 1)
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert "1 passed" in tests.stdout, tests.stdout + tests.stderr


def test_an_added_name_joins_the_file_s_own_import_of_its_module() -> None:
    source = '"""Doc."""\n\nfrom data import split\nimport numpy as np\n\nx = 1\n'
    joined = with_imports(source, ["from data import make_blobs", "from model import Net"])
    assert joined == (
        '"""Doc."""\n\nfrom data import make_blobs, split\nimport numpy as np\n'
        "from model import Net\n\nx = 1\n"
    )


def write_and_import(
    tmp: Path, files: dict[str, str], module: str
) -> subprocess.CompletedProcess[str]:
    for path, text in files.items():
        (tmp / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp / path).write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=tmp, capture_output=True, text=True
    )


def test_two_files_each_losing_a_copy_to_the_other_never_make_a_cycle(tmp_path: Path) -> None:
    a = "def f():\n    return g()\n\n\ndef g():\n    pass\n"
    b = "def f():\n    pass\n\n\ndef g():\n    return f() or 1\n"
    linked, _ = link({"a.py": a, "b.py": b}, ["a.py", "b.py"], None)
    for module in ("a", "b"):
        run = write_and_import(tmp_path, linked, module)
        assert run.returncode == 0, run.stderr


def test_a_relative_import_counts_in_the_cycle_check(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "from .b import helper\n\n\ndef shared():\n    return helper()\n",
        "pkg/b.py": "def helper():\n    return 1\n\n\ndef shared():\n    pass\n",
    }
    linked, _ = link(files, ["pkg/a.py", "pkg/b.py"], None)
    run = write_and_import(tmp_path, linked, "pkg.a")
    assert run.returncode == 0, run.stderr


def test_files_importing_a_dropped_copy_import_it_from_its_owner(tmp_path: Path) -> None:
    model = "def load_data():\n    return 1\n"
    data = "import math\n\n\ndef load_data():\n    return 2\n\n\ndef scale():\n    return 3\n"
    data += "\n\ndef split():\n    pass\n"
    model += "\n\ndef split():\n    return 0\n"
    train = "from data import load_data, scale, split\n\n\ndef fit():\n"
    train += "    return load_data() + scale() + split()\n"
    aliased = "from data import load_data as load\n\n\ndef fit():\n    return load()\n"
    files = {"model.py": model, "data.py": data, "train.py": train}
    linked, _ = link(files, ["model.py", "data.py", "train.py"], None)
    assert "def load_data" not in linked["data.py"]
    assert linked["train.py"].startswith(
        "from data import scale\nfrom model import load_data, split\n"
    )
    run = write_and_import(tmp_path, linked, "train; assert train.fit() == 4")
    assert run.returncode == 0, run.stderr
    kept, _ = link({**files, "train.py": aliased}, ["model.py", "data.py", "train.py"], None)
    assert "def load_data" in kept["data.py"]  # imported `as`: not rewritten, the copy stays


def test_nothing_is_imported_from_the_entry_point_or_into_a_star_import_file() -> None:
    main = "def helper():\n    return 1\n\n\nmain_loop()\n"
    train = "def fit():\n    return helper()\n"
    star = "from random import *\n\n\ndef pick():\n    return random()\n"
    linked, _ = link({"main.py": main, "train.py": train, "r.py": star}, [], "main.py")
    assert linked["train.py"] == train and linked["r.py"] == star


def test_only_calls_nothing_after_them_needs_are_guarded() -> None:
    source = "ITEMS = []\n\n\ndef fill(items):\n    items.append(1)\n\n\nfill(ITEMS)\n"
    source += "MEAN = sum(ITEMS) / len(ITEMS)\n"
    assert link({"stats.py": source}, [], None)[0]["stats.py"] == source
    shared = "def a():\n    pass\n\n\ndef b():\n    pass\n\n\na(); b()\n"
    assert link({"ab.py": shared}, [], None)[0]["ab.py"] == shared


def test_the_settings_are_read_after_the_last_import() -> None:
    source = "import sys\n\nsys.path.insert(0, '.')\nimport yaml\nfrom config import config\n"
    source += "\nRATE = config['rate']\n"
    linked, _ = link({"run.py": source, "config.yaml": CONFIG}, [], "run.py")
    rows = linked["run.py"].splitlines()
    assert rows.index("import yaml") < next(
        i for i, r in enumerate(rows) if r.startswith("config =")
    )
    assert "from pathlib import Path" in rows
    plain = "import config\n\nRATE = config.rate\n"
    assert link({"x.py": plain, "config.yaml": CONFIG}, [], None)[0]["x.py"] == plain


SETTINGS = """training:
  learning_rate: 0.01  # Section 5 (verified)
  dropout: 0.5  # Section 5 (verified)
model:
  dropout: 0.1  # Section 3 (verified)
paper:
  num_layers: 6  # Section 3.1 (verified)
  ζ: 0.5  # Section 2 (verified)
"""


def test_a_config_key_the_yaml_lacks_becomes_its_one_key_of_that_meaning() -> None:
    main = (
        "import yaml\n\n"
        'config = yaml.safe_load(open("config.yaml"))\n'
        "rate = config['lr']\n"
        "depth = config['model']['layers']  # as the 1.5B model spelt it\n"
        "z = config['training']['ζ'] * 2\n"
        "p = config['training']['dropout_rate']\n"
        "q = config['dropout']\n"
        "r = config['training']['learning_rate']\n"
        "s = config['training']['momentum']\n"
    )
    files, links = link({"config.yaml": SETTINGS, "main.py": main}, ["main.py"], "main.py")
    assert files["main.py"].splitlines()[3:] == [
        "rate = config['training']['learning_rate']",
        "depth = config['paper']['num_layers']  # as the 1.5B model spelt it",
        "z = config['paper']['ζ'] * 2",
        "p = config['training']['dropout']",  # the section the keys name breaks the tie
        "q = config['dropout']",  # two sections have one: left for the repair loop
        "r = config['training']['learning_rate']",  # it exists
        "s = config['training']['momentum']",  # nothing means it
    ]
    assert [k.fix for k in links] == [
        "main.py:4: config['lr'] reads config['training']['learning_rate']",
        "main.py:5: config['model']['layers'] reads config['paper']['num_layers']",
        "main.py:6: config['training']['ζ'] reads config['paper']['ζ']",
        "main.py:7: config['training']['dropout_rate'] reads config['training']['dropout']",
    ]
    assert (
        links[1].why
        == "config.yaml has no model.layers; paper.num_layers is its one key of that meaning"
    )


def test_a_config_key_read_from_a_parameter_or_a_section_is_left_alone() -> None:
    """Only a name every binding of which loads the whole settings is read as them: anything
    else may hold a section, and adding the section's name to its keys would break it."""
    source = (
        "import yaml\n\n"
        "cfg = yaml.safe_load(open('config.yaml'))\n"
        "train_cfg = cfg['training']\n"
        "rate = train_cfg['lr']\n"
        "model_cfg = cfg.get('model', {})\n"
        "units = model_cfg['layers']\n"
        "arch: dict = cfg['model']\n"
        "depth = arch['layers']\n"
        "hparams = {'lr': 0.1}\n"
        "other = hparams['lr']\n\n\n"
        "def fit(config):\n"
        "    return config['lr']\n\n\n"
        "class Net:\n"
        "    def __init__(self, settings):\n"
        "        self.settings = settings\n"
        "        self.rate = self.settings['lr']\n\n\n"
        "conf = yaml.safe_load(open('config.yaml'))\n"
        "conf['lr'] = 0.1  # keys of its own\n"
        "again = conf['lr']\n"
    )
    _left_as_written({"config.yaml": SETTINGS, "train.py": source}, "train.py")


def test_a_config_key_in_an_f_string_keeps_its_quotes_and_lines_count_as_ast_does() -> None:
    main = (
        "import yaml\n\n"
        "config = yaml.safe_load(open('config.yaml'))  # \x0c a form feed\n"
        "print(f\"lr={config['lr']}\")\n"
        "depth: int = config['layers']\n"
    )
    files, links = link({"config.yaml": SETTINGS, "main.py": main}, ["main.py"], "main.py")
    assert files["main.py"].split("\n")[3:5] == [
        "print(f\"lr={config['training']['learning_rate']}\")",
        "depth: int = config['paper']['num_layers']",
    ]
    assert len(links) == 2
    ast.parse(files["main.py"])


def test_config_keys_need_a_config_yaml_that_parses() -> None:
    main = "config = {}\nx = config['lr']\n"
    for settings in ({}, {"config.yaml": "a: [unclosed\n"}, {"config.yaml": "- a list\n"}):
        files, links = link({**settings, "main.py": main}, ["main.py"], "main.py")
        assert files["main.py"] == main and links == []


def test_from_config_import_a_section_binds_that_part_of_the_settings(tmp_path: Path) -> None:
    """distillation's train.py did `from config import training` beside a config.yaml."""
    settings = "training:\n  rate: 0.5  # Section 2 (verified)\nmodel:\n  units: 8\n"
    train = (
        "from config import training, model as arch\n\n\nRATE = training['rate'] * arch['units']\n"
    )
    unknown = "from config import optimiser\n"
    linked, links = link(
        {"config.yaml": settings, "train.py": train, "opt.py": unknown}, ["train.py"], None
    )
    assert linked["opt.py"] == unknown  # not a section: the import stays and fails
    assert [k.path for k in links] == ["train.py"]
    text = linked["train.py"]
    assert 'training = config["training"]\narch = config["model"]\n' in text
    (tmp_path / "config.yaml").write_text(settings, "utf-8")
    (tmp_path / "train.py").write_text(text, "utf-8")
    run = subprocess.run(
        [sys.executable, "-c", "import train; print(train.RATE)"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.stdout.strip() == "4.0", run.stderr


def test_a_name_imported_from_a_module_without_it_comes_from_the_one_that_has_it() -> None:
    """distillation's test imported data.py's and model.py's functions from main.py."""
    repo = {
        "data.py": "def load_data():\n    return [1, 2]\n",
        "model.py": "from data import load_data\n\n\nclass Net:\n    pass\n\n\ndef fit():\n"
        "    return load_data()\n",
        "main.py": "from model import Net\n\n\ndef build_model():\n    return Net()\n",
        "tests/test_model.py": "from main import build_model, load_data\nfrom data import Net\n"
        "from data import nowhere\nfrom data import load_data as ld\n",
    }
    order = ["data.py", "model.py", "main.py", "tests/test_model.py"]
    linked, links = link(repo, order, "main.py")
    assert linked["tests/test_model.py"].splitlines() == [
        "from main import build_model",
        "from data import load_data as ld",
        "from data import load_data",
        "from model import Net",
    ]
    assert [k.fix for k in links] == [
        "tests/test_model.py: imports `load_data` from data.py, not main.py",
        "tests/test_model.py: imports `Net` from model.py, not data.py",
        # no module defines it and nothing uses it: importing it only failed
        "tests/test_model.py: dropped the import of `nowhere` from data.py",
    ]
    assert links[1].why == "data.py does not define Net; model.py does"
    # never into a cycle: data.py importing Net from model.py, which imports data.py
    cyclic = {**repo, "data.py": repo["data.py"] + "from main import Net\n"}
    assert link(cyclic, order, "main.py")[0]["data.py"] == cyclic["data.py"]


def test_a_call_that_cannot_bind_to_its_one_definition_is_made_to() -> None:
    """gcn's main.py passed five arguments to `def train_model()`; distillation's test passed
    keywords train_model never had."""
    train = (
        "def train_model():\n    return 1\n\n\n"
        "def evaluate(model, data, *, verbose=False):\n    return 2\n\n\n"
        "def fit(model, x, y, cfg):\n    return 3\n\n\n"
        "class Net:\n    def __init__(self, units):\n        self.units = units\n"
    )
    main = (
        "from train import Net, evaluate, fit, train_model\n\n\n"
        "def main(config, x, y):\n"
        "    cfg = config\n"
        "    net = Net(8, 0.5)\n"
        "    train_model(net, x, config['epochs'])\n"
        "    evaluate(net, x, verbose=True, temperature=2)\n"
        "    fit(net, x, cfg)\n"
        "    fit(net, x, y, cfg)\n"
        "    fit(*[net, x])\n"
        "    net.fit(x)\n"
        "    return evaluate(net, x)\n"
    )
    linked, links = link({"train.py": train, "main.py": main}, ["train.py", "main.py"], "main.py")
    assert linked["main.py"].splitlines()[5:] == [
        "    net = Net(8)",
        "    train_model()",
        "    evaluate(net, x, verbose=True)",
        "    fit(net, x, y, cfg)",  # filled from the caller's variable named like the parameter
        "    fit(net, x, y, cfg)",
        "    fit(*[net, x])",  # a starred argument could be anything
        "    net.fit(x)",  # a method of some object: not read here
        "    return evaluate(net, x)",
    ]
    assert [k.fix for k in links] == [
        "main.py:6: `Net(8, 0.5)` is now `Net(8)`",
        "main.py:7: `train_model(net, x, config['epochs'])` is now `train_model()`",
        "main.py:8: `evaluate(net, x, verbose=True, temperature=2)` is now"
        " `evaluate(net, x, verbose=True)`",
        "main.py:9: `fit(net, x, cfg)` is now `fit(net, x, y, cfg)`",
    ]
    assert links[1].why == "train_model takes (): the call raised TypeError"
    assert links[0].why == "Net takes (self, units): the call raised TypeError"
    # two definitions of a name: which one is called takes thought
    # (train.py importing other.py keeps other.py's copy: dropping it would make a cycle)
    other = {"other.py": "def train_model(model):\n    return 0\n"}
    both = {"train.py": "import other\n\n\n" + train, "main.py": main, **other}
    again, _ = link(both, ["train.py", "main.py"], None)
    assert "    train_model(net, x, config['epochs'])\n" in again["main.py"]


def test_the_functions_a_module_calls_and_nothing_binds_are_read_from_their_first_call() -> None:
    from papercoder.link import called_undefined, with_functions

    source = (
        "import numpy as np\n\n\n"
        "def train(model, data):\n"
        "    out = model.fit(data)\n"
        "    save_model(model, path=out)\n"
        "    save_model(model)\n"
        "    report(np.zeros(2), 3, model, model)\n"
        "    spread(*data)\n"
        "    return Helper(model), print(model)\n"
    )
    missing = called_undefined(source)
    # a capitalised name is a class to import, a starred call tells no parameters
    assert missing == [
        ("save_model", ["model", "path"]),
        ("report", ["arg0", "arg1", "model", "arg3"]),
    ]
    stubbed = with_functions(source, missing)
    assert stubbed.startswith(
        "import numpy as np\n\n\n"
        "def save_model(model, path):\n    raise NotImplementedError\n\n\n"
        "def report(arg0, arg1, model, arg3):\n    raise NotImplementedError\n\n\n"
        "def train(model, data):\n"
    )
    assert called_undefined("def broken(:\n") == []


def test_a_config_key_of_another_meaning_is_not_read_as_a_near_name() -> None:
    """head_dim is not heads, total_steps is not warmup_steps, lr_decay is not weight_decay."""
    settings = "paper:\n  heads: 8\n  warmup_steps: 4000\n  weight_decay: 0.0005\n"
    main = (
        "import yaml\n\n"
        "config = yaml.safe_load(open('config.yaml'))\n"
        "a = config['model']['head_dim']\n"
        "b = config['training']['total_steps']\n"
        "c = config['training']['lr_decay']\n"
    )
    _left_as_written({"config.yaml": settings, "main.py": main}, "main.py")


def _left_as_written(files: dict[str, str], path: str) -> None:
    linked, links = link(files, [path], "main.py")
    assert linked[path] == files[path] and links == []


# gcn's model.py and train.py as the 1.5B model wrote them, cut down
GCN_MODEL = """import numpy as np


class GCN:
    def __init__(self, hidden):
        self.hidden = hidden
        self.loss_fn = None

    def forward_pass(self, x):
        return x
"""


def test_methods_called_on_a_repository_class_that_lacks_them_are_found() -> None:
    from papercoder.link import missing_methods, with_methods

    train = (
        "from model import GCN\n\n\n"
        "def train(data):\n"
        "    model = GCN(16)\n"
        "    out = model.forward_pass(data)\n"
        "    model.update_weights(out.grads, lr=0.01)\n"
        "    model.loss_fn(out)\n"  # an attribute set in __init__: it may hold a callable
        "    model.save_model()\n"
    )
    files = {"model.py": GCN_MODEL, "train.py": train}
    found = missing_methods(files)
    assert found == {
        "model.py": [
            ("GCN", "update_weights", ["self", "grads", "lr"]),
            ("GCN", "save_model", ["self"]),
        ]
    }
    written = with_methods(GCN_MODEL, found["model.py"])
    assert written.startswith(GCN_MODEL)
    assert written.endswith(
        "\n    def update_weights(self, grads, lr):\n        raise NotImplementedError\n"
        "\n    def save_model(self):\n        raise NotImplementedError\n"
    )
    ast.parse(written)


def test_a_method_call_is_not_read_as_missing_where_the_class_could_have_it() -> None:
    from papercoder.link import missing_methods

    model = GCN_MODEL + (
        "\n\nclass Net(nn.Module):\n    pass\n"  # torch's methods: no file shows them
        "\n\nclass Lazy:\n    def __getattr__(self, name):\n        return print\n"
        "\n\nclass Child(GCN):\n    pass\n"
    )
    train = (
        "from model import GCN, Net, Lazy, Child\n\n\n"
        "def fit(model):\n    model.update_weights()\n\n\n"  # a parameter: anything
        "def again():\n    model = GCN(1)\n    model = make()\n    model.update_weights()\n\n\n"
        "def loop():\n    for model in [GCN(1)]:\n        model.update_weights()\n\n\n"
        "def other():\n    net = Net()\n    net.parameters()\n    lazy = Lazy()\n    lazy.run()\n"
        "    child = Child(2)\n    child.forward_pass(1)\n"
    )
    assert missing_methods({"model.py": model, "train.py": train}) == {}
    inherited = train + "    child.update_weights()\n"
    assert missing_methods({"model.py": model, "train.py": inherited}) == {
        "model.py": [("Child", "update_weights", ["self"])]
    }


def test_a_settings_loader_imported_from_a_config_module_that_does_not_exist_reads_config_yaml(
    tmp_path: Path,
) -> None:
    """gcn's main.py from the 1.5B model: `from config import load_config` beside config.yaml
    and no config.py; pip's unrelated `config` package answered the import."""
    from papercoder.requirements import missing_requirements

    main = (
        "from config import load_config\n\n\n"
        "def main():\n"
        "    config = load_config('config.yaml')\n"
        "    return config['training']['epochs']\n"
    )
    settings = "training:\n  epochs: 200\n"
    files = {"config.yaml": settings, "main.py": main, "requirements.txt": "numpy\n"}
    assert missing_requirements(files) == [], "config beside config.yaml is not a package"
    linked, links = link(files, ["main.py"], "main.py")
    assert [k.fix for k in links] == [
        "main.py: `from config import load_config` reads config.yaml instead"
    ]
    assert "from config import" not in linked["main.py"] and "\nconfig =" not in linked["main.py"]
    (tmp_path / "config.yaml").write_text(settings, encoding="utf-8")
    (tmp_path / "main.py").write_text(linked["main.py"], encoding="utf-8")
    namespace = runpy.run_path(str(tmp_path / "main.py"))
    assert namespace["main"]() == 200
    other = "from config import get_device\n\n\ndevice = get_device()\n"  # not a settings loader
    assert link({"config.yaml": settings, "m.py": other}, ["m.py"], None)[1] == []


def test_the_settings_imported_as_a_module_path_to_config_yaml_read_the_file(
    tmp_path: Path,
) -> None:
    """gcn's tests/test_data.py from the 1.5B model: `from tests.config.yaml import smoke`."""
    test = "from tests.config.yaml import smoke\n\n\ndef test_size():\n    assert smoke['n'] == 3\n"
    settings = "smoke:\n  n: 3\n"
    linked, _ = link({"config.yaml": settings, "tests/test_data.py": test}, [], "main.py")
    (tmp_path / "tests").mkdir()
    (tmp_path / "config.yaml").write_text(settings, encoding="utf-8")
    (tmp_path / "tests" / "test_data.py").write_text(linked["tests/test_data.py"], "utf-8")
    runpy.run_path(str(tmp_path / "tests" / "test_data.py"))["test_size"]()
    assert "tests.config" not in linked["tests/test_data.py"]


def test_an_unused_import_of_a_name_no_module_defines_is_dropped() -> None:
    """gcn's tests/test_model.py: `from model import TestModel, build_model`; model.py has no
    TestModel and the test never uses it, so importing it only failed collection."""
    model = "def build_model(layers):\n    return [0] * layers\n"
    test = (
        "from model import TestModel, build_model, Missing\n\n\n"
        "def test_build():\n    assert len(build_model(2)) == 2\n    Missing()\n"
    )
    linked, links = link({"model.py": model, "tests/test_model.py": test}, ["model.py"], "main.py")
    assert linked["tests/test_model.py"].startswith("from model import build_model, Missing\n")
    assert [k.fix for k in links] == [
        "tests/test_model.py: dropped the import of `TestModel` from model.py"
    ]  # Missing is used: the checks name it


def test_only_an_instance_of_the_repositorys_own_class_is_read_as_one() -> None:
    """torch's optim.Adam is no repository Adam; a test's own fake GCN is not model.py's."""
    from papercoder.link import missing_methods, with_methods

    files = {
        "optim.py": "class Adam:\n    def step(self):\n        return 1\n",
        "model.py": GCN_MODEL,
        "train.py": "import torch\n\n\ndef fit(p):\n    opt = torch.optim.Adam(p)\n"
        "    opt.zero_grad()\n",
        "tests/test_model.py": "class GCN:\n    def fake(self):\n        return 0\n\n\n"
        "def test_fake():\n    model = GCN()\n    model.fake()\n    model.other()\n",
    }
    assert missing_methods(files) == {}
    one_line = "class A: pass\n"
    assert with_methods(one_line, [("A", "go", ["self"])]) == one_line  # no body to follow
    params = missing_methods(
        {
            "m.py": "class A:\n    x = 1\n",
            "t.py": ("from m import A\n\n\ndef t(arg1):\n    a = A()\n    a.go(arg1, 5)\n"),
        }
    )["m.py"][0][2]
    assert params == ["self", "arg1", "arg2"], "no name twice"


def test_an_unused_import_of_a_submodule_is_kept() -> None:
    files = {
        "models/__init__.py": "",
        "models/gcn.py": "def layer():\n    return 1\n",
        "main.py": "from models import gcn  # registers the layers\n\n\nprint(1)\n",
    }
    linked, links = link(files, ["models/gcn.py", "main.py"], "main.py")
    assert linked["main.py"] == files["main.py"] and links == []


def test_a_package_named_like_another_yaml_file_is_still_a_requirement() -> None:
    from papercoder.requirements import missing_requirements

    files = {"datasets.yaml": "a: 1\n", "config.yaml": "b: 2\n", "data.py": "import datasets\n"}
    assert missing_requirements(files) == ["datasets"]


def test_a_method_called_on_self_that_the_class_lacks_is_found() -> None:
    """adam's Model.loss, written alone, called a `self.softmax` no method of Model wrote."""
    from papercoder.link import missing_methods, with_methods

    model = (
        "class Model:\n"
        "    scale = 2\n"
        "    def __init__(self):\n        self.act = abs\n"
        "    def loss(self, x):\n        return self.softmax(self.predict(x)) + self.act(x)\n"
        "    def step(me, x):\n        return run(lambda: me.clip(x, low=0))\n"
        "    @staticmethod\n    def helper(self):\n        return self.other()\n"
        "    def predict(self, x):\n        def inner(self):\n            return self.gone()\n"
        "        return x * self.scale\n"
    )
    found = missing_methods({"model.py": model})
    assert found == {
        "model.py": [
            ("Model", "softmax", ["self", "arg0"]),
            ("Model", "clip", ["self", "x", "low"]),
        ]
    }
    ast.parse(with_methods(model, found["model.py"]))
    based = model.replace("class Model:", "class Model(Base):")  # Base may define them
    assert missing_methods({"model.py": based}) == {}


def test_attributes_read_on_self_that_no_method_sets_are_found() -> None:
    """adam's step kept its moments in `self.m` and `self.v` and counted in `self.t`;
    __init__, written apart from it, set none of them."""
    from papercoder.link import unset_attributes, unset_in_init

    model = (
        "class Model:\n"
        "    rate = 0.1\n"
        "    def __init__(self, n):\n"
        "        self.params, (self.a, self.b) = {}, (1, 2)\n"
        "        self.n: int = n\n"
        "    def step(self, g):\n"
        "        self.t += 1\n"
        "        self.m['w'] = self.m['w'] * self.rate + g + self.a\n"
        "        for self.i in range(self.n):\n            self.v = self.v + self.go(g)\n"
        "    def go(self, g):\n        return self.missing_too\n"
        "    def count(self):\n        self.calls = self.n + 1\n        return self.calls\n"
        "    @classmethod\n    def make(cls):\n        return cls.other\n"
    )
    assert unset_attributes(model) == [("Model", ["t", "m", "v", "missing_too"])]
    [stub] = unset_in_init(model)
    assert (stub.qualname, stub.line) == ("Model.__init__", 3)
    assert stub.why.startswith("does not set self.t, self.m, self.v, self.missing_too,")
    for unsure in (
        model.replace("class Model:", "class Model(Base):"),  # a base may set them
        model.replace("    rate = 0.1\n", "    __slots__ = ()\n"),
        model.replace("self.n: int = n", "setattr(self, 'n', n)"),
        model + "    def __getattr__(self, name):\n        return 0\n",
    ):
        assert unset_attributes(unsure) == []
    no_init = "class A:\n    def f(self):\n        return self.x\n"
    assert unset_attributes(no_init) == [("A", ["x"])] and unset_in_init(no_init) == []
    assert unset_attributes("class A:\n    def f(self):\n        self.x = 1\n") == []


ADAM_INIT = (
    "import numpy as np\n\n\n"
    "class Model:\n"
    "    def __init__(self, config, n):\n"
    "        self.params = {'w': rng.normal(size=(n, 3)) * scale}\n"
    "        self.rate = config['lr']\n"
    "    def step(self, g):\n"
    "        self.t += 1\n"
    "        self.params['w'] -= self.rate * g * self.config['beta1']\n"
    "        return helper(g)\n"
)


def test_a_function_reading_names_nothing_defines_is_asked_for_again() -> None:
    """adam's __init__ (papers-18) drew its weights from an `rng` it never made; step read
    `self.config` and `self.t`, which __init__ never set: one question for __init__ says all
    three, counted, and a name only called is left to the functions asked for as called."""
    from papercoder.link import undefined_reads, unfinished

    [reads] = undefined_reads(ADAM_INIT)
    assert (reads.qualname, reads.faults) == ("Model.__init__", 2)
    assert reads.why == "reads `rng`, `scale`, which nothing defines; define each before it is used"
    [stub] = unfinished(ADAM_INIT)
    assert (stub.qualname, stub.line, stub.faults) == ("Model.__init__", 5, 4)
    assert stub.why.startswith("does not set self.t, self.config, which")
    assert stub.why.endswith(
        "; and it reads `rng`, `scale`, which nothing defines; define each before it is used"
    )
    defined = ADAM_INIT.replace(
        "import numpy as np\n", "import numpy as np\nrng = np.random.default_rng(0)\nscale = 0.1\n"
    )
    assert undefined_reads(defined) == []
    assert undefined_reads("from x import *\n\ndef f():\n    return rng\n") == []
    assert undefined_reads("def f():\n    return rng.normal()\n")[0].why.startswith("reads `rng`")


def test_a_function_several_findings_name_is_asked_afresh_with_the_body_one_shows() -> None:
    """gcn's predict (papers-48) read a `W1` nothing defined and left self.params["w1"]
    unread: told both beside its own body, it came back as it was; the start of a body the
    second finding shows is what it is asked to go on from."""
    from papercoder.agents.stubs import Stub
    from papercoder.link import unfinished

    def shown(_: str) -> list[Stub]:
        start = 'w1 = self.params["w1"]\n'
        return [Stub(name="__init__", qualname="Model.__init__", line=5, why="x", shown=start)]

    [stub] = unfinished(ADAM_INIT, shown)
    assert stub.afresh and stub.shown == 'w1 = self.params["w1"]\n' and stub.faults == 5
    assert stub.why.startswith("does not set self.t") and stub.why.endswith("; and it x")
    [plain] = unfinished(ADAM_INIT)
    assert not plain.afresh and not plain.shown


def test_an_answer_that_leaves_fewer_faults_is_taken_and_one_with_as_many_is_not() -> None:
    """Asked for adam's __init__ again, the 1.5B model set self.t and not self.config; the
    answer was thrown away whole, and the unset self.t failed the checks too."""
    from papercoder.agents.stubs import fill_stubs
    from papercoder.link import unfinished
    from papercoder.testing import FunctionModel

    better = (
        "def __init__(self, config, n):\n"
        "    rng = np.random.default_rng(0)\n"
        "    self.params = {'w': rng.normal(size=(n, 3)) * 0.1}\n"
        "    self.rate = config['lr']\n"
        "    self.t = 0\n"
    )
    same = "def __init__(self, config, n):\n    self.params = {'w': rng.normal(size=(n, 3))}\n"
    for answer, taken in ((better, True), (same, False)):
        model = FunctionModel(lambda _, code=answer: f"```python\n{code}```")
        code, filled = fill_stubs(model, [], "model.py", ADAM_INIT, "", 512, 1, targets=unfinished)
        assert (filled == ["Model.__init__"]) is taken
        assert ("self.t = 0" in code) is taken
        if taken:
            [left] = unfinished(code)
            assert left.faults == 1 and "self.config" in left.why
