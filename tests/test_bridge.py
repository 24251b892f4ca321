"""The bridge to PyTorch: the same weights compute the same outputs and gradients both ways."""

import sys

import numpy as np
import pytest

import nn
from autograd import Value
from nn.bridge import torch_tensors

torch = pytest.importorskip("torch")

BATCH = [[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8], [2.0, -2.0]]
TARGETS = [1.0, -1.0, 1.0, -1.0]


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.MLP(2, [8, 8, 1], rng=0),
        lambda: nn.MLP(2, [5, 3], activation="tanh", output_activation="sigmoid", rng=1),
        lambda: nn.Sequential(nn.Linear(2, 6, rng=2), nn.LeakyReLU(0.1), nn.Linear(6, 1, rng=3)),
        lambda: nn.Layer(2, 3, activation="softplus", rng=4),
    ],
    ids=["mlp", "mlp-tanh-sigmoid", "sequential", "layer"],
)
def test_outputs_and_gradients_agree_with_torch(make):
    model = make()
    twin = nn.to_torch(model)
    assert all(p.dtype == torch.float64 for p in twin.parameters())

    outputs = [model(x) for x in BATCH]
    ours = [[o.data for o in (out if isinstance(out, list) else [out])] for out in outputs]
    theirs = twin(torch.tensor(BATCH, dtype=torch.float64))
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-12, atol=1e-12)

    flat = [o for out in outputs for o in (out if isinstance(out, list) else [out])]
    nn.mse_loss(flat, [t for t, out in zip(TARGETS, ours) for _ in out]).backward()
    target = torch.tensor(TARGETS, dtype=torch.float64)[:, None].expand_as(theirs)
    torch.nn.functional.mse_loss(theirs, target).backward()
    torch_grads = dict(twin.named_parameters())
    for name, values in torch_tensors(model).items():
        grads = np.vectorize(lambda v: v.grad, otypes=[float])(np.array(values, dtype=object))
        np.testing.assert_allclose(
            grads, torch_grads[name].grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=name
        )


def test_state_dict_names_and_shapes_are_torchs():
    model = nn.MLP(3, [4, 4, 2], rng=0)
    ours = model.state_dict(torch_names=True)
    theirs = nn.to_torch(model).state_dict()
    assert list(ours) == list(theirs) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight",
                                          "4.bias"]
    for name in ours:
        assert ours[name].shape == tuple(theirs[name].shape)
        np.testing.assert_array_equal(ours[name], theirs[name].numpy())


def test_a_torch_checkpoint_loads_into_the_chainrule_model():
    model = nn.MLP(3, [4, 2], rng=0)
    trained = nn.to_torch(nn.MLP(3, [4, 2], rng=1)).state_dict()
    model.load_state_dict(trained)
    for name, array in model.state_dict(torch_names=True).items():
        np.testing.assert_array_equal(array, trained[name].numpy())
    wrong = {**trained, "0.weight": trained["0.weight"][:2]}
    before = model.state_dict()
    with pytest.raises(nn.CheckpointError, match=r"'0.weight' has shape \(2, 3\)"):
        model.load_state_dict(wrong)
    assert model.state_dict() == before  # nothing was loaded


def test_a_round_trip_is_exact():
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2, bias=False),
        torch.nn.Sigmoid(), torch.nn.Identity(),
    ).double()
    ours = nn.from_torch(module)
    assert isinstance(ours, nn.Sequential) and isinstance(ours[0], nn.Linear)
    assert ours[2].bias is None
    back = nn.to_torch(ours)
    for (name, a), (other, b) in zip(module.state_dict().items(), back.state_dict().items()):
        assert name == other and torch.equal(a, b)
    assert nn.to_torch(nn.from_torch(back)).state_dict().keys() == module.state_dict().keys()
    x = [0.1, -0.2, 0.3]
    expected = module(torch.tensor(x, dtype=torch.float64)).tolist()
    assert [v.data for v in ours(x)] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_unsupported_modules_are_named():
    with pytest.raises(TypeError, match="BatchNorm has no PyTorch counterpart"):
        nn.to_torch(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm(2)))
    with pytest.raises(TypeError, match=r"torch.nn.Conv1d has no chainrule counterpart"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 3)))


def test_without_torch_the_message_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[torch\]'"):
        nn.to_torch(nn.Linear(2, 1))
    assert Value(1.0).item() == 1.0  # chainrule itself does not need torch
