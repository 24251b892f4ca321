"""Value: what it accepts, what it holds, how it compares, and micrograd's code unchanged."""

import math
import pickle

import numpy as np
import pytest

from autograd import Value


@pytest.mark.parametrize(
    "data", [3, 2.5, -0.0, np.float64(1.5), np.float32(0.25), np.int64(7), np.int8(-3)]
)
def test_data_is_stored_as_a_python_float(data):
    v = Value(data)
    assert type(v.data) is float
    assert v.data == float(data)
    assert type(v.grad) is float and v.grad == 0.0


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ("1.0", "str"),
        (None, "NoneType"),
        (1 + 2j, "complex"),
        ([1.0, 2.0], "list"),
        (np.array([1.0, 2.0]), "ndarray"),
        (np.array(1.0), "ndarray"),
        (True, "bool"),
        (Value(1.0), "Value"),
    ],
)
def test_non_numbers_are_refused_with_the_type_named(data, named):
    with pytest.raises(TypeError) as error:
        Value(data)
    message = str(error.value)
    assert named in message
    assert "int, a float or a numpy real scalar" in message


def test_attributes_of_a_leaf_and_of_a_node():
    a = Value(2.0, label="a")
    b = Value(-3.0)
    c = a * b
    assert (a.label, a.op, a.parents, a.rule) == ("a", "", (), None)
    assert c.op == "*" and c.parents == (a, b) and c.rule is not None
    c.label = "c"
    assert c.label == "c"
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)


def test_operand_order_is_kept():
    a, b = Value(1.0), Value(2.0)
    assert (a - b).parents == (a, b)
    assert (b - a).parents == (b, a)
    assert (a / b).parents == (a, b)


def test_numbers_on_either_side():
    a = Value(3.0)
    assert [(a + 1).data, (1 + a).data, (a - 1).data, (1 - a).data] == [4.0, 4.0, 2.0, -2.0]
    assert [(a * 2).data, (2 * a).data, (a / 2).data, (6 / a).data] == [6.0, 6.0, 1.5, 2.0]
    assert [(a**2).data, (2**a).data, (a ** Value(2.0)).data, (-a).data] == [9.0, 8.0, 9.0, -3.0]
    assert abs(Value(-2.5)).data == 2.5
    assert (+a) is a


def test_a_number_operand_becomes_a_constant_leaf():
    a = Value(3.0)
    c = a * 2
    (constant,) = [p for p in c.parents if p is not a]
    assert constant.data == 2.0 and constant.op == ""


def test_constant_exponent_is_one_input_op_named_like_micrograd():
    a = Value(3.0)
    assert (a**2).op == "**2" and (a**2).parents == (a,)
    assert (a**0.5).op == "**0.5"
    e = Value(2.0)
    assert (a**e).op == "**" and (a**e).parents == (a, e)


@pytest.mark.parametrize("other", ["a", None, [1.0], object()])
def test_unsupported_operands_give_pythons_type_error(other):
    v = Value(1.0)
    methods = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
               "__truediv__", "__rtruediv__", "__pow__", "__rpow__"]
    for name in methods:
        assert getattr(v, name)(other) is NotImplemented, name
    for apply in (lambda: v + other, lambda: other - v, lambda: v * other, lambda: v**other):
        with pytest.raises(TypeError):
            apply()


def test_matrix_multiplication_is_unsupported():
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) @ 2  # noqa: B018


def test_bool_operand_is_refused():
    with pytest.raises(TypeError):
        Value(1.0) + True  # noqa: B018


def test_ordering_compares_data_and_equality_is_identity():
    a, b, a_again = Value(1.0), Value(2.0), Value(1.0)
    assert a < b and a <= b and b > a and b >= a and a < 2 and b > 1.5
    assert a <= a_again and a >= a_again
    assert a != a_again and a == a  # noqa: PLR0124
    assert len({a, a_again, b}) == 3
    assert {a: "x"}[a] == "x"
    assert sorted([b, a]) == [a, b]
    with pytest.raises(TypeError):
        a < "z"  # noqa: B015


def test_float_and_repr():
    v = Value(0.5, label="v")
    assert float(v) == 0.5
    assert math.isclose(math.sqrt(v), math.sqrt(0.5))
    assert repr(v) == "Value(data=0.5, grad=0.0, label='v')"


def test_detach_gives_a_new_leaf():
    a = Value(2.0, label="a")
    b = (a * 3).detach()
    assert b.data == 6.0 and b.parents == () and b.op == ""


def test_micrograd_lecture_code_runs_unchanged():
    # From the lecture: labels, the positional form, _prev and _op, unbound method calls.
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    assert L.data == -8.0
    assert set(L._prev) == {d, f}
    assert L._op == "*" and a._op == ""
    t = Value.tanh(Value(0.5))
    assert math.isclose(t.data, math.tanh(0.5))
    assert math.isclose(Value(1.0).exp().data, math.e)
    L.backward()
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)


def test_micrograd_manual_backward_by_calling_underscore_backward():
    # The lecture sets o.grad = 1 and calls _backward() node by node, output first.
    x1, w1, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    x1w1 = x1 * w1
    n = x1w1 + b
    o = n.tanh()
    o.grad = 1.0
    for node in (o, n, x1w1):
        node._backward()
    assert math.isclose(n.grad, 0.5, rel_tol=1e-9)
    assert math.isclose(x1.grad, -1.5, rel_tol=1e-9)
    assert math.isclose(w1.grad, 1.0, rel_tol=1e-9)


def test_positional_form_finds_the_op_by_name():
    a, b = Value(2.0), Value(5.0)
    s = Value(a.data + b.data, (a, b), "+")
    p = Value(a.data * b.data, (a, b), "*")
    r = Value(0.0, (Value(-1.0),), "ReLU")  # micrograd's spelling
    assert (s.op, p.op, r.op) == ("+", "*", "relu")
    (s * p).backward()
    assert (a.grad, b.grad) == (1.0 * 10.0 + 7.0 * 5.0, 1.0 * 10.0 + 7.0 * 2.0)


def test_positional_form_with_an_unknown_op_says_how_to_declare_it():
    a = Value(2.0)
    v = Value(4.0, (a,), "square")
    assert v.op == "square"
    with pytest.raises(RuntimeError, match="define_op"):
        v.backward()
    with pytest.raises(TypeError, match="children must be Values"):
        Value(1.0, (1.0,), "+")


def test_leaves_pickle_round_trip():
    a = Value(2.0, label="a")
    a.grad = 0.25
    restored = pickle.loads(pickle.dumps(a))
    assert (restored.data, restored.grad, restored.label) == (2.0, 0.25, "a")


def test_an_op_of_many_inputs_applies_and_differentiates():
    from autograd import define_op

    seven = define_op(
        "seven_inputs_sum",
        lambda a, b, c, d, e, f, g: a + b + c + d + e + f + g,
        *[1.0] * 7,
    )
    inputs = [Value(float(i)) for i in range(6)]
    total = seven(*inputs, 2.5)  # a number operand is a constant leaf
    total.backward()
    assert total.data == 17.5 and [v.grad for v in inputs] == [1.0] * 6
    assert "x6" in seven.__doc__
