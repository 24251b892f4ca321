"""Whole derivative matrices of a function of Values: ``jacobian`` and ``hessian``.

As ``torch.autograd.functional``, on scalars: results are floats and (nested) lists of floats,
or Values with ``create_graph=True``. Uses the core alone (``autograd.backward``,
``autograd.value``).
"""

from autograd.functional.matrices import hessian, jacobian

__all__ = ["hessian", "jacobian"]
