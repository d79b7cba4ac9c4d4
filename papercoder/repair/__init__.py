"""Repair: digest the diagnostics, patch the repo safely, loop until green or out of budget."""
