"""The LLM layer over real HTTP against the scripted server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from papercoder.errors import BudgetExhausted, EndpointError, ModelOutputError, UsageError
from papercoder.llm.client import LOOP_CHECK_CHARS, ChatRequest, Message
from papercoder.llm.loops import LIVE_SPAN
from papercoder.runstore import read_jsonl
from tests.llm.helpers import gateway, new_store, server, structured


class Answer(BaseModel):
    name: str
    score: int


GOOD = '{"name": "adam", "score": 3}'


def req(text: str = "hello", agent: str = "tester", max_tokens: int = 64) -> ChatRequest:
    return ChatRequest(
        agent=agent, messages=(Message(role="user", content=text),), max_tokens=max_tokens
    )


def test_rate_limit_with_retry_after_is_retried_and_logged(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    with server({"status": 429, "retry_after": 1, "times": 1}, {"content": "hi"}) as srv:
        reply = gateway(srv, store).complete(req())
    assert reply.content == "hi"
    assert len(srv.chat_requests()) == 2
    [record] = read_jsonl(store.calls_path)
    assert record["attempts"] == 2 and record["outcome"] == "ok"
    assert record["latency_s"] >= 1.0, "Retry-After: 1 must be honoured"


def test_server_error_storm_fails_with_one_line_endpoint_error(tmp_path: Path) -> None:
    with server({"status": 500}) as srv, pytest.raises(EndpointError) as info:
        gateway(srv, max_retries=2).complete(req())
    assert len(srv.chat_requests()) == 3
    line = info.value.one_line()
    assert "\n" not in line and "failed after 3 attempts" in line and "OPENAI_BASE_URL" in line


def test_reply_past_timeout_is_retried() -> None:
    with server({"delay": 1.5, "content": "late", "times": 1}, {"content": "on time"}) as srv:
        reply = gateway(srv, timeout=0.5).complete(req())
    assert reply.content == "on time" and reply.attempts == 2


def test_malformed_body_is_retried() -> None:
    with server({"malformed": True, "times": 1}, {"content": "fine"}) as srv:
        assert gateway(srv).complete(req()).content == "fine"
    assert len(srv.chat_requests()) == 2


@pytest.mark.parametrize(
    ("status", "words"), [(401, "API key"), (403, "API key"), (404, "--model")]
)
def test_auth_and_not_found_fail_at_once(status: int, words: str) -> None:
    with server({"status": status}) as srv, pytest.raises(EndpointError) as info:
        gateway(srv).complete(req())
    assert len(srv.chat_requests()) == 1, "must not retry"
    assert words in info.value.one_line()


def test_unreachable_endpoint_names_the_url() -> None:
    with server({"content": "x"}) as srv:
        url = srv.base_url
    with pytest.raises(EndpointError) as info:
        gateway(srv, max_retries=1).complete(req())
    assert url in info.value.message and "OPENAI_BASE_URL" in info.value.hint


def test_agent_header_is_sent() -> None:
    with server({"content": "x"}) as srv:
        gateway(srv).complete(req(agent="planner"))
    assert srv.chat_requests()[0].agent == "planner"


def test_invalid_json_then_valid_is_one_reask() -> None:
    with server({"content": "Sure! here {not json", "times": 1}, {"content": GOOD}) as srv:
        answer = structured(srv).ask("tester", [Message(role="user", content="go")], Answer)
    assert answer == Answer(name="adam", score=3)
    requests = srv.chat_requests()
    assert len(requests) == 2
    assert "could not be used" in requests[1].body["messages"][-1]["content"]


def test_schema_invalid_twice_names_the_field() -> None:
    with (
        server({"content": '{"name": "adam", "score": "many"}'}) as srv,
        pytest.raises(ModelOutputError) as info,
    ):
        structured(srv).ask("tester", [Message(role="user", content="go")], Answer)
    assert len(srv.chat_requests()) == 2
    assert "score" in info.value.message


def test_json_in_prose_and_fences_is_accepted() -> None:
    reply = "Here you go:\n```json\n" + GOOD + "\n```\nHope it helps."
    with server({"content": reply}) as srv:
        answer = structured(srv).ask("tester", [Message(role="user", content="go")], Answer)
    assert answer.score == 3


def test_rejected_json_schema_falls_back_to_json_mode_and_remembers() -> None:
    with server(
        {"format": "json_schema", "status": 400, "error_message": "response_format not supported"},
        {"content": GOOD},
    ) as srv:
        client = structured(srv)
        client.ask("tester", [Message(role="user", content="a")], Answer)
        client.ask("tester", [Message(role="user", content="b")], Answer)
    formats = [(r.body.get("response_format") or {}).get("type") for r in srv.chat_requests()]
    assert formats == ["json_schema", "json_object", "json_object"]
    assert client.mode == "json_object"


def test_truncated_reply_is_asked_again_with_a_larger_limit() -> None:
    with server(
        {"content": '{"name": "ad', "finish_reason": "length", "times": 1}, {"content": GOOD}
    ) as srv:
        reply = gateway(srv).complete(req(max_tokens=100))
    assert reply.content == GOOD
    assert [r.body["max_tokens"] for r in srv.chat_requests()] == [100, 200]


def test_always_truncated_is_a_clear_error() -> None:
    with (
        server({"content": "...", "finish_reason": "length"}) as srv,
        pytest.raises(ModelOutputError, match="cut off"),
    ):
        gateway(srv, max_output_tokens=100).complete(req(max_tokens=100))
    assert [r.body["max_tokens"] for r in srv.chat_requests()] == [100, 200], "bounded"


def test_a_reply_cut_off_while_repeating_itself_is_not_asked_again_bigger(
    tmp_path: Path,
) -> None:
    store = new_store(tmp_path)
    line = "    # the gradients are computed by the chain rule.\n"
    looping = "def f():\n" + line * 30
    with (
        server({"content": looping[:-20], "finish_reason": "length"}) as srv,
        pytest.raises(ModelOutputError, match="cut off at 100 tokens, repeating itself") as err,
    ):
        gateway(srv, store, max_output_tokens=400).complete(req(max_tokens=100))
    assert len(srv.chat_requests()) == 1, "a larger limit only buys a longer loop"
    assert err.value.context["content"] == looping[:-20]
    [record] = read_jsonl(store.calls_path)
    assert record["outcome"] == "truncated"
    assert record["error"] == f"repeating itself from character {len('def f():') + 1 + len(line)}"


def test_cost_budget_too_small_refuses_before_sending(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    with server({"content": "x"}) as srv:
        gw = gateway(srv, store, max_cost=0.0001, price_input=10.0, price_output=30.0)
        with pytest.raises(BudgetExhausted, match="cost budget"):
            gw.complete(req("x" * 3000, max_tokens=4000))
    assert srv.chat_requests() == []
    assert read_jsonl(store.calls_path)[0]["outcome"] == "refused"


def test_token_budget_counts_spend_and_refuses_the_next_call(tmp_path: Path) -> None:
    with server({"content": "y" * 800}) as srv:
        gw = gateway(srv, max_tokens=300)
        gw.complete(req(max_tokens=150))
        with pytest.raises(BudgetExhausted, match="token budget"):
            gw.complete(req("other", max_tokens=150))
    assert len(srv.chat_requests()) == 1
    assert gw.ledger.tokens <= 300


def test_cost_budget_with_unknown_price_is_a_usage_error() -> None:
    with server({"content": "x"}) as srv, pytest.raises(UsageError, match="no price"):
        gateway(srv, max_cost=1.0)


def test_second_identical_run_is_served_from_cache(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    with server({"content": GOOD}) as srv:
        structured(srv, store).ask("tester", [Message(role="user", content="go")], Answer)
    with server({"content": GOOD}) as srv2:
        again = structured(srv2, store).ask("tester", [Message(role="user", content="go")], Answer)
        assert srv2.chat_requests() == []
    assert again.name == "adam"
    outcomes = [r["outcome"] for r in read_jsonl(store.calls_path)]
    assert outcomes == ["ok", "cached"]


def test_missing_usage_is_estimated(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    with server({"content": "z" * 90, "usage": False}) as srv:
        gateway(srv, store).complete(req())
    [record] = read_jsonl(store.calls_path)
    assert record["completion_tokens"] == 31 and record["prompt_tokens"] > 0


def test_call_log_fields(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    with server({"content": "ok"}) as srv:
        gateway(srv, store, price_input=1.0, price_output=2.0).complete(req(agent="coder"))
    [record] = read_jsonl(store.calls_path)
    assert record["agent"] == "coder" and record["model"] == "scripted"
    assert len(record["request_hash"]) == 64 and record["cost"] > 0
    assert set(record) >= {"prompt_tokens", "completion_tokens", "latency_s", "attempts", "outcome"}


def test_context_length_error_says_how_to_fix() -> None:
    with (
        server({"status": 400, "error_message": "maximum context length is 8192 tokens"}) as srv,
        pytest.raises(EndpointError, match="context window") as info,
    ):
        gateway(srv).complete(req())
    assert "--ctx" in info.value.hint


def test_api_key_is_written_nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-DO-NOT-LEAK-4242"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    store = new_store(tmp_path)
    with server({"status": 500, "times": 1}, {"content": GOOD}) as srv:
        from papercoder.settings import Settings

        settings = Settings.resolve(
            {"base_url": srv.base_url, "model": "scripted"}, {"OPENAI_API_KEY": secret}
        )
        store.manifest.settings = settings
        store.save_manifest()
        structured(srv, store, api_key=secret).ask(
            "tester", [Message(role="user", content="go")], Answer
        )
        assert srv.chat_requests()[0].body.get("api_key") is None
    leaked = [p for p in store.root.rglob("*") if p.is_file() and secret in p.read_text("utf-8")]
    assert leaked == []
    assert (
        json.loads(store.path("manifest.json").read_text("utf-8"))["settings"]["model"]
        == "scripted"
    )


def test_prompt_tokens_the_server_evaluated_are_logged(tmp_path: Path) -> None:
    """A llama.cpp server reports how much of the prompt came from its cache."""
    store = new_store(tmp_path)
    with server({"content": "hi", "prompt_cached": 20}) as srv:
        reply = gateway(srv, store).complete(req("x" * 200))
    [record] = read_jsonl(store.calls_path)
    assert reply.usage.prompt_tokens == record["prompt_tokens"]
    assert record["prompt_evaluated"] == record["prompt_tokens"] - 20


def test_the_local_servers_replies_are_streamed_and_left_as_soon_as_they_loop(
    tmp_path: Path,
) -> None:
    store = new_store(tmp_path)
    line = "    # the gradients are computed by the chain rule.\n"
    looping = "def backward(self):\n" + line * 200  # 10,000 characters the model would write
    with (
        server({"content": looping, "finish_reason": "length"}) as srv,
        pytest.raises(ModelOutputError, match="repeating itself") as err,
    ):
        gateway(srv, store, model="local").complete(req(max_tokens=4000))
    [asked] = srv.chat_requests()
    assert asked.body["stream"] is True and len(srv.chat_requests()) == 1
    kept = err.value.context["content"]
    assert looping.startswith(kept) and len(kept) < LIVE_SPAN + 2 * LOOP_CHECK_CHARS, "not 200"
    [record] = read_jsonl(store.calls_path)
    assert record["outcome"] == "truncated" and record["error"].startswith("repeating itself")
    assert 0 < record["completion_tokens"] < 200, "what was read is charged, estimated"


def test_a_streamed_reply_that_ends_keeps_its_usage_and_prompt_cache_figures(
    tmp_path: Path,
) -> None:
    store = new_store(tmp_path)
    content = "def f(x):\n    return 2 * x\n" * 3
    with server({"content": content, "prompt_cached": 10}) as srv:
        reply = gateway(srv, store, model="local").complete(req("y" * 200))
    assert reply.content == content and reply.finish_reason == "stop"
    assert srv.chat_requests()[0].body["stream_options"] == {"include_usage": True}
    assert reply.usage.completion_tokens == len(content) // 4 + 1  # the server's own count
    assert reply.usage.prompt_evaluated == reply.usage.prompt_tokens - 10  # type: ignore[operator]
    [record] = read_jsonl(store.calls_path)
    assert record["outcome"] == "ok" and record["prompt_evaluated"] is not None


def test_a_reply_from_another_endpoint_is_not_streamed() -> None:
    with server({"content": GOOD}) as srv:
        assert gateway(srv).complete(req()).content == GOOD
    assert "stream" not in srv.chat_requests()[0].body


def test_a_stream_that_is_not_one_is_retried() -> None:
    with server({"malformed": True, "times": 1}, {"content": GOOD}) as srv:
        reply = gateway(srv, model="local").complete(req())
    assert reply.content == GOOD and reply.attempts == 2


def test_a_reply_bounded_by_a_json_schema_is_read_to_its_end_though_it_repeats() -> None:
    """adam's config turn from the 1.5B model repeated one entry; the schema's item limit
    closes the list, so the reply ends valid, and leaving it would stop the build."""
    entry = '{"key": "model.units", "value": 500, "source": "Algorithm 1"}, '
    content = '{"entries": [' + entry * 30 + entry.rstrip(", ") + "]}"
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}
    asked = ChatRequest(
        agent="planner.config",
        messages=(Message(role="user", content="config"),),
        max_tokens=4000,
        response_format=schema,
    )
    with server({"content": content}) as srv:
        reply = gateway(srv, model="local").complete(asked)
    assert reply.content == content and reply.finish_reason == "stop"
    assert asked.bounded and not req().bounded
