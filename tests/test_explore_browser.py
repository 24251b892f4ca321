"""The explore page in a real browser: Debian's headless chromium, driven through chromedriver.

Needs the `browser` extra (selenium) and `apt-get install chromium chromium-driver`; without them
these tests are skipped, saying what to install, unless CHAINRULE_REQUIRE_BROWSER=1 (which
scripts/test.sh sets on CI after installing them), when they fail instead.
CHAINRULE_SCREENSHOTS=1 also writes docs/images/explore.png, the page mid-walk.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from stepping_graphs import lecture_neuron

from autograd import Value, define_op, explore
from autograd.explorer.explore import forward_text
from autograd.steps.formulas import format_number
from autograd.steps.stepping import state_at

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,820",
]  # fmt: skip
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "images" / "explore.png"
INSTALL = "apt-get install chromium chromium-driver, pip install -e '.[browser]'"


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return f"selenium is not installed ({INSTALL}; or bash scripts/test.sh)"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is missing ({INSTALL}; or bash scripts/test.sh)"
    return None


MISSING = _missing()
REQUIRED = os.environ.get("CHAINRULE_REQUIRE_BROWSER") == "1"
pytestmark = pytest.mark.skipif(
    MISSING is not None and not REQUIRED, reason=f"no browser to drive: {MISSING}"
)

# Everything the page shows at once, read from its DOM in one call.
READ_PAGE = """
const values = {};
for (const g of document.querySelectorAll("#graph g[data-node]")) {
  values[g.dataset.node] = {
    state: [...g.classList].find((c) => c.startsWith("s-")).slice(2),
    data: g.querySelector("text.data").textContent,
    grad: g.querySelector("text.grad").textContent,
  };
}
const rows = [...document.querySelectorAll("#updates tbody tr")].map(
  (tr) => [...tr.cells].map((td) => td.textContent));
return {values, rows, phase: document.getElementById("phase").textContent,
        position: document.getElementById("position").textContent};
