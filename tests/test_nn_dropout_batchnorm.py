"""Dropout and BatchNorm: training vs eval behaviour, seeding, and BatchNorm against PyTorch."""

import numpy as np
import pytest

import nn
from autograd import Value


def test_dropout_zeroes_a_fraction_p_and_rescales_the_rest():
    drop = nn.Dropout(0.3, rng=0)
    out = drop([Value(2.0) for _ in range(4000)])
    zeros = sum(o.data == 0.0 for o in out)
    assert abs(zeros / 4000 - 0.3) < 0.03  # about 4 standard deviations
    assert all(o.data in (0.0, 2.0 / 0.7) for o in out)


def test_dropout_gradient_follows_the_mask():
    x = [Value(1.0) for _ in range(50)]
    out = nn.Dropout(0.5, rng=1)(x)
    sum(out).backward()
    assert all(xi.grad == (2.0 if o.data else 0.0) for xi, o in zip(x, out, strict=True))


def test_dropout_is_the_identity_in_eval_mode_and_at_p_0():
    x = [Value(1.0), Value(2.0)]
    drop = nn.Dropout(0.9)
    drop.eval()
    assert drop(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert [o.data for o in nn.Dropout(1.0)(x)] == [0.0, 0.0]
    single = nn.Dropout(0.5, rng=0)(Value(3.0))
    assert isinstance(single, Value) and single.data in (0.0, 6.0)


def test_dropout_masks_are_seeded():
    x = [Value(1.0) for _ in range(30)]

    def mask(**kw):
        return [o.data for o in nn.Dropout(0.5, **kw)(x)]

    nn.manual_seed(4)
    first = mask()
    nn.manual_seed(4)
    assert mask() == first
    assert mask(rng=7) == mask(rng=7)
    drop = nn.Dropout(0.5, rng=7)
    assert [o.data for o in drop(x)] != [o.data for o in drop(x)]  # a fresh mask per call


@pytest.mark.parametrize(
    ("p", "error"), [(-0.1, ValueError), (1.5, ValueError), ("0.5", TypeError)]
)
def test_dropout_rejects_bad_p(p, error):
    with pytest.raises(error, match="dropout probability p"):
        nn.Dropout(p)


def test_batchnorm_normalises_each_feature_over_the_batch():
    norm = nn.BatchNorm(2)
    batch = [[Value(1.0), Value(10.0)], [Value(3.0), Value(20.0)], [Value(5.0), Value(60.0)]]
    out = norm(batch)
    for j in range(2):
        column = np.array([row[j].data for row in out])
        assert abs(column.mean()) < 1e-12
        assert abs(column.var() - 1.0) < 1e-4  # var / (var + eps)
    assert norm.running_mean == pytest.approx([0.3, 3.0])


def test_batchnorm_matches_torch_in_training_and_eval():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    batches = [rng.normal(loc=3.0, scale=2.0, size=(5, 3)) for _ in range(3)]
    ours = nn.BatchNorm(3, momentum=0.2)
    for j in range(3):
        ours.weight[j].data = 1.0 + 0.5 * j
        ours.bias[j].data = -0.3 * j
    theirs = torch.nn.BatchNorm1d(3, momentum=0.2, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([1.0, 1.5, 2.0], dtype=torch.float64))
        theirs.bias.copy_(torch.tensor([0.0, -0.3, -0.6], dtype=torch.float64))
    mix = rng.normal(size=(5, 3))

    for data in batches:
        inputs = [[Value(float(v)) for v in row] for row in data]
        out = ours(inputs)
        ours.zero_grad()
        sum(o * float(m) for row, mrow in zip(out, mix, strict=True)
            for o, m in zip(row, mrow, strict=True)).backward()
        t_in = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        theirs.zero_grad()
        t_out = theirs(t_in)
        (t_out * torch.tensor(mix, dtype=torch.float64)).sum().backward()

        np.testing.assert_allclose([[o.data for o in r] for r in out], t_out.detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose([[v.grad for v in r] for r in inputs], t_in.grad.numpy(),
                                   rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose([w.grad for w in ours.weight], theirs.weight.grad.numpy(),
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose([b.grad for b in ours.bias], theirs.bias.grad.numpy(),
                                   rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-12)

    ours.eval()
    theirs.eval()
    test = rng.normal(size=(2, 3))
    out = ours([[float(v) for v in row] for row in test])
    t_out = theirs(torch.tensor(test, dtype=torch.float64))
    np.testing.assert_allclose([[o.data for o in r] for r in out], t_out.detach().numpy(),
                               rtol=1e-10)


def test_batchnorm_on_single_values_and_in_a_model():
    norm = nn.BatchNorm(1)
    out = norm([Value(1.0), Value(3.0)])
    # mean 2, biased variance 1: (x - 2) / sqrt(1 + eps)
    assert [o.data for o in out] == pytest.approx([-(1 + 1e-5) ** -0.5, (1 + 1e-5) ** -0.5], 1e-14)

    class Net(nn.Module):
        def __init__(self):
            self.hidden = nn.Layer(2, 4, activation="linear", rng=0)
            self.norm = nn.BatchNorm(4)
            self.out = nn.Layer(4, 1, activation="linear", rng=1)

        def forward(self, batch):
            h = self.norm([self.hidden(x) for x in batch])
            return [self.out([v.relu() for v in row]) for row in h]

    net = Net()
    assert net.num_parameters() == 12 + 8 + 5
    scores = net([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    sum(scores).backward()
    assert any(w.grad != 0 for w in net.hidden.parameters())


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="at least 2 samples"):
        nn.BatchNorm(2)([[1.0, 2.0]])
    with pytest.raises(ValueError, match="sample with 3 features at index 1"):
        nn.BatchNorm(2)([[1.0, 2.0], [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="num_features"):
        nn.BatchNorm(0)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm(2, momentum=1.5)
    eval_norm = nn.BatchNorm(2).eval()
    assert len(eval_norm([[1.0, 2.0]])) == 1  # one sample is fine with running statistics
