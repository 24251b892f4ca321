"""pytest plugin: ``gradcheck`` and ``gradgradcheck`` fixtures with suite-wide tolerances.

Opt-in: load it with ``pytest -p autograd.check.pytest_plugin``, or in a ``conftest.py`` at the
root of your tests with ``pytest_plugins = ["autograd.check.pytest_plugin"]``. Installing
chainrule loads nothing into other projects' test runs (no ``pytest11`` entry point).

    def test_my_op(gradcheck):
        assert gradcheck(my_op, [0.3, -1.2])

The defaults of ``eps``, ``atol`` and ``rtol`` come from the command line
(``--gradcheck-atol=1e-7``), else the ini file (``gradcheck_atol = 1e-7`` under ``[pytest]`` or
``[tool.pytest.ini_options]``), else :func:`autograd.gradcheck`'s own defaults. A keyword given in
the call (``gradcheck(f, x, atol=1e-3)``) wins over all of them.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from autograd.check.gradcheck import gradcheck as _gradcheck
from autograd.check.gradcheck import gradgradcheck as _gradgradcheck

SETTINGS = ("eps", "atol", "rtol")
DEFAULTS = {
    name: inspect.signature(_gradcheck).parameters[name].default for name in SETTINGS
}
_MEANING = {
    "eps": "the finite-difference step",
    "atol": "the absolute tolerance",
    "rtol": "the relative tolerance",
}
_TOLERANCES = pytest.StashKey["Tolerances"]()


class Tolerances:
    """The suite's defaults for eps, atol and rtol, and where each one was set."""

    def __init__(self, values: dict[str, float], sources: dict[str, str]) -> None:
        self.values = values
        self.sources = sources

    def describe(self) -> str:
        return ", ".join(
            f"{name}={self.values[name]:g} ({self.sources[name]})" for name in SETTINGS
        )


class Checker:
    """A gradient checker with the suite's tolerances; call it like :func:`autograd.gradcheck`."""

    def __init__(self, check: Callable[..., bool], tolerances: Tolerances) -> None:
        self._check = check
        self.tolerances = tolerances
        self.eps: float = tolerances.values["eps"]
        self.atol: float = tolerances.values["atol"]
        self.rtol: float = tolerances.values["rtol"]

    def __call__(self, f: Callable[..., Any], inputs: Sequence[Any], **overrides: float) -> bool:
        __tracebackhide__ = True
        unknown = set(overrides) - set(SETTINGS)
        if unknown:
            raise TypeError(
                f"{self._check.__name__}() takes eps, atol and rtol, got {sorted(unknown)}"
            )
        settings = {name: getattr(self, name) for name in SETTINGS} | overrides
        return self._check(f, inputs, **settings)

    def __repr__(self) -> str:
        return f"<{self._check.__name__} fixture: {self.tolerances.describe()}>"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradcheck", "chainrule gradient checking (gradcheck fixture)")
    for name in SETTINGS:
        group.addoption(
            f"--gradcheck-{name}",
            dest=f"gradcheck_{name}",
            default=None,
            metavar="NUMBER",
            help=f"default {_MEANING[name]} of the gradcheck fixtures "
            f"(ini: gradcheck_{name}; built-in {DEFAULTS[name]:g})",
        )
        parser.addini(
            f"gradcheck_{name}",
            f"default {_MEANING[name]} of the gradcheck fixtures "
            f"(built-in {DEFAULTS[name]:g})",
            default=None,
        )


def pytest_configure(config: pytest.Config) -> None:
    # Read the settings once, here, so a bad value stops the run before any test does.
    values, sources = {}, {}
    for name in SETTINGS:
        option = config.getoption(f"gradcheck_{name}")
        ini = config.getini(f"gradcheck_{name}")
        if option is not None:
            text, source = option, f"--gradcheck-{name}"
        elif ini:
            text, source = ini, f"ini gradcheck_{name}"
        else:
            values[name], sources[name] = DEFAULTS[name], "default"
            continue
        values[name], sources[name] = _parse(name, text, source), source
    config.stash[_TOLERANCES] = Tolerances(values, sources)


def _parse(name: str, text: Any, source: str) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        value = math.nan
    valid = value > 0.0 if name == "eps" else value >= 0.0
    if not (valid and math.isfinite(value)):
        bound = "> 0" if name == "eps" else ">= 0"
        raise pytest.UsageError(
            f"{source} must be a finite number {bound} ({_MEANING[name]}), got {text!r}"
        )
    return value


def pytest_report_header(config: pytest.Config) -> str | None:
    tolerances = config.stash.get(_TOLERANCES, None)
    if tolerances is None or all(source == "default" for source in tolerances.sources.values()):
        return None
    return f"gradcheck: {tolerances.describe()}"


@pytest.fixture
def gradcheck(request: pytest.FixtureRequest) -> Checker:
    """:func:`autograd.gradcheck` with the suite's tolerances (--gradcheck-*, ini gradcheck_*)."""
    return Checker(_gradcheck, request.config.stash[_TOLERANCES])


@pytest.fixture
def gradgradcheck(request: pytest.FixtureRequest) -> Checker:
    """:func:`autograd.gradgradcheck` with the suite's tolerances."""
    return Checker(_gradgradcheck, request.config.stash[_TOLERANCES])
