"""The command line: each command parses, calls one library function, renders (exit codes:
papercoder.cli.common)."""

from papercoder.cli import commands, judge
from papercoder.cli.common import EXIT_CODES, EXIT_INTERRUPTED, app, exit_code_for, main

__all__ = ["EXIT_CODES", "EXIT_INTERRUPTED", "app", "commands", "exit_code_for", "judge", "main"]
