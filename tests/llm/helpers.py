from __future__ import annotations

from pathlib import Path
from typing import Any

from papercoder.llm.client import OpenAIChatModel
from papercoder.llm.gateway import Gateway, open_gateway
from papercoder.llm.structured import StructuredClient
from papercoder.runstore import RunStore
from papercoder.settings import Budgets, Settings
from papercoder.testing import Rule, ScriptedServer
from papercoder.testing.server import Script


def server(*rules: dict[str, Any]) -> ScriptedServer:
    return ScriptedServer(Script(rules=[Rule(**r) for r in rules]))


def settings_for(srv: ScriptedServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"base_url": srv.base_url, "model": "scripted", "timeout": 5}
    limits = {k: overrides.pop(k) for k in list(overrides) if k in Budgets.model_fields}
    values.update(overrides, budgets=Budgets().raised(**limits))
    return Settings.resolve(values, {})


OPENED: list[Gateway] = []


def gateway(srv: ScriptedServer, store: RunStore | None = None, **overrides: Any) -> Gateway:
    settings = settings_for(srv, **overrides)
    model = OpenAIChatModel(settings, backoff_base=0.01, backoff_cap=0.05)
    opened = open_gateway(settings, store, model=model)
    OPENED.append(opened)  # closed after each test by tests/llm/conftest.py
    return opened


def structured(
    srv: ScriptedServer, store: RunStore | None = None, **overrides: Any
) -> StructuredClient:
    gw = gateway(srv, store, **overrides)
    return StructuredClient(gw, mode=settings_for(srv, **overrides).structured_mode)


def new_store(tmp: Path) -> RunStore:
    return RunStore.create(tmp / "runs", "test")
