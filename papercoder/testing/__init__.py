"""Test doubles shipped with the library: a scripted OpenAI-compatible HTTP server, a model
that answers in process, and a sandbox with scripted check results."""

from papercoder.testing.model import FunctionModel
from papercoder.testing.sandbox import FakeSandbox
from papercoder.testing.server import RecordedRequest, Rule, ScriptedServer, load_script

__all__ = [
    "FakeSandbox",
    "FunctionModel",
    "RecordedRequest",
    "Rule",
    "ScriptedServer",
    "load_script",
]
