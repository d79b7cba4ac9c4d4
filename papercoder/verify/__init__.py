"""Verification: run the checks in the sandbox and turn their output into diagnostics."""
