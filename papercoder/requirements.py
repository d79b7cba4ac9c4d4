"""What a repository imports from outside itself, as pip requirements (pure functions).

A model writes `import yaml` and forgets `pyyaml` in requirements.txt; a tool can see that.
"""

from __future__ import annotations

import ast
import sys

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from papercoder.repo import parsed

# import names whose pip name differs
PIP_NAMES = {
    "yaml": "pyyaml",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
}
NOT_ON_PYPI = {"__future__", "pytest", "_pytest"}  # the sandbox brings pytest itself


def pip_name(module: str) -> str:
    top = module.split(".")[0]
    return PIP_NAMES.get(top, top)


def third_party_imports(files: dict[str, str]) -> set[str]:
    """Top-level modules the repository's Python files import that are neither its own nor
    the standard library's."""
    local = {path.split("/")[0].removesuffix(".py") for path in files if path.endswith(".py")}
    # `import config` beside config.yaml means the settings (a wrong import the linker or
    # the checks answer), never the unrelated PyPI package of that name (`import datasets`
    # beside datasets.yaml still means the package)
    local |= {"config"} & {p.rsplit(".", 1)[0] for p in files if p in ("config.yaml", "config.yml")}
    found: set[str] = set()
    for _, tree in parsed(files):
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in local and m not in sys.stdlib_module_names} - NOT_ON_PYPI


def missing_requirements(files: dict[str, str]) -> list[str]:
    """The pip names of imported packages that requirements.txt does not list."""
    listed = set()
    for line in files.get("requirements.txt", "").splitlines():
        text = line.split("#")[0].strip()
        if not text or text.startswith("-"):
            continue
        try:
            listed.add(canonicalize_name(Requirement(text).name))
        except InvalidRequirement:
            continue
    wanted = {pip_name(m) for m in third_party_imports(files)}
    return sorted(n for n in wanted if canonicalize_name(n) not in listed)


def with_requirements(text: str, added: list[str]) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join([*lines, *added]) + "\n"
