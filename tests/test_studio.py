"""The training studio's server, driven through its JSON API on a free port of 127.0.0.1."""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from studio_client import EventStream, control, request, state, wait_for

import nn
import nn.studio

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def studio():
    running = nn.studio.serve(speed=1000)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def shared_studio():
    """One server for the many bad requests: it must go on answering after each of them."""
    running = nn.studio.serve(speed=1000)
    try:
        yield running
    finally:
        running.stop()


def test_play_trains_and_the_loss_falls(studio):
    first = state(studio)
    assert {"step", "loss", "accuracy", "running", "config"} <= set(first)
    assert first["step"] == 0 and first["running"] is False
    assert first["config"]["dataset"] == "moons" and len(first["points"]) == 100
    assert control(studio, "play")["running"] is True
    later = wait_for(lambda: (s := state(studio))["step"] >= 150 and s)
    assert later["loss"] < 0.5 * first["loss"]
    assert later["accuracy"] >= 0.95
    assert 0 < state(studio)["steps_per_second"] <= 1000
    paused = control(studio, "pause")
    assert paused["running"] is False and paused["steps_per_second"] == 0
    time.sleep(0.3)
    assert state(studio)["step"] == state(studio)["step"]  # nothing trains while paused
    # The curve is the loss over all points, step by step.
    history = state(studio)["history"]
    assert history["step"][0] == 0 and history["loss"][0] == pytest.approx(first["loss"])


def test_step_takes_one_optimizer_step_and_reset_starts_over(studio):
    first = state(studio)
    one = control(studio, "step")
    assert one["step"] == 1 and one["running"] is False
    assert one["network"]["weights"] != first["network"]["weights"]
    assert control(studio, "step")["step"] == 2
    again = control(studio, "reset")
    assert again["step"] == 0
    assert again["network"]["weights"] == first["network"]["weights"]  # the same seed


def test_a_diverging_loss_pauses_training_and_says_why():
    with nn.studio.serve(
        optimizer="sgd", learning_rate=10, loss="mse", activation="relu", hidden_layers=3,
        width=32, speed=1000, play=True,
    ) as studio:
        stopped = wait_for(lambda: (s := state(studio))["running"] is False and s)
        assert "training paused. Lower the learning rate" in stopped["message"]
        assert stopped["loss"] is None  # inf or nan, sent as JSON null
        assert control(studio, "reset")["message"] == ""


def _weights_after_one_step(engine: str, **settings) -> list:
    with nn.studio.serve(engine=engine, **settings) as studio:
        return control(studio, "step")["network"]["weights"]


@pytest.mark.parametrize(
    "settings",
    [
        {"loss": "logistic", "optimizer": "sgd", "learning_rate": 0.5},
        {"loss": "hinge", "optimizer": "momentum", "l2": 0.01, "activation": "relu"},
        {"loss": "mse", "optimizer": "adam", "activation": "sigmoid"},
        {"dataset": "blobs", "optimizer": "sgd", "learning_rate": 0.5, "l2": 0.001},
    ],
)
def test_eager_and_compiled_steps_agree(settings):
    # Two implementations of the same step: the batch's graph and backward(), and the replayed
    # graph of one sample on the whole batch. They start from the same seed and batch.
    eager = _weights_after_one_step("eager", **settings)
    compiled = _weights_after_one_step("compiled", **settings)
    for eager_layer, compiled_layer in zip(eager, compiled, strict=True):
        for row_e, row_c in zip(eager_layer, compiled_layer, strict=True):
            assert row_e == pytest.approx(row_c, rel=1e-9, abs=1e-12)


def test_the_output_neurons_gradient_is_the_logistic_closed_form(studio):
    s = control(studio, "step")
    net = s["network"]
    i = s["config"]["sample"]
    label = s["points"][i][2]
    score = net["activation"][-1][0]
    # d/ds of the logistic loss -[t log σ(s) + (1 - t) log(1 - σ(s))] is σ(s) - t.
    expected = 1 / (1 + math.exp(-score)) - label
    assert net["grad"][-1][0] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    # One layer down, through the linear output: dL/dh_k = (σ(s) - t) · w_k.
    out_weights = net["weights"][-1][0]
    for k, grad in enumerate(net["grad"][-2]):
        assert grad == pytest.approx(expected * out_weights[k], rel=1e-12, abs=1e-15)


