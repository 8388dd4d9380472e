"""The ``migsim`` command: one face for runs, comparisons, batches, calibration, dashboard.

Each group of commands lives in its own module and registers itself on
:data:`app`; heavy libraries are imported inside the commands that need them.
Bad input raises :class:`sim.errors.InputError`; :func:`main` prints its one
line on stderr and exits with status 2.
"""

from __future__ import annotations

import sys

from sim.cli.app import app
from sim.errors import InputError

# command modules register on `app` when imported
from sim.cli import run_cmd  # noqa: E402,F401  isort: skip

try:  # optional command groups, each owned by its own module
    from sim.cli import scenario_cmd  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from sim.cli import batch_cmd  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from sim.cli import calibration_cmd  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from sim.cli import dashboard_cmd  # noqa: F401
except ImportError:  # pragma: no cover
    pass


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``migsim`` console script."""
    try:
        app(args=argv, standalone_mode=True)
    except InputError as exc:
        print(f"migsim: error: {exc}", file=sys.stderr)
        sys.exit(2)
