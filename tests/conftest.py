"""Shared test setup: pytester for the plugin's tests, and a hypothesis profile sized for CI.

The default profile keeps the property tests to a few seconds on two shared cores; run more
examples with ``pytest --hypothesis-profile=thorough``.
"""

from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

settings.register_profile(
    "chainrule",
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=1000, deadline=None, database=None)
settings.load_profile("chainrule")