def test_the_heat_map_is_the_models_output_at_the_cells_centres():
    model = nn.MLP(2, [5, 1], activation="tanh", rng=2)
    with nn.studio.serve(model) as studio:
        control(studio, "step")
        s = state(studio)
    grid = s["boundary"]
    size = grid["size"]
    xmin, xmax, ymin, ymax = s["bounds"]
    assert grid["outputs"] == 1 and len(grid["values"]) == size * size
    for row, column in [(0, 0), (0, size - 1), (size - 1, 0), (17, 30), (size // 2, size // 2)]:
        x = xmin + (column + 0.5) / size * (xmax - xmin)
        y = ymax - (row + 0.5) / size * (ymax - ymin)
        expected = math.tanh(model([x, y]).data)  # eager, on the trained weights
        assert grid["values"][row * size + column] == pytest.approx(expected, abs=6e-5)


def test_a_neurons_value_graph_shows_its_data_and_grad(studio):
    s = control(studio, "step")
    status, neuron = request(studio, "/api/neuron", extra="&layer=2&index=3")
    assert status == 200, neuron
    assert neuron["label"] == "h2.3"
    assert neuron["data"] == s["network"]["activation"][2][3]
    assert neuron["grad"] == s["network"]["grad"][2][3]
    assert neuron["collapsed"] == "no" and neuron["values"] == 53  # 2 + 8·5 + 8 + 1 + 2
    assert math.tanh(neuron["weighted_sum"]) == pytest.approx(neuron["data"], rel=1e-12)
    assert neuron["svg"].lstrip().startswith(("<?xml", "<svg", "<!--"))
    assert "h2.3" in neuron["svg"] and "h1.7.b" in neuron["svg"]
    # autograd.explain: the same gradient as the sum over the neuron's consumers (the 1 output
    # neuron), checked numerically; the parameters are named as in the drawing.
    explained = neuron["explain"]
    assert explained["gradient"] == pytest.approx(neuron["grad"], rel=1e-12)
    assert explained["agrees"] and explained["numerical"] == pytest.approx(neuron["grad"], rel=1e-4)
    assert explained["text"].startswith("dL/d(h2.3), where L is loss")
    assert "out.0.w.3" in explained["text"]
    model = nn.MLP(2, [3, 1], rng=0)
    with nn.studio.serve(model) as own:
        request(own, "/api/neuron", extra="&layer=1&index=0")
    assert [p.label for p in model.parameters()] == [""] * model.num_parameters()
    # The parameters' gradients from training are left as they were.
    assert state(studio)["network"]["grad_norms"] == s["network"]["grad_norms"]


def test_a_large_neurons_graph_is_drawn_collapsed(studio):
    status, reply = request(studio, "/api/config", {"hidden_layers": 3, "width": 30})
    assert status == 200, reply
    status, out = request(studio, "/api/neuron", extra="&layer=4&index=0")
    assert status == 200 and out["collapsed"] == "one box per layer", out
    assert out["values"] > 2000 and "h3" in out["svg"]
    status, first = request(studio, "/api/neuron", extra="&layer=1&index=0")
    assert status == 200 and first["collapsed"] == "no" and first["values"] == 7


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/config", {"learning_rate": -0.1}, "learning_rate must be > 0"),
        ("/api/config", {"learning_rate": "fast"}, "learning_rate must be a number"),
        ("/api/config", {"learning_rate": True}, "learning_rate must be a number"),
        ("/api/config", {"width": 0}, "width must be from 1 to 64; got 0"),
        ("/api/config", {"width": 10_000}, "width must be from 1 to 64; got 10000"),
        ("/api/config", {"hidden_layers": 2.5}, "hidden_layers must be a whole number"),
        ("/api/config", {"batch_size": "32"}, "batch_size must be a whole number"),
        ("/api/config", {"activation": "swish"}, "activation must be one of tanh, relu"),
        ("/api/config", {"loss": "cross_entropy"}, "does not suit 2 classes"),
        ("/api/config", {"colour": "red"}, "unknown setting 'colour'"),
        ("/api/config", {"width": 4, "l2": -1}, "l2 must be >= 0"),
        ("/api/config", [1, 2], "settings must be a JSON object"),
        ("/api/config", b'{"learning_rate": NaN}', "not valid JSON: NaN"),
        ("/api/config", b"{learning_rate: 0.1", "not valid JSON"),
        ("/api/config", b"\xff\xfe", "not valid JSON"),
        ("/api/config", b"x" * 1_000_001, "the body is 1,000,001 bytes; the limit is 1,000,000"),
        ("/api/control", {"action": "jump"}, "action must be one of play, pause, step, reset"),
        ("/api/control", {"action": "play", "now": True}, '{"action": "play"'),
        ("/api/points", {"add": [[0.1, 0.2, 7]]}, "label must be a class from 0 to 1"),
        ("/api/points", {"add": [[50.0, 0.2, 0]]}, "is outside the plot"),
        ("/api/points", {"add": [["a", 0.2, 0]]}, "x and y must be finite numbers"),
        ("/api/points", {"add": [[0.1, 0.2]]}, "must be [x, y, label]"),
        ("/api/points", {"delete": 3}, "unknown key 'delete'"),
        ("/api/points", {"clear": "yes"}, "clear must be true or false"),
    ],
)
def test_bad_input_gets_400_saying_what_is_wrong_and_changes_nothing(
    shared_studio, path, body, message
):
    studio = shared_studio
    control(studio, "step")
    before = state(studio)
    raw = body if isinstance(body, bytes) else None
    status, reply = request(studio, path, None if raw else body, raw=raw)
    assert status == 400
    assert message in reply["error"]
    after = state(studio)
    for key in ("step", "config", "points", "running"):
        assert after[key] == before[key], key
    assert after["network"]["weights"] == before["network"]["weights"]
    assert control(studio, "step")["step"] == before["step"] + 1  # the server goes on


