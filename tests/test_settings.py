from __future__ import annotations

import pytest

from papercoder.errors import UsageError
from papercoder.settings import Budgets, Settings, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("1h30m", 5400), ("1.5h", 5400)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "-5m", "ten minutes", "5x", "m"])
def test_bad_durations_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="invalid duration"):
        parse_duration(text)


def test_flags_beat_environment_beat_defaults() -> None:
    env = {
        "PAPERCODER_MODEL": "env-model",
        "OPENAI_BASE_URL": "http://127.0.0.1:1/v1",
        "OPENAI_API_KEY": "k",
    }
    assert Settings.resolve({}, {}).model == "gpt-4o-mini"
    assert Settings.resolve({}, env).model == "env-model"
    flagged = Settings.resolve({"model": "flag-model", "base_url": None}, env)
    assert flagged.model == "flag-model"
    assert flagged.base_url == "http://127.0.0.1:1/v1"


def test_budgets_parse_and_validate() -> None:
    budgets = Budgets().raised(max_time="30m", max_cost=2.5, max_iterations=3)
    s = Settings.resolve({"budgets": budgets}, {})
    assert s.budgets.max_time == 1800 and s.budgets.max_cost == 2.5
    assert s.budgets.max_iterations == 3 and s.budgets.patience == 3
    with pytest.raises(UsageError, match="max_cost"):
        Budgets().raised(max_cost=-1.0)
    with pytest.raises(UsageError, match="patience"):
        Budgets().raised(patience=0)


def test_resumed_settings_are_the_stored_ones_unless_given() -> None:
    stored = Settings.resolve(
        {"model": "m", "edit_format": "whole", "budgets": Budgets().raised(max_cost=1.0)}, {}
    )
    again = Settings.model_validate_json(stored.model_dump_json())  # as the manifest holds it
    assert again.resumed({"model": None, "max_iterations": None}, {}) == stored
    raised = again.resumed({"max_iterations": 12}, {"OPENAI_API_KEY": "sk-env"})
    assert raised.budgets == stored.budgets.model_copy(update={"max_iterations": 12})
    assert raised.edit_format == "whole" and raised.api_key is not None


def test_public_settings_hold_no_secret() -> None:
    s = Settings.resolve({"api_key": "sk-secret"}, {})
    assert "sk-secret" not in s.model_dump_json() and "sk-secret" not in repr(s)
    assert s.api_key is not None and s.api_key.get_secret_value() == "sk-secret"
