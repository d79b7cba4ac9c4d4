"""The sandbox image's tag covers everything the image is built from."""

from __future__ import annotations

import re

from papercoder.sandbox.images import SANDBOX_FILES
from tests.conftest import REPO


def test_every_file_the_dockerfile_copies_changes_the_tag() -> None:
    """A file copied into the image but not hashed would leave a stale image in use."""
    dockerfile = (REPO / "sandbox" / "Dockerfile").read_text("utf-8")
    copied = set()
    for sources in re.findall(r"^COPY\s+(.+)\s+\S+$", dockerfile, re.M):
        copied.update(sources.split())
    copied.discard("wheels")  # fetched by the host's pip from tools.txt, which is hashed
    assert {"runner.py", "sitecustomize.py"} <= copied
    assert copied | {"Dockerfile"} == set(SANDBOX_FILES)
