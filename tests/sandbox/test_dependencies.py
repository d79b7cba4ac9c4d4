"""Real Docker: a repo shaped like a published one gets the dependencies it declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from papercoder.sandbox.docker import DockerSandbox
from papercoder.verify.checks import Timeouts, Verifier
from tests.sandbox.repos import write
from tests.sandbox.test_docker import leftover_containers

pytestmark = pytest.mark.docker

# the authors' layout: a package folder, setup.py, no requirements.txt, no tests
PUBLISHED = {
    "pygcn/__init__.py": "from .models import GCN\n",
    "pygcn/models.py": (
        "import numpy as np\nimport numpy.linalg\n\n\nclass GCN:\n"
        "    def __init__(self, n: int) -> None:\n        self.weight = np.ones((n, n))\n\n"
        "    def forward(self, x: np.ndarray) -> np.ndarray:\n"
        "        return numpy.linalg.norm(x) * (x @ self.weight)\n"
    ),
    "pygcn/train.py": (
        "import numpy as np\n\nfrom pygcn.models import GCN\n\n"
        "print('loss', float(GCN(3).forward(np.ones((2, 3))).sum()))\n"
    ),
}
SETUP_PY = {
    "literal": "from setuptools import find_packages, setup\n\n"
    "setup(name='pygcn', version='0.1', install_requires=['numpy'],"
    " packages=find_packages())\n",
    "computed": "from pathlib import Path\n\nfrom setuptools import setup\n\n"
    "needs = Path(__file__).with_name('deps.in').read_text().split()\n"
    "setup(name='pygcn', version='0.1', install_requires=needs, packages=['pygcn'])\n",
    # pip cannot read this one (an import of a dependency before it is installed): the literal
    "imports-a-dependency": "import numpy\nfrom setuptools import setup\n\n"
    "setup(name='pygcn', version='0.1', install_requires=['numpy'], packages=['pygcn'])\n",
}


@pytest.mark.parametrize("setup_py", SETUP_PY.values(), ids=SETUP_PY.keys())
def test_setup_py_dependencies_are_installed(tmp_path: Path, setup_py: str) -> None:
    files = {**PUBLISHED, "setup.py": setup_py, "deps.in": "numpy\n"}
    repo = write(tmp_path / "repo", files, base={})
    box = DockerSandbox()
    try:
        verifier = Verifier(
            box, tmp_path / "logs", Timeouts.uniform(120), smoke="python -m pygcn.train"
        )
        report = verifier.verify(repo)
    finally:
        box.close()
    assert leftover_containers() == []
    by_name = {c.name: c for c in report.checks}
    assert by_name["install"].status == "pass", by_name["install"].summary
    install_log = Path(by_name["install"].log or "").read_text("utf-8")
    assert "dependencies declared in setup.py" in install_log
    types = by_name["types"]
    assert types.status == "pass", [d.message for d in types.diagnostics]
    assert by_name["tests"].status == "skipped" and "no test files" in by_name["tests"].summary
    assert by_name["smoke"].status == "pass"
    assert "loss 44.09" in Path(by_name["smoke"].log or "").read_text("utf-8")
