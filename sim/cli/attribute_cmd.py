"""``migsim attribute``: what drove a change, factor by factor."""

from __future__ import annotations

from pathlib import Path

import typer

from sim.cli.app import app
from sim.defaults import MEMBER_HOUSEHOLDS

INTERRUPTED = 130


def _names(text: str | None) -> tuple[str, ...] | None:
    """``"a,b"`` -> ``("a", "b")``; None stays None."""
    if text is None:
        return None
    return tuple(part.strip() for part in text.split(",") if part.strip())


@app.command()
def attribute(
    scenario: Path = typer.Argument(..., help="Scenario TOML file."),
    start: str = typer.Option(..., "--from", help="First period: a year (2013) or a month (2013-06)."),
    end: str = typer.Option(..., "--to", help="Second period, of the same kind."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (created, or resumed)."),
    indicators: str = typer.Option(
        None,
        help="Comma-separated indicators (default: remittances in USD and "
        "as a share of GDP, migrants in Russia and Kazakhstan).",
    ),  # fmt: skip
    factors: str = typer.Option(None, help="Comma-separated factors (default: all that change anything)."),
    by: str = typer.Option(
        None,
        help="Who was hit: region, sex, status (a banned member at the start of --from), comma-separated "
        "(rows per cell besides 'all').",
    ),
    seeds: int = typer.Option(5, help="Members (seeds); bands are their 5-95% range."),
    seed: int = typer.Option(0, help="Root seed."),
    posterior: Path = typer.Option(None, help="posterior.parquet: members also differ in parameters."),
    households: int = typer.Option(
        MEMBER_HOUSEHOLDS, "--households", "-n", help="Simulated households per run."
    ),
    workers: int = typer.Option(0, help="Dask LocalCluster workers for the runs (0 or 1: this process)."),
    scheduler: str = typer.Option(None, help="A running Dask scheduler (address or scheduler file)."),
    lang: str = typer.Option("en", help="Language of the lines printed: en or ru (both are written)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Split the change of indicators between two periods into its causes (Shapley values over factors)."""
    from tqdm import tqdm

    from sim.attribution import attribute as run_attribution
    from sim.attribution.core import DEFAULT_INDICATORS
    from sim.errors import InputError

    if lang not in ("en", "ru"):
        raise InputError(f"--lang {lang!r}; allowed: en, ru")
    if workers < 0:
        raise InputError(f"--workers {workers}; allowed: an integer >= 0")
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc="attribution", unit="run", disable=quiet)
        bar.update(done - bar.n)

    try:
        result = run_attribution(
            scenario, start, end, indicators=_names(indicators) or DEFAULT_INDICATORS,
            factors=_names(factors), by=_names(by) or (), seeds=seeds, seed=seed, posterior=posterior,
            households=households, out=out, progress=progress, workers=workers, scheduler=scheduler,
        )  # fmt: skip
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        typer.echo(f"migsim: interrupted; finished runs are kept in {out}/runs: rerun the same command to "
                   "resume", err=True)  # fmt: skip
        raise typer.Exit(INTERRUPTED) from None
    if bar is not None:
        bar.close()
    written = result.write(Path(out))
    for line in result.lines(lang):
        typer.echo(line)
    typer.echo(f"{len(written)} files in {out}: attribution.csv, waterfall charts, summary_en.txt, "
               "summary_ru.txt", err=True)  # fmt: skip
