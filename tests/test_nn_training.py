"""End to end: micrograd's moons demo reaches 100% training accuracy; runs are reproducible."""

import nn


def accuracy(scores, labels):
    return sum((s.data > 0) == (y > 0) for s, y in zip(scores, labels, strict=True)) / len(labels)


def test_moons_demo_reaches_100_percent_training_accuracy():
    # micrograd's demo: MLP(2, [16, 16, 1]) on 100 noisy moons, hinge loss + 1e-4 L2, SGD with
    # the learning rate decaying linearly from 1.0 to 0.1 over 100 steps.
    nn.manual_seed(0)
    X, y = nn.datasets.make_moons(100, noise=0.1, labels=(-1, 1))
    model = nn.MLP(2, [16, 16, 1])
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0)
    schedule = nn.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)
    history = []
    for _ in range(100):
        scores = [model(x) for x in X]
        loss = nn.hinge_loss(scores, y) + nn.l2_penalty(model, alpha=1e-4)
        history.append((loss.data, accuracy(scores, y)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    assert abs(optimizer.lr - 0.1) < 1e-12
    final = accuracy([model(x) for x in X], y)
    assert final == 1.0, f"training accuracy {final} after 100 steps"
    assert history[-1][0] < history[0][0] / 10


def short_run(seed):
    nn.manual_seed(seed)
    X, y = nn.datasets.make_moons(16, noise=0.2)
    model = nn.MLP(2, [4, 1], output_activation="sigmoid")
    drop = nn.Dropout(0.2)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for xb, yb in nn.datasets.batches(X, y, batch_size=8):
        probs = [model(drop(x)) for x in xb]
        loss = nn.binary_cross_entropy(probs, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    return losses, model.state_dict()


def test_same_seed_same_training_run():
    first = short_run(11)
    assert short_run(11) == first
    assert short_run(12) != first
