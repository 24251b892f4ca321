"""Checkpoints: round trips, atomic saves, and every load failure leaves the model unchanged."""

import io
import math
import os
import pickle
import zipfile

import numpy as np
import pytest

import nn
from autograd import Value
from nn.checkpoint import FORMAT_MARKER


@pytest.fixture
def model():
    return nn.MLP(2, [3, 1], rng=0)


def snapshot(module):
    return module.state_dict(), [p.grad for p in module.parameters()], module.training


def write_npz(path, **arrays):
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def checkpoint_arrays(module, **overrides):
    state = module.state_dict()
    arrays = {
        "format": np.array(FORMAT_MARKER),
        "version": np.array(1),
        "names": np.array(list(state)),
        "values": np.array(list(state.values())),
        "architecture": np.array(repr(module)),
    }
    arrays.update(overrides)
    return arrays


def test_save_and_load_round_trip(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    saved = model.state_dict()
    for p in model.parameters():
        p.data += 1.0
    result = model.load(path)
    assert model.state_dict() == saved
    assert result == nn.LoadResult([], [])
    # The file is an ordinary .npz readable without pickle.
    with np.load(path, allow_pickle=False) as archive:
        assert list(archive["names"]) == list(saved)
        assert archive["values"].tolist() == list(saved.values())
    other = nn.MLP(2, [3, 1], rng=99)
    other.load(str(path))
    assert other([0.3, -0.7]).data == model([0.3, -0.7]).data


def test_state_dict_is_a_snapshot_of_floats(model):
    state = model.state_dict()
    assert list(state) == [name for name, _ in model.named_parameters()]
    assert all(type(v) is float for v in state.values())
    model.parameters()[0].data = 123.0
    assert state["layers.0.neurons.0.w.0"] != 123.0


def test_batchnorm_running_statistics_are_saved_and_restored(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            self.layer = nn.Layer(2, 2, activation="linear", rng=0)
            self.norm = nn.BatchNorm(2)

    net = Net()
    net.norm([[1.0, 2.0], [3.0, 5.0], [0.0, -1.0]])
    state = net.state_dict()
    assert "norm.running_mean.1" in state and "norm.running_var.0" in state
    net.save(tmp_path / "net.npz")
    fresh = Net()
    fresh.load(tmp_path / "net.npz")
    assert fresh.norm.running_mean == net.norm.running_mean
    assert fresh.norm.running_var == net.norm.running_var


def test_save_is_atomic_when_the_write_fails(model, tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    model.save(path)
    original = path.read_bytes()
    for p in model.parameters():
        p.data = 7.0

    def failing_savez(file, **arrays):
        file.write(b"PK\x03\x04 half written")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind


def half_written_then(error):
    def savez(file, **arrays):
        complete = io.BytesIO()
        real_savez(complete, **arrays)
        file.write(complete.getvalue()[: len(complete.getvalue()) // 2])
        raise error

    return savez


real_savez = np.savez


def fail(error):
    def failing(*args, **kwargs):
        raise error

    return failing


INTERRUPTIONS = {  # where the save is cut short: (module, function, stand-in, error raised)
    "half written, disk full": (np, "savez", half_written_then(OSError("disk full")), OSError),
    "half written, Ctrl-C": (
        np, "savez", half_written_then(KeyboardInterrupt()), KeyboardInterrupt
    ),
    "fsync fails": (os, "fsync", fail(OSError("I/O error")), OSError),
    "rename fails": (os, "replace", fail(PermissionError("read-only")), PermissionError),
}


@pytest.mark.parametrize("had_a_file", [True, False], ids=["over a file", "new file"])
@pytest.mark.parametrize("where", list(INTERRUPTIONS))
def test_an_interrupted_save_leaves_the_previous_file_and_no_temporary(
    model, tmp_path, monkeypatch, where, had_a_file
):
    path = tmp_path / "model.npz"
    saved = model.state_dict()
    if had_a_file:
        model.save(path)
    original = path.read_bytes() if had_a_file else None
    for p in model.parameters():
        p.data += 1.0
    module, name, replacement, error = INTERRUPTIONS[where]
    with monkeypatch.context() as patch:
        patch.setattr(module, name, replacement)
        with pytest.raises(error):
            model.save(path)
    assert os.listdir(tmp_path) == (["model.npz"] if had_a_file else [])
    if had_a_file:
        assert path.read_bytes() == original
        model.load(path)  # and it still loads: the previous state, complete
        assert model.state_dict() == saved


def test_the_file_being_replaced_is_never_half_written(model, tmp_path, monkeypatch):
    # Readers during a save see the old file: the new one is written elsewhere and renamed.
    path = tmp_path / "model.npz"
    model.save(path)
    original = path.read_bytes()
    seen_during_write = []

    def watching_savez(file, **arrays):
        real_savez(file, **arrays)
        seen_during_write.append(path.read_bytes())

    monkeypatch.setattr(np, "savez", watching_savez)
    for p in model.parameters():
        p.data *= 2.0
    model.save(path)
    assert seen_during_write == [original]
    assert path.read_bytes() != original and os.listdir(tmp_path) == ["model.npz"]


def test_save_refuses_non_finite_parameters(model, tmp_path):
    model.parameters()[2].data = math.nan
    with pytest.raises(ValueError, match="non-finite.*layers.0.neurons.0.b"):
        model.save(tmp_path / "bad.npz")
    assert not os.listdir(tmp_path)


def mismatched_files(tmp_path):
    """(description, path, expected message) for every kind of bad checkpoint."""
    model = nn.MLP(2, [3, 1], rng=0)
    smaller, bigger = nn.MLP(2, [2, 1], rng=0), nn.MLP(2, [3, 1, 1], rng=0)
    cases = []

    def add(name, message, write):
        path = tmp_path / name
        write(path)
        cases.append((name, path, message))

    add("missing.npz", "missing key", smaller.save)
    add("unexpected.npz", "unexpected key", bigger.save)
    add(
        "count.npz",
        "13 names but 12 values",
        lambda p: write_npz(p, **checkpoint_arrays(model, values=np.zeros(12))),
    )
    nan_values = np.array(list(model.state_dict().values()))
    nan_values[4] = np.inf
    add(
        "nonfinite.npz",
        "non-finite",
        lambda p: write_npz(p, **checkpoint_arrays(model, values=nan_values)),
    )
    add(
        "shape.npz",
        "shape",
        lambda p: write_npz(p, **checkpoint_arrays(model, values=np.zeros((13, 1)))),
    )
    add(
        "dtype.npz",
        "float64",
        lambda p: write_npz(p, **checkpoint_arrays(model, values=np.zeros(13, dtype=np.float32))),
    )
    add(
        "version.npz",
        "version 2",
        lambda p: write_npz(p, **checkpoint_arrays(model, version=np.array(2))),
    )
    names = np.array(["layers.0.neurons.0.w.0"] * 13)
    add("twice.npz", "twice", lambda p: write_npz(p, **checkpoint_arrays(model, names=names)))
    add("foreign.npz", "without chainrule's format marker", lambda p: write_npz(p, a=np.zeros(3)))
    add("array.npy", "single numpy array", lambda p: np.save(p, np.zeros(13)))
    add("text.npz", "not a loadable", lambda p: p.write_text("weights: 1, 2, 3\n"))
    add("random.npz", "not a loadable", lambda p: p.write_bytes(os.urandom(256)))
    add("empty.npz", "not a loadable", lambda p: p.write_bytes(b""))

    def truncated(p):
        model.save(p)
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])

    add("truncated.npz", "truncated", truncated)
    add(
        "object.npz",
        "pickled",
        lambda p: np.savez(p, **checkpoint_arrays(model, names=np.array([{"x": 1}], dtype=object))),
    )
    return cases


def test_every_bad_checkpoint_is_refused_and_the_model_is_unchanged(model, tmp_path):
    model([1.0, 2.0]).backward()  # grads too must survive
    before = snapshot(model)
    cases = mismatched_files(tmp_path)
    assert len(cases) == 15
    for name, path, message in cases:
        with pytest.raises(nn.CheckpointError, match=message):
            model.load(path)
        assert snapshot(model) == before, name


def test_a_file_cut_anywhere_or_with_any_byte_damaged_is_refused(model, tmp_path):
    # Every cut (a save killed mid-write by something outside Python, a partial copy), and
    # damaged bytes all over the file: a clear CheckpointError, or, where the damage hit
    # nothing that is read (zip metadata such as timestamps), exactly the saved state.
    # Never a half-loaded model.
    path = tmp_path / "model.npz"
    model.save(path)
    saved, data = model.state_dict(), path.read_bytes()
    for p in model.parameters():
        p.data += 1.0
    before = snapshot(model)
    damaged = [data[:cut] for cut in range(0, len(data), max(1, len(data) // 40))]
    damaged += [data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:]
                for i in range(0, len(data), max(1, len(data) // 97))]
    refused = 0
    for i, content in enumerate(damaged):
        path.write_bytes(content)
        try:
            model.load(path)
        except nn.CheckpointError as error:
            refused += 1
            assert "not a loadable chainrule checkpoint" in str(error), i
            assert snapshot(model) == before, i
        else:
            assert model.state_dict() == saved, i
            model.load_state_dict(before[0])
    assert refused >= len(damaged) * 3 // 4


def test_a_pickle_payload_is_never_executed(model, tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(Payload()))
    before = snapshot(model)
    with pytest.raises(nn.CheckpointError, match="pickled"):
        model.load(path)
    # The same payload inside an .npz archive member.
    with zipfile.ZipFile(tmp_path / "evil2.npz", "w") as archive:
        archive.writestr("names.npy", pickle.dumps(Payload()))
        archive.writestr("format.npy", pickle.dumps(Payload()))
    with pytest.raises(nn.CheckpointError):
        model.load(tmp_path / "evil2.npz")
    assert not marker.exists()
    assert snapshot(model) == before


def test_mismatch_message_names_keys_and_both_architectures(model, tmp_path):
    nn.MLP(2, [2, 1], rng=0).save(tmp_path / "small.npz")
    with pytest.raises(nn.CheckpointError) as info:
        model.load(tmp_path / "small.npz")
    text = str(info.value)
    assert "4 missing key(s): layers.0.neurons.2.w.0" in text
    assert "Layer(2, 2, activation='relu')" in text and "Layer(2, 3, activation='relu')" in text
    assert "strict=False" in text


def test_missing_file_is_file_not_found_and_model_unchanged(model, tmp_path):
    before = snapshot(model)
    with pytest.raises(FileNotFoundError):
        model.load(tmp_path / "nowhere.npz")
    assert snapshot(model) == before


def test_non_strict_loads_the_common_keys(model, tmp_path):
    bigger = nn.MLP(2, [3, 1, 1], rng=5)
    bigger.save(tmp_path / "big.npz")
    result = model.load(tmp_path / "big.npz", strict=False)
    assert result.missing_keys == []
    assert result.unexpected_keys == ["layers.2.neurons.0.w.0", "layers.2.neurons.0.b"]
    theirs = bigger.state_dict()
    assert all(theirs[k] == v for k, v in model.state_dict().items())

    before = model.state_dict()
    smaller = nn.MLP(2, [2, 1], rng=6)
    result = model.load_state_dict(smaller.state_dict(), strict=False)
    assert result.missing_keys == [
        "layers.0.neurons.2.w.0",
        "layers.0.neurons.2.w.1",
        "layers.0.neurons.2.b",
        "layers.1.neurons.0.w.2",
    ]
    after = model.state_dict()
    for key, value in after.items():
        assert value == (before[key] if key in result.missing_keys else smaller.state_dict()[key])


@pytest.mark.parametrize(
    ("state", "error", "message"),
    [
        ([1.0, 2.0], TypeError, "mapping"),
        ({1: 1.0}, TypeError, "keys must be str"),
        (lambda s: {**s, "layers.0.neurons.0.b": "0.5"}, TypeError, "must be a real number"),
        (lambda s: {**s, "layers.0.neurons.0.b": Value(0.5)}, TypeError, "real number"),
        (lambda s: {**s, "layers.1.neurons.0.b": math.nan}, nn.CheckpointError, "non-finite"),
        (lambda s: {**s, "extra": 1.0}, nn.CheckpointError, "unexpected key.*extra"),
        (lambda s: {k: v for k, v in s.items() if k != "layers.1.neurons.0.b"},
         nn.CheckpointError, "missing key"),
    ],
)
def test_load_state_dict_validates_before_touching_anything(model, state, error, message):
    before = snapshot(model)
    if callable(state):
        state = state({k: v + 1.0 for k, v in model.state_dict().items()})
    with pytest.raises(error, match=message):
        model.load_state_dict(state)
    assert snapshot(model) == before
