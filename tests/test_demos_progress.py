"""The demos' progress bar: plain lines in logs, one redrawn line on a terminal."""

from __future__ import annotations

import io
import re

import pytest

from demos.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_log_it_prints_a_line_every_tenth() -> None:
    log = io.StringIO()
    with Progress(50, "training", stream=log) as bar:
        for step in range(50):
            bar.update(step + 1, loss=1.0 / (step + 1), accuracy=step / 50)
    lines = log.getvalue().splitlines()
    assert len(lines) == 11  # the first step, then 10%, 20%, ... 100%
    assert "\r" not in log.getvalue()
    assert re.fullmatch(
        r"training \[#{24}\] 50/50  loss 0\.02  acc 98\.0%  \d+\.\ds", lines[-1]
    ), lines[-1]
    assert lines[4].startswith("training [" + "#" * 9 + "-" * 15 + "] 20/50")


def test_on_a_terminal_it_redraws_one_line_and_ends_it() -> None:
    screen = Terminal()
    with Progress(3, "epoch", stream=screen, min_interval=0.0) as bar:
        bar.update(1, loss=12.5)
        bar.update(2, loss=1.25)
        bar.update(3, loss=0.125, accuracy=1.0)
    text = screen.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    drawn = text.rstrip("\n").split("\r")[1:]
    assert drawn[0].startswith("epoch [########----------------] 1/3  loss 12.5")
    # A shorter line is padded to cover what the longer one before it left on the screen.
    assert len(drawn[1]) >= len(drawn[0])
    assert drawn[2].startswith("epoch [########################] 3/3  loss 0.125  acc 100.0%")


def test_a_note_goes_to_stdout_above_the_bar(capsys: pytest.CaptureFixture[str]) -> None:
    screen = Terminal()
    bar = Progress(2, "epoch", stream=screen, min_interval=0.0)
    bar.update(1, loss=0.5)
    bar.note("epoch 1: test accuracy 90%")
    assert capsys.readouterr().out == "epoch 1: test accuracy 90%\n"
    assert "\r\x1b[2K" in screen.getvalue()  # the bar's line was cleared first...
    assert screen.getvalue().endswith(bar.line())  # ...and drawn again after the note
    bar.close()


def test_it_needs_at_least_one_step() -> None:
    with pytest.raises(ValueError, match="at least one step"):
        Progress(0, "nothing")
