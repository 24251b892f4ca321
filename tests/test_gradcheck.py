"""The gradient checker itself: it passes correct derivatives, and every failure is explained."""

import itertools
import math
import re

import numpy as np
import pytest

from autograd import (
    GradcheckError,
    Value,
    define_op,
    gradcheck,
    gradgradcheck,
    numerical_grad,
    sigmoid,
)

# An op whose partial for its second input is twice what it should be.
wrong_mul = define_op(
    "wrong_mul", lambda x, y: x * y,
    lambda x, y, out: y,
    lambda x, y, out: 2 * x,
)


def neuron(x, w):
    x.label, w.label = "x", "w"
    return wrong_mul(x, w).tanh()


def report_row(message: str, wrt: str) -> str:
    """The table line for the derivative with respect to ``wrt`` (e.g. "1 w")."""
    for line in message.splitlines():
        if re.match(rf"\s+(ok|FAIL)\s+{re.escape(wrt)}\s", line):
            return line
    raise AssertionError(f"no row for {wrt!r} in:\n{message}")


# ----- numerical_grad ---------------------------------------------------------------------------


def test_numerical_grad_matches_closed_form():
    x, y = 0.7, -1.3
    numerical = numerical_grad(lambda a, b: a * b + a.sin(), [x, y])
    assert numerical == pytest.approx([y + math.cos(x), x], rel=1e-8)


def test_numerical_grad_is_a_central_difference():
    # A central difference is exact for a quadratic, up to rounding; a one-sided one is off by eps.
    (slope,) = numerical_grad(lambda a: a * a, [3.0], eps=1e-3)
    assert slope == pytest.approx(6.0, abs=1e-9)


def test_numerical_grad_uses_the_step_the_floats_took():
    # 0.1 + 1e-6 is not exactly 0.1 + 1e-6; dividing by 2 * eps would be off by ~1e-11 relative.
    (slope,) = numerical_grad(lambda a: a * 3.0, [0.1])
    assert slope == pytest.approx(3.0, rel=1e-12)


def test_numerical_grad_refuses_several_outputs():
    with pytest.raises(TypeError, match=r"returned 2.*f\(\*xs\)\[k\]"):
        numerical_grad(lambda a: [a, a * a], [1.0])


# ----- gradcheck passes what is right -----------------------------------------------------------


def test_passes_a_correct_function_and_returns_true():
    assert gradcheck(lambda x, w, b: (x * w + b).tanh(), [0.3, -1.2, 0.5]) is True


def test_passes_a_correct_user_op():
    softsign = define_op(
        "softsign_ok", lambda x: x / (1 + abs(x)), lambda x, out: 1 / (1 + abs(x)) ** 2
    )
    assert gradcheck(lambda x: softsign(x), [-0.4])


def test_leaves_grad_of_captured_values_alone():
    weight = Value(0.7, label="weight")
    assert gradcheck(lambda x: (x * weight).tanh(), [0.4])
    assert weight.grad == 0.0


def test_accepts_any_sequence_of_real_numbers():
    assert gradcheck(lambda x, y: x * y, np.array([0.5, -2.0]))
    assert gradcheck(lambda x: x, (3,))


def test_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


# ----- a wrong derivative is caught, and the report names the input -----------------------------


def test_wrong_partial_is_caught_and_named():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(neuron, [0.3, -1.2])
    message = str(caught.value)
    assert [row.wrt for row in caught.value.failures] == ["1 w"]
    assert report_row(message, "1 w").split()[0] == "FAIL"
    assert report_row(message, "0 x").split()[0] == "ok"
    assert "1 of 2 derivatives disagree" in message
    assert "analytical / numerical = 2" in message


