"""explore(): the page's content read as HTML (the browser tests drive it), and the CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from stepping_graphs import lecture_neuron

from autograd import Value, explore
from autograd.cli.main import main
from autograd.draw.draw import GraphTooLargeError
from autograd.explorer.explore import explore_page

MARKUP_LABELS = ['<img src=x onerror="document.title=1">', "</script><script>alert(1)</script>"]


class Page(HTMLParser):
    """Every element (tag and attributes) and the text of each <script>."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in_script: dict | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def data(self) -> dict:
        (text,) = [text for attrs, text in self.scripts if attrs.get("type") == "application/json"]
        return json.loads(text)


def test_the_page_is_self_contained(tmp_path):
    path = tmp_path / "backprop.html"
    assert explore(lecture_neuron(), path) == str(path)
    text = path.read_text(encoding="utf-8")
    page = Page(text)
    tags = {tag for tag, _ in page.elements}
    assert not tags & {"link", "img", "iframe", "object", "embed", "image", "use", "a"}
    for tag, attrs in page.elements:
        assert not {"src", "href", "xlink:href"} & set(attrs), tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    assert "http://" not in text and "https://" not in text and "url(" not in text
    assert "@import" not in text and "@font-face" not in text
    assert len(page.scripts) == 2


def test_the_content_security_policy_allows_only_the_pages_own_script_and_style():
    page = Page(explore_page(lecture_neuron()))
    (policy,) = [a["content"] for t, a in page.elements if a.get("http-equiv") ==
                 "Content-Security-Policy"]
    assert "default-src 'none'" in policy
    (code,) = [text for attrs, text in page.scripts if "type" not in attrs]
    digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy


def test_the_steps_on_the_page_are_the_walks_steps():
    o = lecture_neuron()
    data = Page(explore_page(o)).data()
    expected = [step.explain() for step in lecture_neuron().backward_steps()]
    assert [step["text"] for step in data["backward"]] == expected
    assert [step["text"] for step in data["forward"]] == [
        "x1*w1 = x1 * w1 = 2.0 * (-3.0) = -6.0",
        "x2*w2 = x2 * w2 = 0.0 * 1.0 = 0.0",
        "x1*w1 + x2*w2 = -6.0 + 0.0 = -6.0",
        "n = (x1*w1 + x2*w2) + b = -6.0 + 6.8814 = 0.8814",
        "o = tanh(n) = tanh(0.8814) = 0.7071",
    ]
    assert data["backward"][-1]["grads"] == {"v5": "grad 0.5000", "v0": "grad -1.5000",
                                             "v2": "grad 1.0000"}
    assert data["backward"][0]["rows"] == [["n", "1 - o² = 0.5", "+0.5", "0.5"]]


def test_the_graph_keeps_its_gradients():
    o = lecture_neuron()
    o.backward()
    before = [node.grad for node in o.graph()]
    data = Page(explore_page(o)).data()
    assert [node.grad for node in o.graph()] == before
    # The page shows one backward pass from zero, not one added to the existing gradients.
    assert data["backward"][-1]["grads"]["v0"] == "grad -1.5000"
    assert all(node["grad"] == "grad 0.0000" for node in data["nodes"])


def test_labels_with_markup_stay_text():
    x = Value(2.0, label=MARKUP_LABELS[0])
    y = (x * 3).tanh()
    y.label = MARKUP_LABELS[1]
    text = explore_page(y)
    page = Page(text)
    assert len(page.scripts) == 2
    assert not [tag for tag, _ in page.elements if tag == "img"]
    assert "<img" not in text and "alert(1)</script>" not in text
    data = page.data()
    assert [node["name"] for node in data["nodes"]][0] == MARKUP_LABELS[0]
    assert data["rootName"] == MARKUP_LABELS[1]
    (title,) = re.findall(r"<title>(.*?)</title>", text)
    assert "&lt;/script&gt;&lt;script&gt;" in title


def test_svg_hooks_for_the_script():
    text = explore_page(lecture_neuron())
    page = Page(text)
    values = [a["data-node"] for t, a in page.elements if t == "g" and "data-node" in a]
    ops = [a["data-op"] for t, a in page.elements if t == "g" and "data-op" in a]
    owners = [a["data-owner"] for t, a in page.elements if t == "g" and "data-owner" in a]
    assert sorted(values) == sorted(f"v{i}" for i in range(10))
    assert sorted(ops) == ["v5", "v6", "v7", "v8", "v9"]
    assert len(owners) == 2 * 4 + 1 * 1 + 5  # binary ops' in-edges, tanh's, the out-edges
    classes = [a.get("class") for t, a in page.elements if t == "text"]
    assert classes.count("data") == 10 and classes.count("grad") == 10
    assert "<title>v" not in text and "<!--" not in text


def test_a_single_value_makes_a_page_with_nothing_to_step(tmp_path):
    data = Page(explore_page(Value(3.0, label="x"))).data()
    assert data["forward"] == [] and data["backward"] == []


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"\.html"):
        explore(lecture_neuron(), tmp_path / "page.svg")
    with pytest.raises(TypeError, match="forward"):
        explore(lecture_neuron(), tmp_path / "page.html", forward="yes")
    with pytest.raises(FileNotFoundError):
        explore(lecture_neuron(), tmp_path / "missing" / "page.html")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_page_is_replaced_whole(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("old")
    explore(lecture_neuron(), path, forward=False)
    assert Page(path.read_text()).data()["forwardFirst"] is False
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # no temporary file left


def run(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as exit:
        status = exit.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_cli_writes_the_page(tmp_path, capsys):
    out = tmp_path / "page.html"
    status, _, err = run(["explore", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88", "-o", str(out),
                          "--precision", "2", "--backward-only"], capsys)
    assert status == 0 and "wrote" in err
    data = Page(out.read_text()).data()
    assert data["forwardFirst"] is False
    assert data["backward"][0]["text"].startswith("v5 = tanh(v4) = 0.71 | dL/dv5 = 1.0")
    assert [node["name"] for node in data["nodes"] if node["leaf"]] == ["x", "w", "b"]


@pytest.mark.parametrize("argv, message", [
    (["explore", "x*y", "x=1", "y=2"], "required: -o"),
    (["explore", "x*y", "x=1", "y=2", "-o", "page.txt"], ".html"),
    (["explore", "x.data", "x=1", "-o", "page.html"], "attribute access"),
    (["explore", "x*y", "x=1", "-o", "page.html"], "y"),
    (["explore", "x*y", "x=1", "y=2", "-o", "page.html", "--max-nodes", "2"], "--max-nodes=2"),
])  # fmt: skip
def test_cli_refuses_bad_command_lines(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(argv, capsys)
    assert status == 2 and message in err
    assert list(tmp_path.iterdir()) == []


def test_the_page_files_are_package_data():
    # A wheel (not an editable install) carries only the package data pyproject.toml declares.
    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())
    declared = set(config["tool"]["setuptools"]["package-data"]["autograd.explorer"])
    folder = root / "autograd" / "explorer"
    assets = {p.name for p in folder.iterdir() if p.suffix in (".html", ".css", ".js")}
    assert assets == {"explore.html", "explore.css", "explore.js"}
    assert assets <= declared


def test_a_graph_over_max_nodes_is_refused_before_it_is_walked(tmp_path):
    with pytest.raises(GraphTooLargeError, match="max_nodes=5") as error:
        explore(lecture_neuron(), tmp_path / "page.html", max_nodes=5)
    assert error.value.count == 10
    assert list(tmp_path.iterdir()) == []
