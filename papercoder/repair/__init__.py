"""Repair: digest the diagnostics, parse and apply edits safely (the loop that drives them is
papercoder.loop)."""
