"""Test doubles shipped with the library: a scripted OpenAI-compatible HTTP server."""

from papercoder.testing.server import RecordedRequest, Rule, ScriptedServer, load_script

__all__ = ["RecordedRequest", "Rule", "ScriptedServer", "load_script"]
