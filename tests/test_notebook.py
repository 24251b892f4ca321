"""docs/notebook.ipynb, executed in a real kernel (nbclient, ipykernel): every object renders.

The notebook builds the lecture's neuron and shows a Value, trace, a Step, a walk, both
explanations and the inline explore page; each cell's output bundle is checked for its MIME
types and content. Then the executed notebook, rendered to HTML as a notebook front end shows it
(nbconvert), is opened in Chromium and the inline page is clicked through inside its sandboxed
iframe. CHAINRULE_SCREENSHOTS=1 also writes docs/images/notebook.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from test_explore_browser import MISSING, READ_PAGE, REQUIRED, browser  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"
SCREENSHOT = ROOT / "docs" / "images" / "notebook.png"


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return notebook


def bundle(notebook: nbformat.NotebookNode, tag: str) -> dict[str, str]:
    """The display data of the cell tagged `tag`: its last result, MIME type -> content."""
    (cell,) = [c for c in notebook.cells if tag in c.metadata.get("tags", [])]
    assert not [o for o in cell.outputs if o.output_type == "error"], cell.outputs
    results = [o for o in cell.outputs if o.output_type in ("execute_result", "display_data")]
    assert results, f"cell {tag!r} showed nothing"
    return dict(results[-1].data)


def test_a_value_keeps_its_text_repr(executed):
    data = bundle(executed, "value")
    assert set(data) == {"text/plain"}
    text = data["text/plain"]
    assert text.startswith("Value(data=0.707106") and "label='o'" in text


def test_trace_is_an_html_table_and_the_same_text_as_before(executed):
    data = bundle(executed, "trace")
    assert set(data) == {"text/plain", "text/html"}
    lines = data["text/plain"].splitlines()
    assert lines[0].split() == ["name", "op", "inputs", "data", "grad"]
    assert lines[-1].split() == ["o", "tanh", "n", "0.7071", "0.0000"]
    html = data["text/html"]
    assert html.startswith('<table class="chainrule-trace">') and html.count("<tr>") == 11
    assert "<td style=\"text-align:left\">x1*w1 + x2*w2</td>" in html


def test_a_step_shows_its_arithmetic_and_the_drawing(executed):
    data = bundle(executed, "step")
    assert data["text/plain"] == "<Step 1 of 5: o (tanh)>"
    html = data["text/html"]
    assert "<b>Step 1 of 5</b>" in html
    assert "o = tanh(n) = 0.7071 | dL/do = 1.0 | n: local 1 - o² = 0.5, +0.5 -&gt; grad 0.5" in html
    assert "<td>1 - o² = 0.5</td><td>+0.5</td><td>0.5</td>" in html
    assert "<svg" in html and "<script" not in html


def test_a_walk_shows_where_it_stands(executed):
    data = bundle(executed, "walk")
    assert data["text/plain"] == (
        "<Backward walk from o: 2 of 5 steps taken; next: x1*w1 + x2*w2 (+)>")
    html = data["text/html"]
    assert "2 of 5 steps taken; next: x1*w1 + x2*w2 (+)" in html
    assert "<th style=\"text-align:left\">state</th>" in html and ">current<" in html
    assert "<svg" in html


def test_explain_renders_as_html(executed):
    node = bundle(executed, "explain-node")
    assert node["text/plain"] == "<explanation of dL/dx1 = -1.5>"
    assert "<table>" in node["text/html"] and "x1*w1 = x1 * w1" in node["text/html"]
    paths = bundle(executed, "explain-paths")
    assert paths["text/plain"] == "<explanation of do/dx1 over 1 path>"
    assert "o → n → x1*w1 + x2*w2 → x1*w1 → x1" in paths["text/html"]


def test_explore_is_inline_in_a_sandboxed_iframe(executed):
    data = bundle(executed, "explore")
    html = data["text/html"]
    assert html.startswith('<iframe sandbox="allow-scripts" ')
    assert "allow-same-origin" not in html and "srcdoc=\"&lt;!DOCTYPE html&gt;" in html
    assert "Content-Security-Policy" in html  # the page inside keeps its policy
    assert data["text/plain"].startswith("<explore page: backpropagation through o")


# ----- the inline page, clicked in Chromium -----------------------------------------------------


def notebook_html(notebook: nbformat.NotebookNode) -> str:
    """The executed notebook as a notebook front end shows it (JupyterLab's look, offline)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.mathjax_url = ""  # nothing fetched: no network in the tests
    exporter.require_js_url = ""
    text, _ = exporter.from_notebook_node(notebook)
    return text


@pytest.mark.skipif(MISSING is not None and not REQUIRED, reason=f"no browser: {MISSING}")
def test_the_inline_page_steps_when_clicked_inside_the_notebook(executed, browser, tmp_path):  # noqa: F811
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By

    page = tmp_path / "notebook.html"
    page.write_text(notebook_html(executed), encoding="utf-8")
    browser.get(page.as_uri())
    browser.get_log("browser")
    frame = browser.find_element(By.CSS_SELECTOR, "iframe[sandbox]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", frame)
    browser.switch_to.frame(frame)
    try:
        before = browser.execute_script(READ_PAGE)
        assert before["position"] == "0 / 10"  # 5 forward steps, then 5 backward
        browser.find_element(By.ID, "next").click()
        after = browser.execute_script(READ_PAGE)
        assert after["position"] == "1 / 10" and after["values"] != before["values"]
        assert after["phase"].startswith("Forward pass")
        for _ in range(5):
            browser.find_element(By.ID, "next").click()
        backward = browser.execute_script(READ_PAGE)
        assert backward["position"] == "6 / 10" and backward["phase"].startswith("Backward")
        assert browser.find_element(By.ID, "step-text").text.startswith("o = tanh(n) = 0.7071")
        # The sandbox: the page's script runs in an origin of its own, away from the notebook.
        with pytest.raises(WebDriverException, match="Blocked a frame .* cross-origin"):
            browser.execute_script("return window.parent.document.title")
        if os.environ.get("CHAINRULE_SCREENSHOTS") == "1":
            browser.find_element(By.ID, "next").click()
    finally:
        browser.switch_to.default_content()
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"
              and "chainrule" not in e["message"] and "ERR_" not in e["message"]]
    assert not [e for e in errors if "Content Security Policy" in e["message"]], errors
    if os.environ.get("CHAINRULE_SCREENSHOTS") == "1":
        browser.set_window_size(1280, 1400)
        browser.execute_script("arguments[0].scrollIntoView({block: 'end'})", frame)
        browser.save_screenshot(str(SCREENSHOT))
