"""Compiled replay over batches: a graph built for one sample, run on many, each sample checked
against an eager backward of the same sample; and nn's compile_loss / compile_model."""

import numpy as np
import pytest
from compile_recipes import build, disagreements, random_recipe
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn
from autograd import Value


def eager_per_sample(recipe, batch, parameter_values):
    """Each sample's output and input gradients, and the parameters' gradients summed."""
    parameters = [Value(p) for p in parameter_values]
    outputs, input_grads = [], []
    for row in batch:
        inputs = [Value(x) for x in row]
        _, output = build(recipe, inputs + parameters)
        output.backward()
        outputs.append(output.data)
        input_grads.append([x.grad for x in inputs])
    return outputs, input_grads, [p.grad for p in parameters]


@given(
    st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3),
    st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3),
    st.integers(0, 2**32),
    st.integers(1, 14),
    st.integers(1, 6),
)
def test_each_sample_of_a_batch_matches_its_eager_backward(inputs, parameters, seed, steps, size):
    recipe = random_recipe(seed, inputs + parameters, steps)
    rng = np.random.default_rng(seed)
    batch = np.array(inputs) + rng.normal(0.0, 0.1, (size, len(inputs)))
    outputs, input_grads, parameter_grads = eager_per_sample(recipe, batch, parameters)

    input_leaves = [Value(x) for x in inputs]
    parameter_leaves = [Value(p) for p in parameters]
    _, output = build(recipe, input_leaves + parameter_leaves)
    tape = autograd.compile(output, inputs=input_leaves)
    compiled = tape.run(batch)
    bad = (
        disagreements("output", compiled, outputs)
        + disagreements("input grad", tape.input_grads, input_grads)
        + disagreements("parameter grad", [p.grad for p in parameter_leaves], parameter_grads)
    )
    assert not bad, "\n".join(bad) + f"\nrecipe: {recipe}"
    assert all(x.grad == 0.0 for x in input_leaves)  # a batch's inputs are not leaves' .grad

    for p in parameter_leaves:
        p.grad = 0.0
    tape.run(batch, reduction="mean")
    mean_grads = [g / size for g in parameter_grads]
    assert not disagreements("mean grad", [p.grad for p in parameter_leaves], mean_grads)


def mlp_loss(model, x, t):
    return nn.compiled.soft_cross_entropy(model(x), t)


def test_a_neuron_layer_batch_matches_eager_per_sample():
    nn.manual_seed(1)
    model = nn.MLP(6, [5, 4], init="he")
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(9, 6)), rng.integers(0, 4, 9)

    model.zero_grad()
    eager = []
    for row, label in zip(X, y):
        loss = nn.cross_entropy(model(row), int(label))
        loss.backward()
        eager.append(loss.data)
    eager_grads = [p.grad for p in model.parameters()]

    model.zero_grad()
    loss_step = nn.compile_loss(model, nn.compiled.soft_cross_entropy, 6, n_targets=4,
                                reduction="sum")
    assert loss_step(X, y) == pytest.approx(sum(eager), rel=1e-12)
    assert not disagreements("loss", loss_step.losses, eager)
    assert not disagreements("grad", [p.grad for p in model.parameters()], eager_grads)
    kinds = {group.rules.op.name for group in loss_step.tape._recording.groups}
    assert "linear" in kinds  # the layer's neurons went through the matrix-product path


def test_compiled_training_follows_eager_training():
    """Moons with hinge loss and L2: five SGD steps, compiled and eager, from the same weights."""
    X, y = nn.datasets.make_moons(40, noise=0.1, labels=(-1, 1), seed=0)
    models = [nn.MLP(2, [8, 8, 1], rng=0) for _ in range(2)]
    optimizers = [nn.optim.SGD(m.parameters(), lr=0.1) for m in models]

    def per_sample(score, target):
        return nn.hinge_loss(score, target) + nn.l2_penalty(models[1], alpha=1e-3)

    loss_step = nn.compile_loss(models[1], per_sample, n_inputs=2)
    for _ in range(5):
        eager = nn.hinge_loss([models[0](x) for x in X], y) + nn.l2_penalty(models[0], 1e-3)
        optimizers[0].zero_grad()
        eager.backward()
        optimizers[0].step()
        optimizers[1].zero_grad()
        assert loss_step(np.array(X), np.array(y, dtype=float)) == pytest.approx(
            eager.data, rel=1e-12
        )
        optimizers[1].step()
    weights = [[p.data for p in m.parameters()] for m in models]
    assert not disagreements("weights", weights[1], weights[0])


