"""python -m nn.studio [--no-browser] [--port N] [--dataset NAME] [--seed N]"""

from __future__ import annotations

import argparse
import sys
import webbrowser

from .launch import serve
from .settings import DATASETS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nn.studio",
        description="Train a small network in the browser and watch it learn, live.",
    )
    parser.add_argument("--no-browser", action="store_true", help="only print the URL")
    parser.add_argument("--port", type=int, default=0, help="the port (default: a free one)")
    parser.add_argument("--dataset", choices=DATASETS, default="moons")
    parser.add_argument("--seed", type=int, default=0, help="seeds the data and the weights")
    args = parser.parse_args(argv)
    try:
        studio = serve(port=args.port, dataset=args.dataset, seed=args.seed)
    except KeyboardInterrupt:
        print("Studio stopped before it started.", flush=True)
        return 0
    except OSError as error:
        print(f"python -m nn.studio: cannot listen on port {args.port}: {error.strerror}; "
              f"pick another with --port, or leave it out for a free one", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"python -m nn.studio: {error}", file=sys.stderr)
        return 2
    try:
        print(f"chainrule studio: {studio.url}", flush=True)
        print("Press Ctrl-C to stop it.", flush=True)
        if not args.no_browser:
            webbrowser.open(studio.url)
        studio.wait()
    except KeyboardInterrupt:
        pass
    finally:
        studio.stop()
    print("Studio stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
