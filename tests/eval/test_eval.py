"""`papercoder eval` against the scripted server, over real HTTP: reviews sampled and averaged,
a review that never parses, budgets, the reference, the context budget, exit codes."""

from __future__ import annotations

import json
import math
from pathlib import Path

from typer.testing import CliRunner

from papercoder.cli import app
from papercoder.eval import EvalReport
from papercoder.eval.model import ScoreStats
from papercoder.runstore import read_jsonl
from papercoder.testing import Rule, ScriptedServer
from papercoder.testing.server import Script
from tests.eval.conftest import COMPONENTS, review, reviews

runner = CliRunner()


def run_eval(run: Path, srv: ScriptedServer, *more: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["eval", str(run), "--base-url", srv.base_url, "--model", "scripted", *more]
    )
    return result.exit_code, result.output


def stored(run: Path) -> EvalReport:
    return EvalReport.model_validate_json((run / "eval.json").read_text("utf-8"))


def test_reviews_are_sampled_and_averaged(built_run: Path) -> None:
    script = reviews(
        review(2, "implemented", "missing"),
        review(4, "wrong", "wrong", "missing"),
        review(5, "implemented", "implemented", "wrong"),
    )
    with ScriptedServer(script) as srv:
        code, output = run_eval(built_run, srv)
        asked = srv.chat_requests("evaluator")
    assert code == 0, output
    report = stored(built_run)
    assert report.mode == "reference-free" and report.samples_asked == 3
    assert [s.outcome for s in report.samples] == ["ok", "ok", "ok"]
    scores = [2, 4, 5]
    mean = sum(scores) / 3
    spread = math.sqrt(sum((x - mean) ** 2 for x in scores) / 2)
    assert report.score is not None
    assert report.score.mean == round(mean, 3) and report.score.stdev == round(spread, 3)
    assert (report.score.min, report.score.max, report.score.samples) == (2, 5, 3)
    assert "score 3.67 / 5" in output and "stdev 1.53" in output
    verdicts = {c.id: (c.status, c.votes) for c in report.components}
    assert len(verdicts) == COMPONENTS
    assert verdicts[1] == ("implemented", {"implemented": 2, "wrong": 1})
    assert verdicts[2][0] == "wrong", "a tie (missing, wrong, implemented) goes to the worse"
    assert verdicts[3] == ("wrong", {"missing": 1, "wrong": 1, "implemented": 1})
    assert verdicts[4] == ("implemented", {"implemented": 3})
    assert report.components[1].severity == "high"
    assert report.components[0].notes == [
        "component 1 is implemented (review scoring 2)",
        "component 1 is implemented (review scoring 5)",
        "component 1 is wrong (review scoring 4)",
    ], "the majority's evidence first"
    assert len(asked) == 3
    assert {r.body["temperature"] for r in asked} == {0.7}, "independent samples"
    schema = asked[0].body["response_format"]["json_schema"]["schema"]
    ids = schema["$defs"]["ComponentJudgement"]["properties"]["id"]["enum"]
    assert ids == list(range(1, COMPONENTS + 1)), "components are an enum of the listed ones"
    prompt = asked[0].text
    assert "Tiny Residual" in prompt, "the paper's digest"
    assert "Hidden layer h = relu" in prompt, "the plan's methodology, numbered"
    assert prompt.index("## main.py") < prompt.index("## model.py"), "the entry point first"
    assert prompt.index("## model.py") < prompt.index("## tests/test_model.py"), "tests last"
    first, second = (r.body["messages"][-1]["content"] for r in asked[:2])
    prefix = first[: first.index("review number")]
    assert second.startswith(prefix), "the samples share their prompt up to the review's number"


