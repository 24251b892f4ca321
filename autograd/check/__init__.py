"""Gradient checking: analytic gradients against central differences, and a pytest plugin.

``gradcheck.py`` compares and raises :class:`GradcheckError`; ``report.py`` formats the table a
failure prints; ``pytest_plugin.py`` offers ``gradcheck`` fixtures with suite-wide tolerances.
Uses the core only (``autograd.backward``, ``autograd.value``).
"""

from autograd.check.gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "numerical_grad"]
