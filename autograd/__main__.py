"""`python -m autograd ...`: see autograd.cli."""

from autograd.cli import main

raise SystemExit(main())
