"""The demos' progress (demos/progress.py, drawn by tqdm): a bar with rate, a silent phase's
elapsed time, messages above the bar."""

from __future__ import annotations

import threading
import time

import pytest

from demos.progress import REFRESH_SECONDS, progress, working


def test_a_bar_shows_steps_rate_and_the_latest_numbers(capsys: pytest.CaptureFixture[str]):
    with progress(3, "epoch 1/1") as bar:
        for loss in (12.5, 1.25, 0.125):
            bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
            bar.update()
    shown = capsys.readouterr().err.split("\r")[-1]
    assert shown.startswith("epoch 1/1: 100%")
    assert "3/3" in shown and "step/s" in shown and "loss=0.125" in shown


def test_a_message_goes_to_stdout_above_the_bar(capsys: pytest.CaptureFixture[str]):
    with progress(2, "training") as bar:
        bar.update()
        bar.write("epoch 1: test accuracy 90%")
        bar.update()
    captured = capsys.readouterr()
    assert captured.out == "epoch 1: test accuracy 90%\n"
    assert "2/2" in captured.err


def test_a_silent_phase_shows_its_elapsed_time_until_it_ends(capsys):
    with working("compiling the graph"):
        time.sleep(3 * REFRESH_SECONDS + 0.2)
    drawn = [line for line in capsys.readouterr().err.split("\r") if line.strip()]
    assert len(drawn) >= 3  # redrawn while nothing else was printed
    assert drawn[0].startswith("compiling the graph: 00:00")
    assert drawn[-1].strip().startswith("compiling the graph: 00:0")
    assert not [t for t in threading.enumerate() if t.name.startswith("progress: ")]


def test_a_silent_phase_that_fails_stops_its_ticker(capsys):
    with pytest.raises(KeyError), working("failing"):
        raise KeyError("x")
    assert not [t for t in threading.enumerate() if t.name.startswith("progress: ")]


def test_it_needs_at_least_one_step():
    with pytest.raises(ValueError, match="at least one step"):
        progress(0, "nothing")
