"""docs/compile.md's examples run, and do what the page says."""

import re
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parent.parent / "docs" / "compile.md"


def test_the_examples_run_top_to_bottom():
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(blocks) >= 5
    names: dict = {}
    exec(blocks[0], names)  # the moons step, replayed 100 times
    tape, loss = names["tape"], names["loss"]
    assert tape.node_count == len(loss.graph()) and tape.kernel_count == 13
    value = tape.run()
    assert loss.data == value and loss.grad == 101.0  # the output follows the runs, as backward
    exec(blocks[1], names)  # one sample's graph on the batch
    assert names["losses"].shape == (100,) and names["tape"].input_grads.shape == (100, 3)
    exec(blocks[2], names)  # nn.compile_loss in a training loop
    assert 0.0 <= names["accuracy"] <= 1.0 and np.isfinite(names["loss"])
    for block in blocks[3:]:
        exec(block, names)  # the user ops
    hardtanh = names["hardtanh"]
    assert list(hardtanh(np.array([-3.0, 0.5, 2.0]))) == [-1.0, 0.5, 1.0]
    x = names["autograd"].Value(2.0)
    names["autograd"].compile(hardtanh(x) * names["softsign"](x)).run()
    assert x.grad == 1.0 * (1 / (1 + 2.0) ** 2)  # hardtanh'(2) = 0, so only softsign's term


def test_the_printed_tape_is_what_print_shows():
    text = DOC.read_text(encoding="utf-8")
    code = re.search(r"## Code written the lecture's way.*?```python\n(.*?)```", text, re.DOTALL)
    shown = re.search(r"```text\n(<Tape.*?)```", text, re.DOTALL)
    names: dict = {"autograd": __import__("autograd")}
    exec(code.group(1).replace("print(tape)", ""), names)
    assert str(names["tape"]) + "\n" == shown.group(1)
