"""What a repo declares it needs, read from the standard places without running its code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papercoder.errors import InputError
from papercoder.sandbox import requirements as rq


def repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_requirements_txt_with_includes_and_the_project_itself(tmp_path: Path) -> None:
    found = rq.declared(
        repo(
            tmp_path,
            {
                "requirements.txt": "numpy>=1.20  # arrays\n-r requirements/base.txt\n-e .\n",
                "requirements/base.txt": "scipy\nnumpy>=1.20\n",
                "requirements-dev.txt": "black\n",
            },
        )
    )
    assert found.lines == ["scipy", "numpy>=1.20"]
    assert found.sources == ["requirements/base.txt", "requirements.txt"]
    assert found.bad is None


def test_without_requirements_txt_every_requirements_file_counts(tmp_path: Path) -> None:
    found = rq.declared(repo(tmp_path, {"requirements-cpu.txt": "numpy\n", "req.txt": "x\n"}))
    assert found.lines == ["numpy"] and found.sources == ["requirements-cpu.txt"]


@pytest.mark.parametrize(
    "line", ["--index-url https://example.org/simple", "git+https://example.org/x.git", "-r ../x"]
)
def test_lines_that_need_a_network_or_leave_the_repo_are_refused(tmp_path: Path, line: str) -> None:
    found = rq.declared(repo(tmp_path, {"requirements.txt": f"numpy\n{line}\n"}))
    assert (found.bad, found.bad_source) == (line, "requirements.txt")


def test_pyproject_and_setup_cfg(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "x"\ndependencies = ["torch>=2", "numpy"]\n',
        "setup.cfg": "[options]\ninstall_requires =\n    scipy\n    numpy\n",
    }
    found = rq.declared(repo(tmp_path, files))
    assert found.lines == ["torch>=2", "numpy", "scipy"]
    assert found.sources == ["pyproject.toml", "setup.cfg"]
    assert not rq.metadata_needed(tmp_path)


def test_dynamic_dependencies_leave_it_to_setup_py(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "x"\ndynamic = ["dependencies"]\n',
        "setup.py": "from setuptools import setup\nsetup(install_requires=['numpy'])\n",
    }
    root = repo(tmp_path, files)
    assert rq.declared(root).lines == [] and rq.metadata_needed(root)


def test_bad_pyproject_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not valid TOML"):
        rq.declared(repo(tmp_path, {"pyproject.toml": "[project\n"}))


def test_pip_report_without_extras() -> None:
    report = {
        "install": [
            {
                "metadata": {
                    "requires_dist": [
                        "numpy>=1.20",
                        "scipy; python_version >= '3.8'",
                        "pytest; extra == 'test'",
                    ]
                }
            }
        ]
    }
    assert rq.from_pip_report(json.dumps(report)) == [
        "numpy>=1.20",
        'scipy; python_version >= "3.8"',
    ]
    assert rq.from_pip_report("") is None


def test_setup_py_literal_lists(tmp_path: Path) -> None:
    direct = (
        "import torch\nfrom setuptools import setup\nsetup(install_requires=['numpy', 'scipy'])\n"
    )
    assert rq.from_setup_py(repo(tmp_path / "a", {"setup.py": direct})) == ["numpy", "scipy"]
    named = (
        "from setuptools import setup\nREQS = ('numpy',)\nsetup(name='x', install_requires=REQS)\n"
    )
    assert rq.from_setup_py(repo(tmp_path / "b", {"setup.py": named})) == ["numpy"]
    computed = "from setuptools import setup\nsetup(install_requires=open('r').read().split())\n"
    assert rq.from_setup_py(repo(tmp_path / "c", {"setup.py": computed})) == []
