"""The ``migsim`` command: one face for runs, comparisons, batches, calibration, dashboard.

Each group of commands lives in its own module and registers itself on
:data:`app`; heavy libraries are imported inside the commands that need them.
Bad input raises :class:`sim.errors.InputError`; :func:`main` prints its one
line on stderr and exits with status 2.
"""

from __future__ import annotations

import sys

import typer

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
    from sim.cli import attribute_cmd  # noqa: F401
except ImportError:  # pragma: no cover
    pass
try:
    from sim.cli import dashboard_cmd  # noqa: F401
except ImportError:  # pragma: no cover
    pass


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings of our own inputs as one line on stderr (library warnings keep their category)."""
    prefix = "warning" if category is UserWarning else category.__name__
    print(f"migsim: {prefix}: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``migsim`` console script.

    Every bad input, whether found by our own checks (:class:`InputError`) or
    by the option parser (a value of the wrong type, an unknown option), is
    one line on stderr and exit status 2.
    """
    import warnings

    warnings.showwarning = _one_line_warning
    try:  # typer 0.29 ships its own copy of click
        from typer._click import exceptions as errors
    except ImportError:  # pragma: no cover - older typer on plain click
        from click import exceptions as errors

    try:
        code = app(args=argv, standalone_mode=False)
    except InputError as exc:
        print(f"migsim: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except errors.NoArgsIsHelpError as exc:
        print(exc.ctx.get_help())
        sys.exit(0)
    except errors.UsageError as exc:
        where = f" (see 'migsim {exc.ctx.info_name} --help')" if exc.ctx and exc.ctx.parent else ""
        message = " ".join(exc.format_message().split())
        print(f"migsim: error: {message}{where}", file=sys.stderr)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        print("migsim: interrupted: no output of the interrupted step was written (outputs are written "
              "whole or not at all)", file=sys.stderr)  # fmt: skip
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
