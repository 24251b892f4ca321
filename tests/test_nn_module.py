"""Module, Neuron, Layer, MLP: naming, counting, modes, repr, seeding, init, validation."""

import math
import random

import numpy as np
import pytest

import nn
from autograd import Value

ACTIVATION_FORMULAS = {
    "relu": lambda z: max(z, 0.0),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "tanh": math.tanh,
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
    "softplus": lambda z: math.log1p(math.exp(z)),
    "linear": lambda z: z,
}


def test_micrograd_mlp_has_337_parameters_with_dotted_names():
    model = nn.MLP(2, [16, 16, 1])
    names = [name for name, _ in model.named_parameters()]
    assert model.num_parameters() == 337 == len(model.parameters()) == len(set(names))
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert "layers.1.neurons.3.w.15" in names
    assert names[-1] == "layers.2.neurons.0.b"
    assert [p for _, p in model.named_parameters()] == model.parameters()


def test_names_are_stable_across_instances_and_point_at_the_right_values():
    a, b = nn.MLP(3, [4, 2], rng=1), nn.MLP(3, [4, 2], rng=2)
    assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
    named = dict(a.named_parameters())
    assert named["layers.0.neurons.3.w.1"] is a.layers[0].neurons[3].w[1]
    assert named["layers.1.neurons.1.b"] is a.layers[1].neurons[1].b


def test_layers_use_relu_hidden_and_linear_output():
    model = nn.MLP(2, [16, 16, 1])
    activations = [layer.neurons[0].activation for layer in model.layers]
    assert activations == ["relu", "relu", "linear"]
    custom = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid")
    assert [layer.neurons[0].activation for layer in custom.layers] == ["tanh", "sigmoid"]