def test_compile_model_predicts_every_row():
    model = nn.MLP(3, [4, 2], rng=2)
    X = np.random.default_rng(2).normal(size=(7, 3))
    predict = nn.compile_model(model, 3)
    expected = [[v.data for v in model(row)] for row in X]
    assert not disagreements("outputs", predict(X), expected)
    single = nn.compile_model(nn.MLP(3, [4, 1], rng=2), 3)
    assert single(X).shape == (7,)


def test_targets_enter_as_columns_one_hot_or_as_given():
    model = nn.MLP(2, [3], rng=3)
    X = np.array([[0.5, -1.0], [1.0, 2.0]])
    loss_step = nn.compile_loss(model, nn.mse_loss, 2, n_targets=3)
    by_index = loss_step(X, np.array([2, 0]))
    by_row = loss_step(X, np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]))
    assert by_index == by_row
    with pytest.raises(ValueError, match="class indices must be in 0..2"):
        loss_step(X, np.array([3, 0]))
    with pytest.raises(TypeError, match="class indices"):
        loss_step(X, np.array([0.5, 1.5]))
    with pytest.raises(ValueError, match="X has 2 samples but y has 3"):
        loss_step(X, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"X must be an array \(samples, 2\)"):
        loss_step(X[:, :1], np.array([0, 1]))


def test_compile_loss_refuses_dropout_in_training_mode():
    class Net(nn.Module):
        def __init__(self):
            self.mlp = nn.MLP(2, [3, 1], rng=4)
            self.drop = nn.Dropout(0.5)

        def __call__(self, x):
            return self.mlp(self.drop(x))

    net = Net()
    loss_step = nn.compile_loss(net, nn.mse_loss, 2)
    with pytest.raises(ValueError, match="training mode.*model.eval"):
        loss_step(np.zeros((2, 2)), np.zeros(2))
    net.eval()
    assert loss_step(np.zeros((2, 2)), np.zeros(2)) == pytest.approx(net([0.0, 0.0]).data ** 2)


def test_compile_loss_checks_its_settings():
    model = nn.MLP(2, [1])
    with pytest.raises(ValueError, match="reduction"):
        nn.compile_loss(model, nn.mse_loss, 2, reduction="max")
    with pytest.raises(TypeError, match="n_inputs must be an int"):
        nn.compile_loss(model, nn.mse_loss, 2.0)
    with pytest.raises(TypeError, match="loss_fn must return a Value"):
        nn.compile_loss(model, lambda p, t: 0.0, 2)(np.zeros((1, 2)), np.zeros(1))


def test_nn_losses_compile_with_the_same_numbers():
    """Every loss of nn.functional, a batch of probabilities and targets as graph inputs."""
    rng = np.random.default_rng(5)
    probabilities = np.r_[[0.0, 1.0, 1e-30], rng.uniform(0.01, 0.99, 5)]
    targets = np.r_[[0.0, 1.0, 1.0], rng.uniform(0.0, 1.0, 5)]
    losses = {
        "binary_cross_entropy": nn.binary_cross_entropy,
        "binary_cross_entropy_with_logits": nn.binary_cross_entropy_with_logits,
        "mse_loss": nn.mse_loss,
        "l1_loss": nn.l1_loss,
    }
    for name, loss_fn in losses.items():
        p, t = Value(0.5), Value(0.5)
        tape = autograd.compile(loss_fn(p, t), inputs=[p, t])
        compiled = tape.run(np.stack([probabilities, targets], axis=1))
        eager, eager_grads = [], []
        for a, b in zip(probabilities, targets):
            p, t = Value(a), Value(b)
            loss = loss_fn(p, t)
            loss.backward()
            eager.append(loss.data)
            eager_grads.append([p.grad, t.grad])
        bad = disagreements("loss", compiled, eager) + disagreements(
            "grad", tape.input_grads, eager_grads
        )
        assert not bad, f"{name}: " + "\n".join(bad)