"""


@pytest.fixture(scope="module")
def browser():
    if MISSING is not None:
        pytest.fail(f"CHAINRULE_REQUIRE_BROWSER=1 but {MISSING}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chainrule-chromium-")
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver's path is given, so Selenium never looks for (or downloads) one of its own.
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def neuron_page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("explore") / "neuron.html"
    explore(lecture_neuron(), path)
    return path


def open_page(browser, path: Path) -> None:
    browser.get(path.as_uri())
    browser.get_log("browser")  # start each page with an empty console log


def click(browser, button: str, times: int = 1) -> None:
    from selenium.webdriver.common.by import By

    element = browser.find_element(By.ID, button)
    for _ in range(times):
        element.click()


def step_text(browser) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, "step-text").text  # as rendered, not just the DOM


def press(browser, key: str, times: int = 1) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    actions = ActionChains(browser)
    for _ in range(times):
        actions.send_keys(key)
    actions.perform()


def test_next_walks_the_backward_pass_as_python_does(browser, neuron_page):
    o = lecture_neuron()
    nodes = o.graph()
    forward_steps = sum(1 for node in nodes if node.rule is not None)
    steps = list(o.backward_steps())
    open_page(browser, neuron_page)
    click(browser, "next", forward_steps)
    for step in steps:
        click(browser, "next")
        assert step_text(browser) == step.explain()
        page = browser.execute_script(READ_PAGE)
        assert page["phase"].startswith(f"Backward pass · step {step.number} of {len(steps)}")
        state = state_at(step)
        for i, node in enumerate(nodes):
            shown = page["values"][f"v{i}"]
            assert shown["state"] == state.states[id(node)], (step.number, node.label)
            assert shown["grad"] == f"grad {format_number(state.grads[id(node)], 4)}"
            assert shown["data"] == f"data {format_number(node.data, 4)}"
        assert [row[0] for row in page["rows"]] == [update.name for update in step.updates]
    assert page["phase"].endswith("complete")
    x1 = page["values"]["v0"]
    assert x1 == {"state": "receiving", "data": "data 2.0000", "grad": "grad -1.5000"}
    assert not browser.get_log("browser")  # no script error, no blocked resource


def test_the_forward_pass_fills_in_values_node_by_node(browser, neuron_page):
    o = lecture_neuron()
    nodes = o.graph()
    names = [node.label for node in nodes]
    computed = [node for node in nodes if node.rule is not None]
    open_page(browser, neuron_page)
    page = browser.execute_script(READ_PAGE)
    assert page["phase"] == "Forward pass · start"
    assert [page["values"][f"v{i}"]["data"] == "data ?" for i in range(10)] == [
        node.rule is not None for node in nodes
    ]
    for count, node in enumerate(computed, start=1):
        click(browser, "next")
        i = nodes.index(node)
        inputs = [names[nodes.index(p)] for p in node.parents]
        assert step_text(browser) == forward_text(node, names[i], inputs, 4)
        page = browser.execute_script(READ_PAGE)
        assert page["values"][f"v{i}"]["state"] == "current"
        assert page["values"][f"v{i}"]["data"] == f"data {format_number(node.data, 4)}"
        unknown = {f"v{nodes.index(n)}" for n in computed[count:]}
        assert {k for k, v in page["values"].items() if v["data"] == "data ?"} == unknown
        assert all(v["grad"] == "grad 0.0000" for v in page["values"].values())


def test_previous_reset_and_the_arrow_keys(browser, neuron_page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    open_page(browser, neuron_page)
    assert not browser.find_element(By.ID, "prev").is_enabled()
    press(browser, Keys.ARROW_RIGHT, 7)
    assert browser.execute_script(READ_PAGE)["position"] == "7 / 10"
    first_backward = step_text(browser)
    press(browser, Keys.ARROW_LEFT)
    click(browser, "prev")
    assert browser.execute_script(READ_PAGE)["position"] == "5 / 10"
    click(browser, "next", 2)
    assert step_text(browser) == first_backward
    press(browser, Keys.ARROW_RIGHT, 20)  # stops at the last step
    assert browser.execute_script(READ_PAGE)["position"] == "10 / 10"
    assert not browser.find_element(By.ID, "next").is_enabled()
    click(browser, "reset")
    assert browser.execute_script(READ_PAGE)["phase"] == "Forward pass · start"
    press(browser, Keys.ARROW_RIGHT, 3)
    press(browser, Keys.HOME)
    assert browser.execute_script(READ_PAGE)["position"] == "0 / 10"


def test_the_forward_pass_can_be_skipped(browser, neuron_page):
    open_page(browser, neuron_page)
    click(browser, "forward-first")  # untick
    page = browser.execute_script(READ_PAGE)
    assert page["phase"] == "Backward pass · start" and page["position"] == "0 / 5"
    assert {v["state"] for v in page["values"].values()} == {"unreached"}
    steps = list(lecture_neuron().backward_steps())
    for step in steps:
        click(browser, "next")
        assert step_text(browser) == str(step)
    click(browser, "forward-first")  # tick again: back to the start of the forward pass
    assert browser.execute_script(READ_PAGE)["position"] == "0 / 10"
    assert not browser.get_log("browser")


def test_a_single_value_has_nothing_to_step(browser, tmp_path):
    from selenium.webdriver.common.by import By

    path = tmp_path / "leaf.html"
    explore(Value(3.0, label="x"), path)
    open_page(browser, path)
    assert "nothing to backpropagate" in step_text(browser)
    assert not browser.find_element(By.ID, "next").is_enabled()
    assert not browser.get_log("browser")


def test_labels_with_markup_are_shown_and_never_run(browser, tmp_path):
    img = '<img src=x onerror="window.pwned = 1; document.title = \'pwned\'">'
    script = "<script>window.pwned = 2; document.title = 'pwned'</script>"
    x = Value(2.0, label=img)
    y = (x * 3).tanh()
    y.label = script
    path = tmp_path / "markup.html"
    explore(y, path)
    open_page(browser, path)
    click(browser, "next", 2 + 2)  # the forward pass, then the whole backward pass
    assert browser.title == f"Backpropagation through {script} · chainrule"
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0
    assert browser.execute_script("return document.scripts.length") == 2
    labels = browser.execute_script(
        "return [...document.querySelectorAll('#graph g[data-node] text:first-of-type')]"
        ".map((t) => t.textContent)"
    )
    assert img in labels and script in labels
    assert img in step_text(browser)  # the last step updates x
    assert not browser.get_log("browser")


def test_markup_in_op_names_and_formulas_is_shown_and_never_runs(browser, tmp_path):
    # Not only labels: a user's op name, its formula and its partial's formula reach the page
    # too (the graph's op nodes, the step text, the table of updates).
    name = '<img src=x onerror="window.pwned = 3">'
    odd = define_op(
        name, lambda x: 2.0 * x, lambda x, out: 2.0,
        formula="<script>window.pwned = 4</script>({0})",
        partial_formulas=('<svg onload="window.pwned = 5">',),
    )
    x = Value(1.5, label="<!--<script>")  # the HTML parser's double-escaped script state
    y = odd(x) + x
    path = tmp_path / "ops.html"
    explore(y, path)
    open_page(browser, path)
    click(browser, "next", 2 + 2)
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    assert browser.execute_script("return document.querySelectorAll('img, svg svg').length") == 0
    assert browser.execute_script("return document.scripts.length") == 2
    shown = browser.execute_script("return document.body.textContent")
    assert name in shown and "<!--<script>" in shown
    assert not browser.get_log("browser")


def test_the_page_fetches_nothing(browser, neuron_page):
    open_page(browser, neuron_page)
    click(browser, "next", 4)
    resources = browser.execute_script("return performance.getEntriesByType('resource').length")
    assert resources == 0


def test_screenshot_mid_walk(browser, neuron_page, tmp_path):
    open_page(browser, neuron_page)
    click(browser, "next", 5 + 4)  # the forward pass, then four of the five backward steps
    target = SCREENSHOT if os.environ.get("CHAINRULE_SCREENSHOTS") == "1" else tmp_path / "p.png"
    browser.execute_async_script(  # let the progress bar finish sliding
        "Promise.all(document.getAnimations().map((a) => a.finished)).then(arguments[0]);"
    )
    # The whole page, without scroll bars, at twice the pixel density (sharp in the docs).
    browser.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": True})
    for _ in range(2):  # the second time with the height the page has at that size
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 1280, "height": height, "deviceScaleFactor": 2, "mobile": False,
        })
    try:
        assert browser.save_screenshot(str(target))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": False})
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
