"""Size of the repair prompts against a naive prompt, on the demo's failures.

Runs the demo (scripted model, real sandbox) and, for each repair iteration, compares the
tokens of the prompt the repair agent got (instructions + digest) with a naive prompt of the
same instructions holding the whole repository and the whole logs of the failing
verification. Target: <= 25 %.

    .venv/bin/python benchmarks/repair.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from papercoder import prompts, run
from papercoder.demo import scripted_demo
from papercoder.repair.digest import read_repo
from papercoder.runstore import RunStore
from papercoder.settings import Settings
from papercoder.tokens import estimate_tokens


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, scripted_demo(Path(tmp)) as (paper, url):
        settings = Settings.resolve(
            {"base_url": url, "model": "scripted", "runs_dir": Path(tmp) / "runs"}, {}
        )
        first_draft: dict[str, str] = {}

        def keep_draft(event: run.Event) -> None:  # the repository before any repair
            if isinstance(event, run.BuildDone):
                first_draft.update(read_repo(Path(event.result.repo)))

        outcome = run.build(paper, settings, events=keep_draft)
        assert outcome.verification is not None and outcome.verification.loop is not None
        report, store = outcome.verification.loop, RunStore.open(outcome.run_dir)
        print(f"demo: {report.iterations} repair iterations, passed={report.passed}")
        print(f"{'iteration':<10}{'digest':>9}{'naive':>9}{'ratio':>8}")
        ratios = []
        for n in range(1, report.iterations + 1):
            prompt = (store.repair_dir(n) / "prompt.md").read_text("utf-8")
            logs = "".join(
                p.read_text("utf-8") for p in sorted(store.verify_dir(n - 1).glob("*.log"))
            )
            repo = "".join(f"# {path}\n{text}" for path, text in first_draft.items())
            naive_prompt = prompts.render(  # the same instructions around everything
                "repair", digest=repo + logs, example_path="model.py", note=""
            )
            digest, naive = estimate_tokens(prompt), estimate_tokens(naive_prompt)
            ratios.append(digest / naive)
            print(f"{n:<10}{digest:>9}{naive:>9}{digest / naive:>8.0%}")
    print(f"mean ratio: {sum(ratios) / len(ratios):.0%} (target <= 25 %)")


if __name__ == "__main__":
    main()