def test_a_request_without_the_token_gets_403(studio):
    for path in ("/", "/api/state", "/api/events", "/api/neuron"):
        status, reply = request(studio, path, token=False)
        assert status == 403 and "token" in reply["error"], path
    status, _ = request(studio, "/api/state", token=False, extra="token=guess")
    assert status == 403
    status, _ = request(studio, "/api/control", {"action": "play"}, token=False)
    assert status == 403 and state(studio)["running"] is False


def test_unknown_paths_and_wrong_methods(studio):
    assert request(studio, "/api/nothing")[0] == 404
    assert request(studio, "/api/control")[0] == 405  # a GET
    assert request(studio, "/api/state", {"action": "play"})[0] == 405


def _listening_addresses(port: int) -> list[str]:
    """Local addresses of the sockets listening on `port` (Linux's /proc/net/tcp and tcp6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state_code = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if int(port_hex, 16) == port and state_code == "0A":  # LISTEN
                found.append(socket.inet_ntoa(bytes.fromhex(address)[::-1]) if len(address) == 8
                             else address)
    return found


def _outward_address() -> str | None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 9))  # UDP: picks a route, sends nothing
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def test_only_the_loopback_address_is_bound(studio):
    assert studio.url.startswith(f"http://127.0.0.1:{studio.port}/?token=")
    if os.path.exists("/proc/net/tcp"):
        assert _listening_addresses(studio.port) == ["127.0.0.1"]
    outward = _outward_address()
    if outward is not None:
        with pytest.raises(OSError):
            socket.create_connection((outward, studio.port), timeout=2).close()


def test_two_tabs_see_the_same_training_and_closing_them_does_not_stop_it(studio):
    first, second = EventStream(studio), EventStream(studio)
    assert first.next_state()["step"] == second.next_state()["step"] == 0
    control(studio, "play")
    seen_first = wait_for(lambda: (s := first.next_state())["step"] >= 20 and s)
    seen_second = wait_for(lambda: (s := second.next_state())["step"] >= seen_first["step"] and s)
    assert seen_second["running"] is True
    first.close()
    second.close()
    step_then = state(studio)["step"]
    wait_for(lambda: state(studio)["step"] > step_then + 50)
    assert state(studio)["running"] is True


def test_stop_ends_the_streams_joins_the_threads_and_frees_the_port():
    studio = nn.studio.serve(speed=1000, play=True)
    streams = [EventStream(studio) for _ in range(3)]
    for stream in streams:
        stream.next_state()
    threads_before = threading.active_count()
    started = time.monotonic()
    studio.stop()
    assert time.monotonic() - started < 3.0
    assert all(stream.closed_by_server() for stream in streams)
    assert threading.active_count() <= threads_before - 3 - 2  # the streams, training, server
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", studio.port), timeout=2).close()
    studio.stop()  # a second stop does nothing
    assert studio.stopped


def test_a_program_that_ends_without_stop_is_not_held_by_an_open_tab():
    script = (
        "import sys; sys.path.insert(0, 'tests')\n"
        "import nn.studio\n"
        "from studio_client import EventStream\n"
        "studio = nn.studio.serve(play=True)\n"
        "tab = EventStream(studio)\n"
        "tab.next_state()\n"
        "print('streaming', flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "streaming\n"


def test_points_are_added_and_cleared(studio):
    s = state(studio)
    xmin, xmax, ymin, ymax = s["bounds"]
    status, added = request(studio, "/api/points", {"add": [[xmin, ymax, 1], [0.5, 0.25, 0]]})
    assert status == 200 and added["points"][-2:] == [[xmin, ymax, 1], [0.5, 0.25, 0]]
    status, cleared = request(studio, "/api/points", {"clear": True})
    assert status == 200 and cleared["points"] == [] and cleared["loss"] is None
    assert cleared["network"]["sample"] is None
    played = control(studio, "play")
    assert "no points" in played["message"]
    assert control(studio, "step")["step"] == 0
    status, one = request(studio, "/api/points", {"add": [[0.0, 0.0, 1]]})
    assert status == 200 and one["accuracy"] in (0.0, 1.0)
    wait_for(lambda: state(studio)["step"] > 5)


@pytest.mark.parametrize(
    ("dataset", "classes", "count", "loss"),
    [
        ("moons", 2, 100, "logistic"),
        ("circles", 2, 100, "logistic"),
        ("xor", 2, 100, "logistic"),
        ("spiral", 2, 200, "logistic"),
        ("blobs", 3, 150, "cross_entropy"),
    ],
)
def test_every_dataset_trains(dataset, classes, count, loss):
    with nn.studio.serve(dataset=dataset, speed=1000) as studio:
        s = state(studio)
        assert (s["n_classes"], len(s["points"]), s["config"]["loss"]) == (classes, count, loss)
        assert s["network"]["sizes"][-1] == (1 if classes == 2 else classes)
        assert {p[2] for p in s["points"]} == set(range(classes))
        after = control(studio, "step")
        assert after["step"] == 1 and math.isfinite(after["loss"])


def test_changing_the_dataset_and_the_network(studio):
    status, s = request(studio, "/api/config", {"dataset": "blobs"})
    assert status == 200 and s["config"]["loss"] == "cross_entropy" and s["n_classes"] == 3
    network = {"hidden_layers": 3, "width": 5, "activation": "relu"}
    status, s = request(studio, "/api/config", network)
    assert status == 200 and s["network"]["sizes"] == [2, 5, 5, 5, 3]
    assert s["network"]["activations"] == ["relu", "relu", "relu", "linear"]
    assert s["parameters"] == 3 * 5 + 6 * 5 + 6 * 5 + 6 * 3
    status, s = request(studio, "/api/config", {"dataset": "moons"})
    assert status == 200 and s["config"]["loss"] == "logistic" and s["n_classes"] == 2
    control(studio, "step")
    status, s = request(studio, "/api/config", {"learning_rate": 0.2, "optimizer": "sgd"})
    assert status == 200 and s["step"] == 1  # the weights and the step count are kept


def test_serve_trains_your_model_on_your_data():
    X, y = nn.datasets.make_xor(40, noise=0.1, labels=(-1, 1), seed=1)
    model = nn.MLP(2, [6, 1], activation="tanh", rng=3)
    start = model.state_dict()
    with nn.studio.serve(model, X, y, learning_rate=0.1) as studio:
        s = state(studio)
        assert s["config"]["dataset"] == "custom" and s["config"]["width"] == 6
        assert set(s["fixed"]) == {"dataset", "hidden_layers", "width", "activation"}
        assert sorted({p[2] for p in s["points"]}) == [0, 1]  # -1/+1 became 0/1
        status, reply = request(studio, "/api/config", {"width": 9})
        assert status == 400 and "width cannot change" in reply["error"]
        control(studio, "step")
        assert model.state_dict() != start  # it trains the model itself
        control(studio, "reset")
        assert model.state_dict() == start


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: nn.studio.serve(object()), TypeError, "the studio draws and trains an nn.MLP"),
        (lambda: nn.studio.serve(nn.MLP(3, [4, 1])), ValueError, "needs 2 inputs"),
        (lambda: nn.studio.serve(X=[[0.0, 1.0]]), TypeError, "pass both X and y"),
        (lambda: nn.studio.serve(X=[[0.0, 1.0, 2.0]], y=[1]), ValueError, "2 features"),
        (lambda: nn.studio.serve(X=[[0.0, 1.0]], y=[0.5]), ValueError, "whole numbers"),
        (lambda: nn.studio.serve(width=0), ValueError, "width must be from 1 to 64"),
        (lambda: nn.studio.serve(dataset="iris"), ValueError, "dataset must be one of"),
        (lambda: nn.studio.serve(port=-1), ValueError, "port must be"),
    ],
)
def test_serve_refuses_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_python_m_nn_studio_prints_the_url_and_stops_on_ctrl_c():
    process = subprocess.Popen(
        [sys.executable, "-m", "nn.studio", "--no-browser", "--dataset", "circles", "--seed", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("chainrule studio: http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip()

        class Handle:
            port = int(url.split(":")[2].split("/")[0])

        Handle.url = url
        s = state(Handle)
        assert s["config"]["dataset"] == "circles" and s["config"]["seed"] == 4
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert "Studio stopped." in out and "Traceback" not in err


def test_python_m_nn_studio_on_a_port_in_use_says_so():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "nn.studio", "--no-browser", "--port", str(port)],
            capture_output=True, text=True, timeout=60, cwd=ROOT,
        )
    assert done.returncode == 2
    assert f"cannot listen on port {port}" in done.stderr and "--port" in done.stderr
