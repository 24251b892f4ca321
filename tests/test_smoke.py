"""Every package imports, and the lecture's neuron gives the lecture's gradients."""

import math

import autograd
import nn
from autograd import Value


def test_packages_import():
    assert autograd.Value is Value
    assert nn.__name__ == "nn"


def test_lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert math.isclose(o.data, math.sqrt(0.5), rel_tol=1e-12)
    local = 1 - o.data**2
    assert math.isclose(x1.grad, w1.data * local, rel_tol=1e-12)
    assert math.isclose(w1.grad, x1.data * local, rel_tol=1e-12)
    assert math.isclose(x2.grad, w2.data * local, rel_tol=1e-12)
    assert w2.grad == 0.0
