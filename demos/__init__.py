"""Runnable demonstrations of chainrule (`python -m demos.NAME`); not part of the package."""