def test_a_rerun_is_answered_from_the_cache(built_run: Path) -> None:
    script = reviews(review(3), review(4), review(4), review(1), review(2))
    with ScriptedServer(script) as srv:
        assert run_eval(built_run, srv)[0] == 0
        first = stored(built_run)
        assert run_eval(built_run, srv)[0] == 0
        assert len(srv.chat_requests("evaluator")) == 3, "the rerun asked nothing"
        again = stored(built_run)
        assert run_eval(built_run, srv, "--samples", "5")[0] == 0
        more = [r.text for r in srv.chat_requests("evaluator")[3:]]
    asked = sorted(n for text in more for n in (4, 5) if f"review number {n}:" in text)
    assert asked == [4, 5], "only the new reviews were asked"
    assert stored(built_run).score == ScoreStats(samples=5, mean=2.8, stdev=1.304, min=1, max=4)
    assert again.score == first.score and again.usage is not None
    assert again.usage.cached == 3 and again.usage.calls == 0 and again.usage.tokens == 0
    assert first.usage is not None and first.usage.calls == 3 and first.usage.tokens > 0
    calls = read_jsonl(built_run / "llm" / "calls.jsonl")
    assert sum(c["agent"] == "evaluator" for c in calls) == 3 + 3 + 5
    assert again.measures.usage.tokens == sum(
        c["prompt_tokens"] + c["completion_tokens"] for c in calls if c["agent"] != "evaluator"
    ), "the build's model use leaves the eval's calls out"


def test_a_review_that_never_parses_is_recorded_as_failed(built_run: Path) -> None:
    script = reviews(review(4), "I think the code is fine, maybe a 4.", review(2))
    with ScriptedServer(script) as srv:
        code, output = run_eval(built_run, srv)
        asked = srv.chat_requests("evaluator")
    assert code == 0, output
    report = stored(built_run)
    assert [s.outcome for s in report.samples] == ["ok", "failed", "ok"]
    assert "did not fit Judgement" in report.samples[1].error
    assert report.score is not None and report.score.samples == 2 and report.score.mean == 3.0
    assert len(asked) == 4, "the unparsable review was asked again once"
    assert "1 failed" in output


def test_every_review_failing_is_an_endpoint_error(built_run: Path) -> None:
    with ScriptedServer(reviews("no", "json", "here")) as srv:
        code, output = run_eval(built_run, srv)
    assert code == 4, output
    assert "all 3 reviews failed" in output and not (built_run / "eval.json").exists()


def test_answers_are_normalised_and_the_fixes_recorded(built_run: Path) -> None:
    reply = json.loads(review(4))
    reply["components"] = [
        *reply["components"][:3],
        reply["components"][0],
        {**reply["components"][0], "id": 9},
    ]
    with ScriptedServer(reviews(json.dumps(reply))) as srv:
        assert run_eval(built_run, srv, "--samples", "1")[0] == 0
    report = stored(built_run)
    fixes = report.samples[0].fixes
    assert fixes == [
        "dropped the second verdict on component 1",
        "dropped component 9: the list has 5",
        "not judged: component(s) 4, 5",
    ]
    assert [c.status for c in report.components][3:] == ["not judged", "not judged"]


def test_others_are_merged_across_reviews(built_run: Path) -> None:
    def other(name: str, severity: str) -> dict[str, str]:
        return {"component": name, "status": "missing", "severity": severity, "note": name}

    script = reviews(
        review(3, others=[other("Learning-rate schedule", "low")]),
        review(3, others=[other("learning-rate  schedule", "high"), other("Early stop", "low")]),
    )
    with ScriptedServer(script) as srv:
        assert run_eval(built_run, srv, "--samples", "2")[0] == 0
    found = [(o.component, o.samples, o.severity) for o in stored(built_run).others]
    assert found == [("Learning-rate schedule", 2, "high"), ("Early stop", 1, "low")]


def test_reference_based_review(built_run: Path, tmp_path: Path) -> None:
    theirs = tmp_path / "reference"
    (theirs / "src").mkdir(parents=True)
    (theirs / "src" / "resmlp.py").write_text("def authors_forward(x):\n    return x\n", "utf-8")
    (theirs / ".git").mkdir()
    (theirs / ".git" / "hook.py").write_text("SECRET_OF_GIT = 1\n", "utf-8")
    with ScriptedServer(reviews(review(4), review(4), review(5))) as srv:
        code, output = run_eval(built_run, srv, "--reference", str(theirs))
        prompt = srv.chat_requests("evaluator")[0].text
    assert code == 0, output
    report = stored(built_run)
    assert report.mode == "reference-based" and report.reference == str(theirs.resolve())
    assert "authors_forward" in prompt and "reference repository" in prompt
    assert "SECRET_OF_GIT" not in prompt
    assert report.context is not None
    assert [f.path for f in report.context.reference_files] == ["src/resmlp.py"]


