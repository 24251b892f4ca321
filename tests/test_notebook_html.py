"""The HTML a notebook shows for a Step, a walk and the explore page, without a kernel:
labels stay text, the page is sandboxed, `.save` writes what `explore(o, path)` writes."""

from __future__ import annotations

import html
import re

import pytest
from stepping_graphs import lecture_neuron

from autograd import Value, explore
from autograd.explorer import ExplorePage

EVIL = '<script>alert("x")</script>'


def evil_graph() -> Value:
    x = Value(2.0, label=EVIL)
    y = (x * x).tanh()
    y.label = "</iframe><b>y"
    return y


def test_a_step_and_a_walk_show_labels_as_text():
    y = evil_graph()
    walk = y.backward_steps()
    step = next(walk)
    for page in (step._repr_html_(), walk._repr_html_()):
        assert "<script" not in page and "</iframe>" not in page and "<b>y" not in page
        assert "&lt;/iframe&gt;&lt;b&gt;y" in page
        assert "<svg" in page
    assert "<b>Step 1 of 2</b>" in step._repr_html_()
    assert not hasattr(Value(1.0), "_repr_html_")  # a Value stays text


def test_a_walk_before_and_after():
    o = lecture_neuron()
    walk = o.backward_steps()
    assert repr(walk) == "<Backward walk from o: 0 of 5 steps taken; next: o (tanh)>"
    assert ">unreached<" not in walk._repr_html_()  # no state column before the first step
    list(walk)
    assert repr(walk) == "<Backward walk from o: 5 of 5 steps taken; finished>"
    table = walk._repr_html_()  # the states just after the last step, x1*w1's
    assert table.count(">done<") == 7 and table.count(">current<") == 1
    assert table.count(">receiving<") == 2


def test_the_inline_page_is_the_saved_page_in_a_sandboxed_iframe(tmp_path):
    y = evil_graph()
    page = explore(y)
    assert isinstance(page, ExplorePage) and page.steps == 2
    saved = page.save(tmp_path / "page.html")
    assert saved == str(tmp_path / "page.html")
    written = explore(y, tmp_path / "direct.html")
    assert (tmp_path / "page.html").read_text(encoding="utf-8") == page.html
    assert (tmp_path / "direct.html").read_text(encoding="utf-8") == page.html
    assert written == str(tmp_path / "direct.html")
    frame = page._repr_html_()
    opening = frame[:frame.index(" srcdoc=")]
    assert opening.startswith('<iframe sandbox="allow-scripts" ')  # no allow-same-origin
    srcdoc = re.search(r'srcdoc="([^"]*)"></iframe>$', frame).group(1)
    assert html.unescape(srcdoc) == page.html  # the whole page, one attribute, nothing else
    assert "</iframe>" not in srcdoc and "<script" not in srcdoc


def test_save_wants_an_html_path(tmp_path):
    with pytest.raises(ValueError, match="ending in .html"):
        explore(lecture_neuron()).save(tmp_path / "page.txt")
    assert not (tmp_path / "page.txt").exists()