def test_report_shows_point_values_errors_and_tolerances():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(neuron, [0.3, -1.2], atol=1e-7, rtol=1e-4)
    message = str(caught.value)
    (row,) = caught.value.failures
    cells = report_row(message, "1 w").split()
    point, analytical, numerical, abs_error, rel_error = map(float, cells[3:])
    assert point == -1.2
    assert analytical == pytest.approx(2 * numerical, rel=1e-8)
    assert abs_error == pytest.approx(abs(analytical - numerical), rel=1e-2)
    assert rel_error == pytest.approx(1.0, rel=1e-2)
    assert row.analytical == pytest.approx(2 * 0.3 * (1 - math.tanh(0.3 * -1.2) ** 2))
    assert "atol = 1e-07 and rtol = 0.0001" in message
    assert "eps = 1e-06" in message
    header = message.splitlines()[4].split()
    assert header == ["input", "point", "analytical", "numerical", "abs", "error", "rel", "error"]


def test_labels_come_from_input_values_or_default_to_x_i():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, w: wrong_mul(x, w), [Value(0.3, label="feature"), -1.2])
    assert [row.wrt for row in caught.value.rows] == ["0 feature", "1 x1"]


def test_tolerances_decide():
    slightly_off = define_op(
        "slightly_off", lambda x: x * x, lambda x, out: 2 * x * (1 + 1e-4)
    )
    assert gradcheck(lambda x: slightly_off(x), [1.5])  # 1e-4 relative is within rtol = 1e-3
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: slightly_off(x), [1.5], rtol=1e-5, atol=0.0)


# ----- several outputs --------------------------------------------------------------------------


def test_several_outputs_check_each_jacobian_row_and_name_the_output():
    def f(x, y):
        return [x * y, wrong_mul(x, y), (x + y).exp()]

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [0.5, 2.0])
    assert len(caught.value.rows) == 6
    assert [(row.output, row.wrt) for row in caught.value.failures] == [(1, "1 x1")]
    message = str(caught.value)
    assert "f returns 3 outputs" in message
    failing_line = next(line for line in message.splitlines() if line.lstrip().startswith("FAIL"))
    assert failing_line.split()[1:3] == ["1", "1"]


def test_several_correct_outputs_pass():
    assert gradcheck(lambda x, y: (x * y, x / y, y.sqrt()), [0.5, 2.0])


# ----- what is wrong with f itself --------------------------------------------------------------


def test_plain_number_result_is_reported():
    with pytest.raises(GradcheckError, match=r"plain float .*not a Value.*\.data"):
        gradcheck(lambda x: math.sin(x.data), [0.5])


def test_detached_result_is_reported():
    with pytest.raises(GradcheckError, match="does not depend on the graph"):
        gradcheck(lambda x: (x * 2).detach(), [0.5])


def test_one_detached_output_among_several_is_named():
    with pytest.raises(GradcheckError, match="output 1 of .* does not depend on the graph"):
        gradcheck(lambda x: [x * 2, Value(x.data)], [0.5])


def test_input_cut_out_of_the_graph_gets_a_note():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: x * Value(y.data), [0.5, 2.0])
    (row,) = caught.value.failures
    assert row.wrt == "1 x1"
    assert "no path from this input" in str(caught.value)


def test_f_returning_nothing_is_a_type_error():
    with pytest.raises(TypeError, match="forget to return"):
        gradcheck(lambda x: None, [0.5])


def test_non_deterministic_f_is_reported():
    draws = itertools.count()
    with pytest.raises(GradcheckError, match="not deterministic"):
        gradcheck(lambda x: x * next(draws), [0.5])


def test_non_repeatable_backward_is_reported():
    calls = itertools.count(1)
    stateful = define_op("stateful", lambda x: x * x, lambda x, out: 2 * x * next(calls))
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: stateful(x), [0.5])
    message = str(caught.value)
    assert "backward is not repeatable" in message
    cells = next(line for line in message.splitlines() if "DIFF" in line).split()
    assert cells[1:] == ["0", "x0", "1", "2"]


