"""What the repair loop achieves with a real small model, against a one-shot baseline.

Eight small broken repositories, one per fault kind, each verified and repaired with the
local Qwen2.5-Coder-1.5B model under the default budget; and, side by side, a one-shot
baseline on the same repos: one repair call from the raw error log (no digest, no loop),
its edits applied, one verification. Prints per repo fixed or not, iterations, tokens and
seconds, then the fix rates and the median iterations to green.

    .venv/bin/python benchmarks/efficacy.py
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

from papercoder.agents.planner import system_message
from papercoder.agents.repairer import repair_prompt
from papercoder.llm.client import ChatRequest, Message, OpenAIChatModel
from papercoder.local import LocalServer
from papercoder.repair.digest import read_repo
from papercoder.repair.loop import run_repair
from papercoder.repair.patch import apply_edits, parse_edits
from papercoder.repo import write_file
from papercoder.runstore import RunStore
from papercoder.sandbox.docker import DockerSandbox
from papercoder.settings import Settings
from papercoder.verify.checks import Verifier

ROOT = Path(__file__).resolve().parent.parent
BASE = {
    "model.py": "def double(x):\n    return 2 * x\n",
    "main.py": "from model import double\n\n\ndef run():\n    return double(21)\n\n\n"
    "if __name__ == '__main__':\n    print(run())\n",
    "tests/test_model.py": "from model import double\n\n\ndef test_double():\n"
    "    assert double(2) == 4\n",
}
FAULTS: dict[str, dict[str, str]] = {
    "syntax error": {"model.py": "def double(x)\n    return 2 * x\n"},
    "undefined name": {"main.py": BASE["main.py"].replace("double(21)", "double(totl)")},
    "wrong attribute across modules": {
        "main.py": "import model\n\n\ndef run():\n    return model.triple(21)\n\n\n"
        "if __name__ == '__main__':\n    print(run())\n"
    },
    "wrong call signature": {"main.py": BASE["main.py"].replace("double(21)", "double(21, 2)")},
    "failing test": {"model.py": "def double(x):\n    return 3 * x\n"},
    "length error in smoke": {
        "main.py": "from model import double\n\n\ndef run():\n    values = [1, 2, 3]\n"
        "    weights = [0.5, 0.5]\n    return sum(double(v) * w for v, w in "
        "zip(values, weights, strict=True))\n\n\nif __name__ == '__main__':\n"
        "    print(run())\n"
    },
    "missing dependency": {
        "main.py": "import yaml\n\nfrom model import double\n\n\ndef run():\n"
        "    return double(yaml.safe_load('21'))\n\n\nif __name__ == '__main__':\n"
        "    print(run())\n",
        "requirements.txt": "\n",
    },
    "wrong config key": {
        "config.json": '{"factor": 21}\n',
        "main.py": "import json\nfrom pathlib import Path\n\nfrom model import double\n\n\n"
        "def run():\n    config = json.loads(Path(__file__).with_name('config.json')"
        ".read_text())\n    return double(config['scale'])\n\n\n"
        "if __name__ == '__main__':\n    print(run())\n",
    },
}


def make_repo(root: Path, fault: dict[str, str]) -> Path:
    for name, text in {**BASE, **fault}.items():
        write_file(root, name, text)
    return root


def one_shot(repo: Path, sandbox: DockerSandbox, model: OpenAIChatModel, logs: Path) -> bool:
    before = Verifier(sandbox, logs / "before").verify(repo)
    raw = "".join(Path(c.log).read_text("utf-8") for c in before.checks if c.log)
    files = read_repo(repo)  # in the order the log names them: the example path is the first
    files = dict(sorted(files.items(), key=lambda kv: (kv[0] not in raw, raw.find(kv[0]))))
    everything = "".join(f"## {p}\n```\n{t}\n```\n" for p, t in files.items())
    prompt = repair_prompt(f"## Logs\n```\n{raw}\n```\n{everything}", files)
    reply = model.complete(
        ChatRequest(
            agent="baseline",
            max_tokens=1024,
            messages=(system_message(), Message(role="user", content=prompt)),
        )
    )
    result = apply_edits(files, parse_edits(reply.content))
    for path in result.changed():
        write_file(repo, path, result.files[path])
    return Verifier(sandbox, logs / "after").verify(repo).passed


def main() -> None:
    spec = importlib.util.spec_from_file_location("local_model", ROOT / "benchmarks/local_model.py")
    assert spec and spec.loader
    local_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(local_model)
    gguf = local_model.ensure_model()
    sandbox = DockerSandbox()
    rows = []
    with LocalServer(gguf, ctx=8192) as server, tempfile.TemporaryDirectory() as tmp:
        settings = Settings.resolve(
            {
                "base_url": server.base_url,
                "model": "local",
                "runs_dir": Path(tmp) / "runs",
                "context_tokens": 8192,
                "max_output_tokens": 1024,
                "timeout": 600,
            },
            {},
        )
        model = OpenAIChatModel(settings)
        for index, (kind, fault) in enumerate(FAULTS.items()):
            repo = make_repo(Path(tmp) / f"loop{index}", fault)
            store = RunStore.create(settings.runs_dir, f"efficacy-{index}")
            started = time.monotonic()
            report, _ = run_repair(store, repo, settings, sandbox)
            loop_seconds = time.monotonic() - started
            started = time.monotonic()
            baseline = one_shot(
                make_repo(Path(tmp) / f"once{index}", fault),
                sandbox,
                model,
                Path(tmp) / f"once-logs{index}",
            )
            rows.append(
                (
                    kind,
                    report.passed,
                    report.iterations,
                    report.tokens,
                    loop_seconds,
                    baseline,
                    time.monotonic() - started,
                )
            )
            print(
                f"{kind:<32} loop: {'fixed' if report.passed else 'not fixed':<9} "
                f"{report.iterations} it {report.tokens:>6} tok {loop_seconds:6.1f}s | "
                f"one-shot: {'fixed' if baseline else 'not fixed'}",
                flush=True,
            )
        model.close()
    sandbox.close()
    fixed = [r for r in rows if r[1]]
    print(
        f"loop fix rate: {len(fixed)}/{len(rows)}; one-shot fix rate: "
        f"{sum(r[5] for r in rows)}/{len(rows)}"
    )
    if fixed:
        print(f"median iterations to green: {statistics.median(r[2] for r in fixed)}")
    print(
        f"loop tokens total: {sum(r[3] for r in rows)}, seconds total: "
        f"{sum(r[4] for r in rows):.0f}"
    )


if __name__ == "__main__":
    sys.exit(main())
