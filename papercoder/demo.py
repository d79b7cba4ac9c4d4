"""`papercoder demo`: the whole pipeline on the bundled fixture paper, with a scripted model.

The scripted replies (fixtures/scripted/demo.yaml) make a first draft with real bugs — a
wrong import, a gradient that fails its test, a shape error only the smoke run hits — that
the real checks catch in the real sandbox, and repairs that fix them over two iterations.
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from papercoder.resources import data_dir
from papercoder.testing import ScriptedServer, load_script

BANNER = (
    "papercoder demo: the model here is SCRIPTED — its replies are fixed files under "
    "fixtures/scripted/, not a real LLM. The sandbox, the checks and the repair loop are real."
)


def make_fixture_paper(path: Path) -> Path:
    """Generate the fixture paper PDF with fixtures/paper/make_paper.py."""
    script = data_dir("fixtures") / "paper" / "make_paper.py"
    spec = importlib.util.spec_from_file_location("papercoder_fixture_paper", script)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built: Path = module.build(path)
    return built


@contextmanager
def scripted_model() -> Iterator[str]:
    """The base URL of a scripted server with the demo's replies (its reviews too)."""
    script = load_script(data_dir("fixtures") / "scripted" / "demo.yaml")
    with ScriptedServer(script) as server:
        yield server.base_url


@contextmanager
def scripted_demo(workdir: Path) -> Iterator[tuple[Path, str]]:
    """The fixture paper and the base URL of a scripted server answering for it."""
    paper = make_fixture_paper(workdir / "tiny-residual-mlps.pdf")
    with scripted_model() as base_url:
        yield paper, base_url


@contextmanager
def demo_endpoint() -> Iterator[tuple[Path, dict[str, object]]]:
    """The fixture paper, and the settings that point at a scripted server answering for it,
    for as long as the context lasts."""
    with (
        tempfile.TemporaryDirectory(prefix="papercoder-demo-") as tmp,
        scripted_demo(Path(tmp)) as (paper, base_url),
    ):
        yield paper, {"base_url": base_url, "model": "scripted"}
