"""One tanh neuron, forward and backward, with every node of its graph printed.

    o = tanh(x1*w1 + x2*w2 + b)

The defaults are the classic lecture example: the bias is chosen so that n = 0.8814 and
o = tanh(n) = 0.7071, which makes do/dn = 1 - o**2 = 0.5 and the gradients easy to check by hand.
Also draws the graph, each value with its data and grad, to neuron_graph.svg, and writes
neuron_explore.html, a page to click through the forward and backward pass step by step.

Run: python -m demos.neuron [--x1 X1] [--x2 X2] [--w1 W1] [--w2 W2] [--b B] [--digits N]
                            [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value, explore, render
from autograd.steps import format_trace
from demos.common import Timer, make_parser, output_folder, report_files, summary

DEFAULTS = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}


def lecture_neuron(
    x1: float = DEFAULTS["x1"], x2: float = DEFAULTS["x2"], w1: float = DEFAULTS["w1"],
    w2: float = DEFAULTS["w2"], b: float = DEFAULTS["b"],
) -> Value:
    """o = tanh(x1*w1 + x2*w2 + b) with the lecture's labels, not yet backpropagated."""
    x1v = Value(x1, label="x1")
    x2v = Value(x2, label="x2")
    w1v = Value(w1, label="w1")
    w2v = Value(w2, label="w2")
    bv = Value(b, label="b")
    x1w1 = x1v * w1v
    x1w1.label = "x1*w1"
    x2w2 = x2v * w2v
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + bv
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def build(x1: float, x2: float, w1: float, w2: float, b: float) -> Value:
    """Builds the neuron's graph, runs backward() from its output and returns the output."""
    o = lecture_neuron(x1, x2, w1, w2, b)
    o.backward()
    return o


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(
        "neuron",
        "A single tanh neuron, o = tanh(x1*w1 + x2*w2 + b): builds its graph, runs backward()\n"
        "from o, prints every node with its value (data) and its gradient do/dnode (grad),\n"
        "draws the graph to neuron_graph.svg and writes neuron_explore.html, a page that steps\n"
        "through the forward and backward pass (open it in a browser).",
        quick="accepted for uniformity with the other demos; this one is instant anyway",
        default_seed=None,
    )
    for name, default in DEFAULTS.items():
        parser.add_argument(f"--{name}", type=float, default=default, help=f"default {default!r}")
    parser.add_argument("--digits", type=int, default=4, help="decimal places printed (default 4)")
    args = parser.parse_args(argv)
    if args.digits < 0:
        parser.error("--digits must be 0 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    timer = Timer()
    out = output_folder(args)
    o = build(args.x1, args.x2, args.w1, args.w2, args.b)
    print("o = tanh(x1*w1 + x2*w2 + b), after o.backward():\n")
    print(format_trace(o, precision=args.digits))  # every node: name, op, inputs, data, grad
    print()
    report_files([
        render(o, out / "neuron_graph.svg", precision=args.digits),
        explore(o, out / "neuron_explore.html", precision=args.digits),
    ])
    n = o.parents[0]
    summary("neuron", f"o = {o.data:.{args.digits}f}, do/dn = {n.grad:.{args.digits}f}", timer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
