"""What every demo shares: its command line (--out, --seed, --quick), output folder and summary."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

DEMOS = Path(__file__).resolve().parent
DEFAULT_OUT = DEMOS / "out"


def make_parser(
    name: str, description: str, *, quick: str, default_seed: int | None = 0
) -> argparse.ArgumentParser:
    """An argument parser with the options every demo has: `quick` says what --quick changes;
    `default_seed` None leaves out --seed (for a demo that draws nothing at random)."""
    parser = argparse.ArgumentParser(
        prog=f"python -m demos.{name}",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"folder the images are written to (default: {shown(DEFAULT_OUT)}/)",
    )
    if default_seed is not None:
        parser.add_argument(
            "--seed",
            type=seed_number,
            default=default_seed,
            help=f"seed of every random draw (default: {default_seed})",
        )
    parser.add_argument("--quick", action="store_true", help=quick)
    return parser


def seed_number(text: str) -> int:
    """--seed's type: a non-negative int."""
    seed = int(text)
    if seed < 0:
        raise argparse.ArgumentTypeError(f"a seed must be 0 or more, not {seed}")
    return seed


def fill_defaults(args: argparse.Namespace, **defaults: tuple[float, float]) -> None:
    """Give each named option left unset (None) its (full run, --quick) default."""
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)


def check_positive(parser: argparse.ArgumentParser, args: argparse.Namespace, *names: str) -> None:
    """Exit with a usage error if any of the named options is not positive."""
    for name in names:
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")


def output_folder(args: argparse.Namespace) -> Path:
    """The --out folder, created if needed; exits with a message if it cannot be."""
    folder = Path(args.out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SystemExit(f"cannot write the images to --out {folder}: {error}") from None
    return folder


def shown(path: os.PathLike[str] | str) -> str:
    """A path as a user would type it: relative to the current folder when it is inside it."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Timer:
    """Seconds since it was created."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


def report_files(paths: Sequence[os.PathLike[str] | str]) -> None:
    """Print one `wrote PATH` line per file written."""
    for path in paths:
        print(f"wrote {shown(path)}")


def summary(name: str, result: str, timer: Timer) -> None:
    """Print the demo's last line: `summary: NAME: RESULT (N.N s)`."""
    print(f"summary: {name}: {result} ({timer.seconds:.1f} s)")
