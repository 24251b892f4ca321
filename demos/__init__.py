"""Runnable demonstrations of chainrule (`python -m demos.<name>`); not installed with the package."""