def test_micrograd_neuron_nonlin_and_single_value_layer():
    assert nn.Neuron(3, nonlin=False).activation == "linear"
    assert nn.Neuron(3, nonlin=True).activation == "relu"
    assert nn.Neuron(3).activation == "relu"
    out = nn.Layer(2, 1)([1.0, 2.0])
    assert isinstance(out, Value)
    outs = nn.Layer(2, 3)([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 3
    # A one-neuron layer feeds the next layer as a single Value.
    assert isinstance(nn.MLP(2, [1, 3, 1])([0.5, -0.5]), Value)


def test_micrograd_demo_code_runs_unchanged():
    model = nn.MLP(2, [16, 16, 1], rng=3)
    xs = [[2.0, 3.0], [-1.0, 0.5]]
    ys = [1, -1]
    inputs = [list(map(Value, xrow)) for xrow in xs]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    before = [p.data for p in model.parameters()]
    for p in model.parameters():
        p.data -= 0.1 * p.grad
    moved = sum(p.data != b for p, b in zip(model.parameters(), before, strict=True))
    assert moved > 0
    assert "MLP" in str(model)


@pytest.mark.parametrize("activation", sorted(ACTIVATION_FORMULAS))
def test_neuron_computes_activation_of_weighted_sum(activation):
    neuron = nn.Neuron(3, activation=activation, rng=0)
    neuron.b.data = 0.25
    x = [0.5, -1.5, 2.0]
    z = sum(w.data * xi for w, xi in zip(neuron.w, x, strict=True)) + 0.25
    out = neuron(x)
    assert math.isclose(out.data, ACTIVATION_FORMULAS[activation](z), rel_tol=1e-12)
    out.backward()
    # d out / d w_i = activation'(z) * x_i: compare with a central difference in z.
    h = 1e-6
    f = ACTIVATION_FORMULAS[activation]
    slope = (f(z + h) - f(z - h)) / (2 * h)
    for w, xi in zip(neuron.w, x, strict=True):
        assert math.isclose(w.grad, slope * xi, rel_tol=1e-6, abs_tol=1e-9)
    assert math.isclose(neuron.b.grad, slope, rel_tol=1e-6, abs_tol=1e-9)


def test_neuron_without_bias():
    neuron = nn.Neuron(2, activation="linear", bias=False, rng=0)
    assert neuron.b is None and neuron.num_parameters() == 2
    assert [n for n, _ in neuron.named_parameters()] == ["w.0", "w.1"]
    out = neuron([3.0, -2.0])
    assert math.isclose(out.data, 3 * neuron.w[0].data - 2 * neuron.w[1].data, rel_tol=1e-12)
    assert "bias=False" in repr(neuron)
    assert nn.MLP(2, [3, 1], bias=False).num_parameters() == 2 * 3 + 3


def test_mlp_matches_torch_forward_and_gradients():
    torch = pytest.importorskip("torch")
    model = nn.MLP(3, [4, 4, 2], activation="tanh", output_activation="sigmoid", rng=5)
    x = [0.3, -1.2, 0.8]
    out = model(x)
    loss = out[0] * 2.0 + out[1]
    loss.backward()

    f64 = torch.float64
    layers = []
    for layer in model.layers:
        linear = torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=f64)
        with torch.no_grad():
            weights = [[w.data for w in n.w] for n in layer.neurons]
            linear.weight.copy_(torch.tensor(weights, dtype=f64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=f64))
        layers.append(linear)
    h = torch.tensor(x, dtype=f64)
    h = torch.tanh(layers[0](h))
    h = torch.tanh(layers[1](h))
    t_out = torch.sigmoid(layers[2](h))
    (t_out[0] * 2.0 + t_out[1]).backward()

    np.testing.assert_allclose([o.data for o in out], t_out.detach().numpy(), rtol=1e-12)
    for layer, linear in zip(model.layers, layers, strict=True):
        grads = [[w.grad for w in n.w] for n in layer.neurons]
        np.testing.assert_allclose(grads, linear.weight.grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(
            [n.b.grad for n in layer.neurons], linear.bias.grad.numpy(), rtol=1e-10, atol=1e-14
        )


def test_zero_grad_clears_every_parameter():
    model = nn.MLP(2, [3, 1], rng=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_train_and_eval_reach_every_submodule():
    class Net(nn.Module):
        def __init__(self):
            self.body = nn.MLP(2, [3])
            self.drop = nn.Dropout(0.5)

    net = Net()
    assert net.training and net.drop.training
    assert net.eval() is net
    assert not any(m.training for _, m in net.named_modules())
    net.train()
    assert all(m.training for _, m in net.named_modules())
    with pytest.raises(TypeError, match="bool"):
        net.train("no")


def test_repr_shows_the_structure():
    text = repr(nn.MLP(2, [16, 16, 1]))
    assert text.splitlines() == [
        "MLP(",
        "  (layers.0): Layer(2, 16, activation='relu')",
        "  (layers.1): Layer(16, 16, activation='relu')",
        "  (layers.2): Layer(16, 1, activation='linear')",
        ")",
    ]
    assert repr(nn.Neuron(4, "tanh")) == "Neuron(4, activation='tanh')"

    class Wrapper(nn.Module):
        def __init__(self):
            self.net = nn.MLP(1, [2])
            self.drop = nn.Dropout(0.1)

    assert repr(Wrapper()).splitlines() == [
        "Wrapper(",
        "  (net): MLP(",
        "    (layers.0): Layer(1, 2, activation='linear')",
        "  )",
        "  (drop): Dropout(p=0.1)",
        ")",
    ]


def test_user_module_without_super_init_with_forward_and_shared_parameter():
    class Tied(nn.Module):
        def __init__(self):
            self.scale = Value(2.0)
            self.pair = [self.scale, Value(3.0)]  # the same Value twice: counted once
            self._cache = Value(99.0)  # private: not a parameter

        def forward(self, x):
            return self.scale * x + self.pair[1]

    module = Tied()
    assert [n for n, _ in module.named_parameters()] == ["scale", "pair.1"]
    assert module(4.0).data == 11.0
    assert module.training

    class Silent(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="__call__ or forward"):
        Silent()(1.0)


def test_same_seed_same_model_different_seed_different_model():
    nn.manual_seed(123)
    a = [p.data for p in nn.MLP(2, [8, 1]).parameters()]
    nn.manual_seed(123)
    b = [p.data for p in nn.MLP(2, [8, 1]).parameters()]
    nn.manual_seed(124)
    c = [p.data for p in nn.MLP(2, [8, 1]).parameters()]
    assert a == b and a != c
    # With no rng the weights come from Python's random (as micrograd's), which manual_seed seeds.
    random.seed(123)
    assert [p.data for p in nn.MLP(2, [8, 1]).parameters()] == a
    # An explicit generator draws from numpy: the same for the same seed, whatever random holds.
    explicit = [p.data for p in nn.MLP(2, [8, 1], rng=np.random.default_rng(123)).parameters()]
    random.seed(0)
    again = [p.data for p in nn.MLP(2, [8, 1], rng=np.random.default_rng(123)).parameters()]
    assert explicit == again != a
    assert all(isinstance(v, float) for v in a)


def test_default_init_is_micrograd_uniform_with_zero_bias():
    model = nn.MLP(50, [200], rng=0)
    weights = np.array([w.data for n in model.layers[0].neurons for w in n.w])
    assert weights.min() >= -1 and weights.max() <= 1
    assert abs(weights.mean()) < 0.02 and abs(weights.var() - 1 / 3) < 0.02
    assert all(n.b.data == 0.0 for n in model.layers[0].neurons)


@pytest.mark.parametrize(
    ("scheme", "variance", "bound"),
    [
        ("xavier", 2 / (100 + 60), math.sqrt(6 / 160)),
        ("glorot", 2 / (100 + 60), math.sqrt(6 / 160)),
        ("xavier_normal", 2 / (100 + 60), None),
        ("he_uniform", 2 / 100, math.sqrt(6 / 100)),
        ("he", 2 / 100, None),
    ],
)
def test_xavier_and_he_init_have_their_variances(scheme, variance, bound):
    layer = nn.Layer(100, 60, init=scheme, rng=1)
    weights = np.array([w.data for n in layer.neurons for w in n.w])
    # 6000 draws: the sample variance is within 5% of the target with overwhelming probability.
    assert abs(weights.var() / variance - 1) < 0.05
    if bound is not None:
        assert np.abs(weights).max() <= bound


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: nn.Neuron(0), ValueError, "nin"),
        (lambda: nn.Neuron(-2), ValueError, "nin"),
        (lambda: nn.Neuron(2.5), TypeError, "nin"),
        (lambda: nn.Neuron(True), TypeError, "nin"),
        (lambda: nn.Layer(2, 0), ValueError, "nout"),
        (lambda: nn.Layer(0, 3), ValueError, "nin"),
        (lambda: nn.MLP(0, [3]), ValueError, "nin"),
        (lambda: nn.MLP(2, [3, -1]), ValueError, r"nouts\[1\]"),
        (lambda: nn.MLP(2, []), ValueError, "at least one"),
        (lambda: nn.MLP(2, 3), TypeError, "list of layer sizes"),
        (lambda: nn.Neuron(2, activation="relu6"), ValueError, "unknown activation 'relu6'"),
        (lambda: nn.MLP(2, [3], output_activation="softmax"), ValueError, "unknown activation"),
        (lambda: nn.Neuron(2, activation=abs), TypeError, "activation must be a name"),
        (lambda: nn.Layer(2, 2, init="lecun"), ValueError, "unknown init scheme 'lecun'"),
        (lambda: nn.manual_seed(-1), ValueError, "non-negative"),
        (lambda: nn.manual_seed(1.5), TypeError, "seed"),
    ],
)
def test_constructors_reject_bad_settings_clearly(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_calling_with_the_wrong_number_of_inputs_says_so():
    with pytest.raises(ValueError, match="Neuron expects 3 input"):
        nn.Neuron(3)([1.0, 2.0])
    with pytest.raises(ValueError, match="Layer expects 2 input"):
        nn.Layer(2, 4)([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="list of 2"):
        nn.MLP(2, [1])("ab")
    with pytest.raises(TypeError, match="list of 2"):
        nn.MLP(2, [1])(np.zeros((1, 2)))


def test_a_numpy_row_is_an_input():
    model = nn.MLP(2, [3, 1], rng=0)
    assert model(np.array([0.5, -1.0])).data == model([0.5, -1.0]).data