# ----- nan and inf: a report, not a crash -------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "x", "note"),
    [
        (lambda x: x.relu(), 0.0, "kink within eps"),
        (lambda x: x.relu(), 4e-7, "slope is 0.4 on the left and 1 on the right"),
        (lambda x: (x - 1.0).leaky_relu(0.1) * x, 1.0, "kink within eps"),
        (lambda x: x.sqrt(), 0.0, "analytical derivative is inf"),
        (lambda x: x.sqrt(), 5e-7, "nan at x - eps"),
        (lambda x: x.log(), -1.0, "value itself is nan"),
        (lambda x: 1 / x, 0.0, "analytical derivative is -inf"),
        (lambda x: x * 2, 1e300, "eps is too small"),
    ],
)
def test_non_finite_or_kinked_points_get_a_clear_report(f, x, note):
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [x])
    assert len(caught.value.failures) == 1
    assert note in str(caught.value)


def test_both_sides_of_a_kink_pass():
    assert gradcheck(lambda x: x.relu(), [-1e-3])
    assert gradcheck(lambda x: x.relu(), [1e-3])


# ----- arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "kwargs", "error", "match"),
    [
        (0.5, {}, TypeError, "one number per argument"),
        ([], {}, ValueError, "inputs is empty"),
        (["0.5"], {}, TypeError, r"inputs\[0\] must be a real number"),
        ([0.5], {"eps": 0.0}, ValueError, "eps"),
        ([0.5], {"atol": -1.0}, ValueError, "atol"),
        ([0.5], {"rtol": math.nan}, ValueError, "rtol"),
    ],
)
def test_bad_arguments_say_what_is_expected(inputs, kwargs, error, match):
    with pytest.raises(error, match=match):
        gradcheck(lambda x: x * x, inputs, **kwargs)


# ----- gradgradcheck ----------------------------------------------------------------------------


def test_gradgradcheck_passes_correct_second_derivatives():
    assert gradgradcheck(lambda x, y: (x * y).tanh() + x.exp() * y.sin(), [0.3, -0.8])


def test_gradgradcheck_catches_a_partial_that_works_on_plain_numbers():
    # math.cos turns a Value into a float, so the first derivative is a constant to the graph.
    cos_of_floats = define_op("cos_of_floats", math.sin, lambda x, out: math.cos(x))
    assert gradcheck(lambda x: cos_of_floats(x), [0.4])  # first derivatives are right
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(lambda x: cos_of_floats(x), [0.4])
    (row,) = caught.value.failures
    assert row.analytical == 0.0
    assert row.numerical == pytest.approx(-math.sin(0.4), rel=1e-6)
    assert "cannot be differentiated again" in str(caught.value)


def test_gradgradcheck_catches_a_wrong_second_derivative_and_names_the_pair():
    # d/dx(x² y) = 2xy is right in value, but half of it is detached: d²/dx² comes out y, not 2y.
    half_detached = define_op(
        "half_detached", lambda x, y: x * x * y,
        lambda x, y, out: 2 * x * y if isinstance(x, float) else (x + x.detach()) * y,
        lambda x, y, out: x * x,
    )
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(lambda x, y: half_detached(x, y), [0.5, 3.0])
    (row,) = caught.value.failures
    assert row.wrt == "0 x0, 0 x0"
    assert row.analytical == pytest.approx(3.0)
    assert row.numerical == pytest.approx(6.0, rel=1e-6)
    assert "analytical / numerical = 0.5" in str(caught.value)


def test_gradgradcheck_catches_create_graph_disagreeing_with_plain_backward():
    two_faced = define_op(
        "two_faced", lambda x: x * x,
        lambda x, out: 2 * x if isinstance(x, float) else 3 * x,
    )
    with pytest.raises(GradcheckError, match="create_graph=True differ from the plain"):
        gradgradcheck(lambda x: two_faced(x), [1.0])


def test_gradgradcheck_names_the_output():
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(lambda x: [x.sin(), x * x * x.detach()], [0.7])
    assert [row.output for row in caught.value.failures] == [1]
    assert "f returns 2 outputs" in str(caught.value)


def test_gradgradcheck_on_a_softplus_of_sigmoids():
    assert gradgradcheck(lambda a, b: (sigmoid(a) * b).softplus(), [0.2, -1.5])
