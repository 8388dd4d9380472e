"""The Typer application the command modules register on."""

import typer

app = typer.Typer(
    name="migsim",
    help="Labour migration from Central Asia: scenarios, ensembles, batches, calibration.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
