"""``migsim compare`` and ``migsim ensemble``: scenarios with seeds, bands and differences."""

from __future__ import annotations

from pathlib import Path

import typer

from sim.cli.app import app
from sim.defaults import MEMBER_HOUSEHOLDS
from sim.errors import InputError


def _check_sizes(seeds: int, households: int, seed: int) -> None:
    from sim.ensemble import MAX_MEMBERS

    if not 1 <= seeds <= MAX_MEMBERS:
        raise InputError(f"--seeds {seeds}; allowed: an integer from 1 to {MAX_MEMBERS}")
    if households < 3:
        raise InputError(f"--households {households}; allowed: an integer >= 3")
    if seed < 0:
        raise InputError(f"--seed {seed}; allowed: an integer >= 0")


def _prepare_out(out: Path) -> Path:
    from sim.results import check_output_path

    if out.parent == Path("results") and not out.parent.exists():
        out.parent.mkdir(parents=True)
    check_output_path(out)
    return out


def _check_year(year: int | None, start: int, end: int, flag: str = "--year") -> None:
    if year is not None and not start // 12 <= year <= end // 12:
        raise InputError(f"{flag} {year}: outside the horizon {start // 12} to {end // 12}")


@app.command()
def compare(
    base: Path = typer.Argument(..., help="Base scenario TOML (e.g. scenarios/baseline.toml)."),
    other: Path = typer.Argument(..., help="Scenario TOML to compare against the base."),
    seeds: int = typer.Option(10, "--seeds", "-k", help="Ensemble members (same seeds for both)."),
    households: int = typer.Option(
        MEMBER_HOUSEHOLDS, "--households", "-n", help="Simulated households per member."
    ),
    seed: int = typer.Option(0, help="Root seed; member seeds are spawned from it."),
    until: str = typer.Option(None, help="Last month, YYYY-MM (default: the common horizon's end)."),
    year: int = typer.Option(None, help="Year of the printed summary (default: the last)."),
    threads: int = typer.Option(None, help="numba threads (results do not depend on it)."),
    posterior: Path = typer.Option(
        None,
        help="posterior.parquet of migsim calibrate: members also draw "
        "their parameters from it (bands: posterior and seed).",
    ),
    out: Path = typer.Option(None, help="Differences table, .parquet or .csv (PNG written beside)."),
) -> None:
    """Run BASE and OTHER with common random numbers; write differences with 5-95% bands."""
    from sim.cli.run_cmd import Progress
    from sim.compare import common_until
    from sim.compare import compare as run_compare
    from sim.ensemble import posterior_draws, prepare
    from sim.months import parse_month

    _check_sizes(seeds, households, seed)
    draws = posterior_draws(posterior, seeds, seed) if posterior else None
    base_s, other_s = prepare(base), prepare(other)
    until = common_until(base_s, other_s, until)
    _check_year(year, base_s.start, parse_month(until, "--until"))
    out = _prepare_out(out or Path("results") / f"compare_{other.stem}_vs_{base.stem}.parquet")

    progress = Progress(f"{other_s.name} vs {base_s.name}")
    try:
        result = run_compare(base_s, other_s, seeds=seeds, households=households, seed=seed,
                             until=until, threads=threads, progress=progress,
                             parameter_draws=draws)  # fmt: skip
    finally:
        progress.close()
    result.write(out)
    chart = result.chart(out.with_suffix(".png"))
    for line in result.summary_lines(year):
        typer.echo(line)
    typer.echo(f"wrote {out} and {chart}")


@app.command()
def ensemble(
    scenario: Path = typer.Argument(..., help="Scenario TOML file."),
    seeds: int = typer.Option(10, "--seeds", "-k", help="Ensemble members."),
    households: int = typer.Option(
        MEMBER_HOUSEHOLDS, "--households", "-n", help="Simulated households per member."
    ),
    seed: int = typer.Option(0, help="Root seed; member seeds are spawned from it."),
    until: str = typer.Option(None, help="Last month, YYYY-MM."),
    year: int = typer.Option(None, help="Year of the printed summary (default: the last)."),
    threads: int = typer.Option(None, help="numba threads (results do not depend on it)."),
    posterior: Path = typer.Option(
        None,
        help="posterior.parquet of migsim calibrate: members also draw their parameters from it; "
        "bands of calibrated levels add the calibration's structural error (discrepancy.csv beside it).",
    ),
    out: Path = typer.Option(None, help="Summary table (mean, p05, p95), .parquet or .csv; PNG beside."),
) -> None:
    """Run a scenario with K seeds; write per-month mean and 5-95% band of every indicator."""
    from sim.cli.run_cmd import Progress
    from sim.compare import ensemble_chart
    from sim.ensemble import posterior_ensemble, prepare
    from sim.ensemble import run_ensemble as run_members

    _check_sizes(seeds, households, seed)
    draws, structural = posterior_ensemble(posterior, seeds, seed) if posterior else (None, None)
    resolved = prepare(scenario, until)
    _check_year(year, resolved.start, resolved.end)
    out = _prepare_out(out or Path("results") / f"ensemble_{scenario.stem}.parquet")

    progress = Progress(f"{resolved.name} x {seeds}")
    try:
        result = run_members(resolved, seeds=seeds, households=households, seed=seed,
                             threads=threads, progress=progress, parameter_draws=draws,
                             structural=structural)  # fmt: skip
    finally:
        progress.close()
    result.write(out)
    chart = ensemble_chart(out.with_suffix(".png"), result)
    for line in ensemble_lines(result, year):
        typer.echo(line)
    typer.echo(f"wrote {out} and {chart}")


def ensemble_lines(result, year: int | None = None) -> list[str]:
    """Yearly mean and 5-95% band of the key indicators, per origin."""
    from sim.compare import KEY_INDICATORS, annual_members, label_and_unit
    from sim.data import ORIGIN_NAMES, ORIGINS
    from sim.ensemble import member_bands
    from sim.indicators import USD_MONTH

    yearly = annual_members(result.members)
    year = int(yearly["year"].max()) if year is None else year
    table = member_bands(yearly[yearly["year"] == year].drop(columns="months"), by=("year", "origin"))
    lines = [f"{result.scenario_name}, {year}: mean (5-95% band) over {len(result.seeds)} members; "
             f"band: {result.band_kind}"]  # fmt: skip
    for name in KEY_INDICATORS:
        label, unit = label_and_unit(name)
        rows = table[table["indicator"] == name].set_index("origin")
        for origin in [o for o in ORIGINS if o in rows.index]:
            row = rows.loc[origin]
            if unit == USD_MONTH:
                text = f"USD {row['mean'] / 1e6:,.1f} million ({row.p05 / 1e6:,.1f} to {row.p95 / 1e6:,.1f})"
            else:
                text = f"{row['mean']:,.0f} ({row.p05:,.0f} to {row.p95:,.0f})"
            lines.append(f"{label}, {ORIGIN_NAMES[origin]}: {text}")
    return lines
