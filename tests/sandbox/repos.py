"""Small repositories written in code for the sandbox tests."""

from __future__ import annotations

from pathlib import Path

CLEAN = {
    "model.py": "def double(x):\n    return 2 * x\n",
    "main.py": (
        "import sys\n\nfrom model import double\n\n\n"
        "def main(argv):\n    print('result', double(21))\n    return 0\n\n\n"
        "if __name__ == '__main__':\n    sys.exit(main(sys.argv[1:]))\n"
    ),
    "tests/test_model.py": (
        "from model import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
    ),
}


def write(root: Path, files: dict[str, str], base: dict[str, str] | None = None) -> Path:
    for name, text in {**(base if base is not None else CLEAN), **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
