"""The `python -m autograd` command line: `draw` an expression's computation graph, `explore`
its backpropagation in a page to click through, or `explain` one of its gradients.

Subcommands share the expression arguments (`add_expression_arguments`, `expression_from_args`)
and the drawing options (`add_drawing_arguments`, `drawing_options`), so new ones reuse them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from autograd.cli.expression import (
    FUNCTIONS,
    MAX_LENGTH,
    ExpressionError,
    parse_bindings,
    parse_expression,
)
from autograd.draw.draw import (
    DEFAULT_MAX_NODES,
    RANKDIRS,
    GraphTooLargeError,
    GraphvizNotFoundError,
    draw_dot,
    render,
)
from autograd.explorer.explore import explore
from autograd.steps.explain import MAX_PATHS, explain

DRAW_DESCRIPTION = f"""\
Evaluate an expression, run backward from it, and draw its computation graph: one record per
value (label | data | grad) and a small node per operation.

The expression is parsed, never eval'ed. Allowed: numbers, names, + - * / **, unary minus,
parentheses, and calls of {" ".join(FUNCTIONS)}.
Each name gets its value from a NAME=NUMBER argument, and its leaf is labelled with the name.
At most {MAX_LENGTH} characters."""

DRAW_EPILOG = """\
examples:
  python -m autograd draw "tanh(x*w + b)" x=2 w=-3 b=6.88 -o graph.svg
  python -m autograd draw "x1*w1 + x2*w2" x1=2 x2=0 w1=-3 w2=1 --color-by grad -o neuron.png
  python -m autograd draw "sigmoid(a) * log(b)" a=0.5 b=3 --rankdir TB > graph.dot

