"""``migsim batch`` and ``migsim summarize``."""

from __future__ import annotations

from pathlib import Path

import typer

from sim.cli.app import app

INTERRUPTED = 130
FAILED_RUNS = 1


def _terminate(signum, frame):
    raise KeyboardInterrupt


@app.command()
def batch(
    spec: Path = typer.Argument(..., help="Batch spec TOML file (docs/batch.md)."),
    out: Path = typer.Option(..., "--out", "-o", help="Batch directory (created, or resumed)."),
    workers: int = typer.Option(None, "--workers", "-w", help="Local worker processes (default: cores)."),
    scheduler: str = typer.Option(None, help="Running Dask scheduler: tcp://HOST:PORT or scheduler file."),
    runs_per_task: int = typer.Option(None, help="Runs per Dask task (default: the spec's, or automatic)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Run a batch of simulations on Dask; rerun the same command to resume."""
    import logging
    import signal

    from sim.batch.runner import run_batch
    from sim.batch.spec import load_spec

    logging.getLogger("distributed").setLevel(logging.ERROR)
    loaded = load_spec(spec)
    typer.echo(
        f"{loaded.name}: {loaded.n_runs} runs = {len(loaded.scenarios)} scenarios x {loaded.n_points} "
        f"points x {loaded.seeds} seeds, {loaded.households:,} households; identity "
        f"{loaded.identity()[:12]}",
        err=True,
    )
    previous = signal.signal(signal.SIGTERM, _terminate)  # a cancelled cluster job stops like Ctrl-C
    try:
        report = run_batch(loaded, out, workers=workers, scheduler=scheduler,
                           runs_per_task=runs_per_task, progress=not quiet)  # fmt: skip
    except KeyboardInterrupt:
        typer.echo(f"interrupted; finished runs are kept in {out}/results; rerun the same command to resume",
                   err=True)  # fmt: skip
        raise typer.Exit(INTERRUPTED) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    typer.echo(
        f"{report.done} runs done, {report.failed} failed, {report.skipped} already done; "
        f"{report.tasks} tasks in {report.seconds:.1f} s; results in {out}/results"
    )
    if report.failed:
        typer.echo(f"failed runs and their errors: {out}/runs.parquet (status == 'failed'); "
                   "rerun the same command to retry them", err=True)  # fmt: skip
        raise typer.Exit(FAILED_RUNS)


@app.command()
def summarize(
    directory: Path = typer.Argument(..., help="A batch directory written by `migsim batch`."),
    out: Path = typer.Option(None, help="Summary table, .parquet or .csv (default DIR/summary.parquet)."),
) -> None:
    """Per design point and scenario: means and 5-95% bands over seeds, as a table and a PNG."""
    from sim.batch.summary import summarize as summarize_batch

    table, chart = summarize_batch(directory, out)
    typer.echo(f"wrote {table} and {chart}")
