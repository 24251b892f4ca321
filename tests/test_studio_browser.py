"""The studio's page in headless Chromium: play, watch the numbers move, add a point, open a
neuron's graph. Skipped without a browser as tests/test_explore_browser.py explains.
CHAINRULE_SCREENSHOTS=1 also writes docs/images/studio.png.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from studio_client import control, state, wait_for
from test_explore_browser import MISSING, REQUIRED, browser  # noqa: F401 (a fixture)

import nn.studio

pytestmark = pytest.mark.skipif(
    MISSING is not None and not REQUIRED, reason=f"no browser to drive: {MISSING}"
)
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "images" / "studio.png"


def text(driver, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id).text


def click(driver, element_id: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, element_id).click()


def test_play_add_a_point_and_open_a_neuron(browser):  # noqa: F811 (the fixture imported)
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    with nn.studio.serve(speed=40) as studio:
        browser.set_window_size(1400, 1000)
        browser.get(studio.url)
        browser.get_log("browser")
        wait_for(lambda: text(browser, "step-count") == "0" and text(browser, "loss") != "–")
        first_loss = text(browser, "loss")
        assert text(browser, "accuracy").endswith("%")

        click(browser, "play")
        wait_for(lambda: int(text(browser, "step-count")) >= 25)
        assert text(browser, "loss") != first_loss
        assert state(studio)["running"] is True

        # A neuron clicked while training runs (its drawing is recoloured, not rebuilt, ten
        # times a second) opens its Value graph for the selected sample.
        browser.find_element(By.CSS_SELECTOR, '#network .neuron[data-layer="2"]'
                                              '[data-index="3"]').click()
        wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#neuron-graph svg"))
        assert text(browser, "neuron-title").startswith("h2.3 for sample 0")
        click(browser, "pause")
        wait_for(lambda: state(studio)["running"] is False)
        shown = wait_for(lambda: (s := state(studio))["step"] == int(text(browser, "step-count"))
                         and s)
        assert text(browser, "loss") == f"{shown['loss']:.4f}"
        # Paused, the graph is redrawn for the weights now shown.
        wait_for(lambda: text(browser, "neuron-title").endswith(f"at step {shown['step']}"))
        net = shown["network"]
        assert f"data {net['activation'][2][3]:.4f}" in text(browser, "neuron-facts")
        graph_text = browser.find_element(By.ID, "neuron-graph").get_attribute("textContent")
        assert "h2.3" in graph_text and "grad" in graph_text
        explained = text(browser, "neuron-explain")
        assert explained.startswith("dL/d(h2.3), where L is loss") and ": agrees" in explained

        # A click on the plot adds a point of class 1 where the click was.
        browser.find_element(By.CSS_SELECTOR, "input[name=click][value='1']").click()
        canvas = browser.find_element(By.ID, "boundary")
        before = len(state(studio)["points"])
        ActionChains(browser).move_to_element_with_offset(canvas, -110, 150).click().perform()
        after = wait_for(lambda: (s := state(studio))["points"][before:] and s)
        x, y, label = after["points"][-1]
        xmin, xmax, ymin, ymax = after["bounds"]
        size = canvas.size["width"]
        pixel = (xmax - xmin) / size
        assert label == 1
        assert x == pytest.approx(xmin + (size / 2 - 110) * pixel, abs=1.5 * pixel)
        assert y == pytest.approx(ymax - (size / 2 + 150) * pixel, abs=1.5 * pixel)

        # Colour by gradient: the neurons take other colours.
        fills = [c.get_attribute("fill") for c in
                 browser.find_elements(By.CSS_SELECTOR, "#network circle")]
        click(browser, "color-gradient")
        assert fills != [c.get_attribute("fill") for c in
                         browser.find_elements(By.CSS_SELECTOR, "#network circle")]
        click(browser, "color-activation")

        assert not [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]

        # A bad value typed in a field: the page says why and shows the setting as it is.
        width = browser.find_element(By.ID, "width")
        width.clear()
        width.send_keys("0")
        click(browser, "seed")  # leaving the field sends it
        wait_for(lambda: "width must be from 1 to 64" in text(browser, "message"))
        wait_for(lambda: width.get_attribute("value") == "8")

        if os.environ.get("CHAINRULE_SCREENSHOTS") == "1":
            control(studio, "play")
            wait_for(lambda: int(text(browser, "step-count")) >= shown["step"] + 40)
            last = control(studio, "pause")["step"]
            browser.set_window_size(1400, 1250)  # down to the neuron's Value graph
            browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
            wait_for(lambda: text(browser, "neuron-title").endswith(f"at step {last}"))
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(SCREENSHOT))
        problems = [entry["message"] for entry in browser.get_log("browser")
                    if entry["level"] == "SEVERE"]
        assert len(problems) == 1 and "/api/config" in problems[0] and "400" in problems[0]