The format follows the extension of -o: .svg, .png, .pdf (these need Graphviz's dot program)
or .dot/.gv (the DOT source). Without -o the DOT source goes to standard output.
An expression starting with a minus and without spaces, such as -x*y, needs -- before it,
after the options: draw -o graph.svg -- -x*y x=1 y=2"""


def add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    """The positional EXPRESSION and NAME=NUMBER arguments."""
    parser.add_argument("expression", metavar="EXPRESSION",
                        help='the expression, quoted, e.g. "tanh(x*w + b)"')
    parser.add_argument("bindings", metavar="NAME=NUMBER", nargs="*",
                        help="a value for each name in the expression, e.g. x=2 w=-3")


def expression_from_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Any:
    """Parse and evaluate the expression; a bad one exits with status 2 and a pointer to it.

    Returns the root Value (not yet backpropagated).
    """
    try:
        bindings = parse_bindings(args.bindings)
        expression = parse_expression(args.expression, bound=bindings.keys())
    except ExpressionError as error:
        parser.error(str(error))
    unused = [name for name in bindings if name not in expression.names]
    if unused:
        print(f"warning: {', '.join(unused)} not used in the expression", file=sys.stderr)
    return expression.evaluate(bindings)


def add_drawing_arguments(parser: argparse.ArgumentParser) -> None:
    """Options mirroring draw_dot's keyword arguments."""
    group = parser.add_argument_group("drawing options (as in autograd.draw_dot)")
    group.add_argument("--rankdir", choices=RANKDIRS, default="LR",
                       help="direction of the flow: left-right (default), top-bottom, ...")
    group.add_argument("--precision", type=_precision, default=4, metavar="DIGITS",
                       help="decimals shown for data and grad (default 4)")
    group.add_argument("--no-grad", dest="show_grad", action="store_false",
                       help="leave the grad field out of the records")
    group.add_argument("--color-by", choices=["grad"], default=None,
                       help="colour values by gradient: sign by hue, magnitude on a log scale")
    group.add_argument("--highlight", action="append", default=[], metavar="NAME",
                       help="emphasise the value with this label (repeatable)")
    group.add_argument("--max-nodes", type=_positive, default=DEFAULT_MAX_NODES, metavar="N",
                       help=f"refuse graphs with more values than this (default "
                            f"{DEFAULT_MAX_NODES})")


def drawing_options(args: argparse.Namespace) -> dict[str, Any]:
    """draw_dot's keyword arguments from the parsed drawing options."""
    return {
        "rankdir": args.rankdir,
        "precision": args.precision,
        "show_grad": args.show_grad,
        "color_by": args.color_by,
        "highlight": args.highlight,
        "max_nodes": args.max_nodes,
    }


def add_draw_command(commands: Any) -> None:
    """Register `draw` on the subcommands of the top-level parser."""
    draw = commands.add_parser(
        "draw", help="draw an expression's computation graph with values and gradients",
        description=DRAW_DESCRIPTION, epilog=DRAW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_expression_arguments(draw)
    draw.add_argument("-o", "--output", metavar="FILE",
                      help="where to write the drawing (.svg .png .pdf .dot .gv)")
    add_drawing_arguments(draw)
    draw.set_defaults(run=run_draw, parser=draw)


EXPLORE_DESCRIPTION = """\
Evaluate an expression and write one self-contained HTML page that walks through its forward
pass (values filled in node by node) and its backward pass (the chain rule applied at one node
per step), with Next / Previous / Reset buttons and the arrow keys. The page needs no network.

The expression is parsed as for `draw` (see `python -m autograd draw --help`)."""

EXPLORE_EPILOG = """\
examples:
  python -m autograd explore "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8814 -o page.html
  python -m autograd explore "sigmoid(a) * log(b)" a=0.5 b=3 --backward-only -o page.html"""


def add_explore_command(commands: Any) -> None:
    """Register `explore` on the subcommands of the top-level parser."""
    parser = commands.add_parser(
        "explore", help="write an HTML page that steps through an expression's backpropagation",
        description=EXPLORE_DESCRIPTION, epilog=EXPLORE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_expression_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE.html", required=True,
                        help="where to write the page")
    parser.add_argument("--backward-only", dest="forward", action="store_false",
                        help="start the page at the backward pass (it starts with the forward "
                             "pass; the page has a switch for this too)")
    parser.add_argument("--rankdir", choices=RANKDIRS, default="LR",
                        help="direction of the flow in the drawing (default LR)")
    parser.add_argument("--precision", type=_precision, default=4, metavar="DIGITS",
                        help="decimals shown (default 4)")
    parser.add_argument("--max-nodes", type=_positive, default=DEFAULT_MAX_NODES, metavar="N",
                        help=f"refuse graphs with more values than this (default "
                             f"{DEFAULT_MAX_NODES})")
    parser.set_defaults(run=run_explore, parser=parser)


EXPLAIN_DESCRIPTION = """\
Evaluate an expression and explain a gradient with its own numbers (nothing is drawn):
--wrt NAME lists every path from the expression's result down to NAME with the product of the
local derivatives along it (their sum is the gradient); --at NAME shows NAME's gradient as the
sum over the values that use it of (their gradient x local derivative). Each adds a numerical
check: NAME nudged by +-h and the expression computed again.

The expression is parsed as for `draw` (see `python -m autograd draw --help`)."""

EXPLAIN_EPILOG = f"""\
examples:
  python -m autograd explain "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8814 --wrt x1
  python -m autograd explain "x*x + sin(x)*x" x=3 --at x --wrt x

At most {MAX_PATHS} paths are listed (--max-paths), the largest first; the rest are counted."""


def add_explain_command(commands: Any) -> None:
    """Register `explain` on the subcommands of the top-level parser."""
    parser = commands.add_parser(
        "explain", help="explain a gradient: the paths from the result to a name, or the sum "
                        "over a name's consumers, with a numerical check",
        description=EXPLAIN_DESCRIPTION, epilog=EXPLAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_expression_arguments(parser)
    parser.add_argument("--wrt", action="append", default=[], metavar="NAME",
                        help="every path from the result down to NAME (repeatable)")
    parser.add_argument("--at", action="append", default=[], metavar="NAME",
                        help="NAME's gradient as a sum over its consumers (repeatable)")
    parser.add_argument("--max-paths", type=_positive, default=MAX_PATHS, metavar="N",
                        help=f"list at most N paths, the largest first (default {MAX_PATHS})")
    parser.add_argument("--precision", type=_precision, default=4, metavar="DIGITS",
                        help="decimals shown (default 4)")
    parser.set_defaults(run=run_explain, parser=parser)


# Each registers one subcommand; its parser's defaults name the function to run (`run`) and the
# subcommand's parser (`parser`, for errors).
COMMANDS: list[Callable[[Any], None]] = [
    add_draw_command, add_explore_command, add_explain_command,
]


def build_parser() -> argparse.ArgumentParser:
    """The `python -m autograd` parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="python -m autograd",
        description="chainrule's command line: look at computation graphs and their gradients.",
        epilog='e.g. python -m autograd draw "tanh(x*w + b)" x=2 w=-3 b=6.88 -o graph.svg',
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for add_command in COMMANDS:
        add_command(commands)
    return parser


def run_draw(args: argparse.Namespace) -> int:
    """The `draw` subcommand: evaluate, backpropagate, draw."""
    parser: argparse.ArgumentParser = args.parser
    root = expression_from_args(parser, args)
    root.backward()
    options = drawing_options(args)
    try:
        if args.output is None:
            sys.stdout.write(draw_dot(root, **options).source)
        else:
            render(root, args.output, **options)
    except GraphTooLargeError as error:
        parser.error(f"the graph has {error.count} values, more than --max-nodes={error.limit}; "
                     f"raise --max-nodes to draw it anyway (Graphviz slows down on big graphs)")
    except ValueError as error:  # an unknown --highlight name or output extension
        parser.error(str(error))
    except (GraphvizNotFoundError, RuntimeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.output is not None:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def run_explore(args: argparse.Namespace) -> int:
    """The `explore` subcommand: evaluate, then write the page."""
    parser: argparse.ArgumentParser = args.parser
    root = expression_from_args(parser, args)
    try:
        explore(root, args.output, forward=args.forward, precision=args.precision,
                rankdir=args.rankdir, max_nodes=args.max_nodes)
    except GraphTooLargeError as error:
        parser.error(f"the graph has {error.count} values, more than --max-nodes={error.limit}; "
                     f"raise --max-nodes to draw it anyway (Graphviz slows down on big graphs)")
    except ValueError as error:  # the output is not an .html file
        parser.error(str(error))
    except (GraphvizNotFoundError, RuntimeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def run_explain(args: argparse.Namespace) -> int:
    """The `explain` subcommand: evaluate, then print each explanation asked for."""
    parser: argparse.ArgumentParser = args.parser
    if not args.wrt and not args.at:
        parser.error("say which gradient to explain: --wrt NAME (the paths from the result "
                     "down to NAME) or --at NAME (the sum over NAME's consumers)")
    root = expression_from_args(parser, args)
    leaves = {node.label: node for node in root.graph() if node.is_leaf and node.label}
    if not root.label:  # the texts call the result f (f', f'', ... if f is a bound name)
        root.label = "f"
        while root.label in leaves:
            root.label += "'"
    for name in [*args.at, *args.wrt]:
        if name not in leaves:
            known = ", ".join(leaves) or "none"
            parser.error(f"--at/--wrt {name}: no such name in the expression (its names: "
                         f"{known})")
    texts = [str(explain(leaves[name], output=root, precision=args.precision))
             for name in args.at]
    texts += [str(explain(root, wrt=leaves[name], max_paths=args.max_paths,
                          precision=args.precision)) for name in args.wrt]
    print("\n\n".join(texts))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (argparse exits with 2 on bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.run(args)


def _precision(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= 17:
        raise argparse.ArgumentTypeError(f"{value} is outside 0..17")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return value