def test_a_missing_reference_is_bad_input(built_run: Path, tmp_path: Path) -> None:
    with ScriptedServer(reviews()) as srv:
        code, output = run_eval(built_run, srv, "--reference", str(tmp_path / "none"))
        empty = tmp_path / "empty"
        empty.mkdir()
        code_empty, output_empty = run_eval(built_run, srv, "--reference", str(empty))
        assert not srv.chat_requests()
    assert code == 3 and "is not a directory" in output
    assert code_empty == 3 and "holds no Python file" in output_empty


def test_the_small_profile_has_its_own_prompt(built_run: Path) -> None:
    with ScriptedServer(reviews(review(3))) as srv:
        assert run_eval(built_run, srv, "--samples", "1", "--profile", "small")[0] == 0
        prompt = srv.chat_requests("evaluator")[0].text
    assert "Check the generated repository above" in prompt
    assert "Review the generated repository above" not in prompt


def test_the_code_is_cut_to_the_context_budget(built_run: Path) -> None:
    with ScriptedServer(reviews(review(3))) as srv:
        code, output = run_eval(built_run, srv, "--samples", "1", "--context-tokens", "6000")
        prompt = srv.chat_requests("evaluator")[0].text
    assert code == 0, output
    context = stored(built_run).context
    assert context is not None
    shown = [f.path for f in context.files]
    assert shown[0] == "main.py" and context.omitted, "the rest is left out, and named"
    assert any(f.cut for f in context.files) or context.omitted
    assert "Left out for length: " + ", ".join(context.omitted) in prompt
    assert len(prompt) // 3 < 6000 - 2048, "the prompt fits beside the reply"


def test_budgets_apply_to_the_eval_alone(built_run: Path) -> None:
    with ScriptedServer(reviews(review(3), review(3), review(3))) as srv:
        code, output = run_eval(built_run, srv, "--max-tokens", "100")
        assert not srv.chat_requests("evaluator"), "refused before the call"
        generous, _ = run_eval(built_run, srv, "--samples", "1", "--max-tokens", "30000")
    assert code == 1 and "no review was made: token budget" in output
    assert generous == 0, "the build's earlier spend does not count against eval's budget"


def test_a_budget_that_ends_the_sampling_keeps_what_was_done(built_run: Path) -> None:
    script = Script(
        rules=[
            Rule(agent="evaluator", contains="review number 1:", content=review(4)),
            Rule(agent="evaluator", content=review(2), delay=1.2),
        ]
    )
    with ScriptedServer(script) as srv:
        code, output = run_eval(built_run, srv, "--max-time", "1", "--jobs", "1")
    assert code == 0, output
    report = stored(built_run)
    assert [s.outcome for s in report.samples] == ["ok", "ok", "skipped"]
    assert report.stopped.startswith("time budget") and report.score is not None
    assert report.score.samples == 2


def test_usage_errors(built_run: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(built_run)])
    assert result.exit_code == 2 and "no model endpoint" in result.output
    result = runner.invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 3 and "not a run directory" in result.output
    with ScriptedServer(reviews()) as srv:
        assert run_eval(built_run, srv, "--samples", "-1")[0] == 2


def test_measures_alone_need_no_model(built_run: Path) -> None:
    result = runner.invoke(app, ["eval", str(built_run), "--samples", "0"])
    assert result.exit_code == 0, result.output
    report = stored(built_run)
    assert report.mode == "measures-only" and report.score is None
    assert report.measures.verified is False and report.measures.checks == {}
    assert report.measures.repair_iterations is None
    assert set(report.measures.lines) == {
        "data.py",
        "model.py",
        "train.py",
        "main.py",
        "tests/test_data.py",
        "tests/test_model.py",
        "tests/test_train.py",
    }
    assert "no model review" in result.output and "not verified" in result.output


def test_a_run_without_a_plan_is_bad_input(built_run: Path) -> None:
    (built_run / "plan" / "overall.json").unlink()
    with ScriptedServer(reviews(review(3))) as srv:
        code, output = run_eval(built_run, srv)
    assert code == 3 and "has no plan yet" in output
