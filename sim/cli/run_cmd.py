"""``migsim run`` and ``migsim bench``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from sim.cli.app import app
from sim.defaults import RUN_HOUSEHOLDS
from sim.errors import InputError

KEY_COLUMNS = ("migrants_ru", "migrants_kz", "banned", "remittances_gdp_pct", "poverty_rate")


def parse_by(by: str | None) -> tuple[str, ...]:
    """``"region,sex"`` -> ``("region", "sex")``, validated."""
    from sim.indicators import KEYS

    if not by:
        return ()
    keys = tuple(part.strip() for part in by.split(",") if part.strip())
    for key in keys:
        if key not in KEYS:
            raise InputError(f"--by {key!r}; allowed: {', '.join(KEYS)} (comma-separated)")
    return keys


def default_out(scenario: Path) -> Path:
    return Path("results") / f"{scenario.stem}.parquet"


class Progress:
    """A progress bar over months that appears only for runs longer than a second."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, desc=self.label, unit="month", delay=1.0, leave=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        """End the bar; one cut short (Ctrl-C, an error) ends its line so the next message starts clean."""
        if self.bar is None:
            return
        unfinished = self.bar.n < self.bar.total
        self.bar.close()
        if unfinished:
            self.bar.fp.write("\n")
        self.bar = None


def _cell(value: float, unit: str) -> str:
    """A value of the summary table in ``unit``: counts whole, USD in millions, shares in percent."""
    from sim.indicators import PCT_GDP, SHARE, USD_MONTH, USD_PERSON

    if unit == SHARE:
        return f"{value:.1%}"
    if unit == PCT_GDP:
        return f"{value:.1f}"
    if unit == USD_MONTH:
        return f"{value / 1e6:,.1f}m"
    if unit == USD_PERSON:
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def summary_lines(frame) -> list[str]:
    """A short table: key indicators by origin, first, middle and last year (yearly sums or means)."""
    from sim.indicators import REGISTRY, annual

    yearly = annual(frame[["date", "origin", *KEY_COLUMNS]])
    years = sorted(yearly["year"].unique())
    picks = {years[0], years[len(years) // 2], years[-1]}
    widths = [max(len(name), 10) for name in KEY_COLUMNS]

    def line(origin: str, year: str, cells) -> str:
        return f"{origin:6} {year:>4} " + " ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))

    lines = [line("origin", "year", KEY_COLUMNS)]
    for row in yearly[yearly["year"].isin(picks)].itertuples(index=False):
        cells = [_cell(getattr(row, name), REGISTRY[name].unit) for name in KEY_COLUMNS]
        lines.append(line(row.origin, str(row.year), cells))
    return lines


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="Scenario TOML file."),
    households: int = typer.Option(RUN_HOUSEHOLDS, "--households", "-n", help="Simulated households."),
    seed: int = typer.Option(0, help="Root seed."),
    engine: str = typer.Option("numba", help="numba (fast) or mesa (one Agent per household)."),
    threads: int = typer.Option(None, help="numba threads (results do not depend on it)."),
    until: str = typer.Option(None, help="Last month, YYYY-MM."),
    by: str = typer.Option(None, help="Extra keys: region, sex, status, age (comma-separated)."),
    status_month: str = typer.Option(
        None,
        "--status-month",
        help="YYYY-MM: split households by whether a member is banned at the start of this month "
        "(needed for --by status; the groups stay fixed from then on).",
    ),
    annual: bool = typer.Option(False, "--annual", help="Yearly aggregates."),
    out: Path = typer.Option(None, help="Output .parquet or .csv (default results/NAME.parquet)."),
    driver_path: str = typer.Option(
        None,
        "--driver-path",
        help="Drivers after the data end: low, central or high (default: the scenario's).",
    ),
    posterior: Path = typer.Option(
        None,
        help="posterior.parquet of a calibration: run K members with parameters drawn from it and write "
        "the mean and 5-95% band (posterior, structural error and seed) instead of one run.",
    ),
    seeds: int = typer.Option(8, "--seeds", "-k", help="With --posterior: members."),
) -> None:
    """Run a scenario; write the results table and a PNG chart beside it.

    Results after the end of the observed drivers (2025-12) are given the
    chosen driver path, not forecasts of it.
    """
    import pandas as pd

    from sim.api import run as run_scenario
    from sim.charts import run_chart
    from sim.drivers import history_end
    from sim.model import resolve_scenario
    from sim.months import format_month, parse_month
    from sim.results import check_output_path

    keys = parse_by(by)
    if "status" in keys and status_month is None:
        raise InputError("--by status needs --status-month YYYY-MM (the month at whose start households "
                         "are split by whether a member is banned)")  # fmt: skip
    if (status_month is not None or "age" in keys) and posterior is not None:
        raise InputError(
            "--by with --posterior: the ensemble table has no breakdowns; allowed: one or the other"
        )
    if annual and posterior is not None:
        raise InputError("--annual with --posterior: the ensemble table is monthly (bands of months); "
                         "allowed: one or the other")  # fmt: skip
    resolved = resolve_scenario(scenario)
    if until is not None:
        resolved = resolved.with_end(parse_month(until, "--until"))
    if driver_path is not None:
        resolved = resolved.with_driver_path(driver_path)
    if households < 3:
        raise InputError(f"--households {households}; allowed: an integer >= 3")
    out = out or default_out(scenario)
    if out.parent == Path("results") and not out.parent.exists():
        out.parent.mkdir(parents=True)
    check_output_path(out)

    if posterior is not None:
        _run_with_bands(resolved, posterior, seeds, households, seed, threads, out)
        return
    progress = Progress(resolved.name)
    try:
        results = run_scenario(resolved, households=households, seed=seed, engine=engine,
                               threads=threads, progress=progress, status_month=status_month,
                               age_groups="age" in keys)  # fmt: skip
    except KeyboardInterrupt:
        progress.close()
        typer.echo(f"migsim: interrupted; nothing was written ({out} is written when a run ends)", err=True)
        raise typer.Exit(130) from None
    finally:
        progress.close()
    results.write(out, by=keys, annual_totals=annual)
    end = history_end()
    chart = run_chart(results.frame, out.with_suffix(".png"), resolved.title,
                      pd.Timestamp(format_month(end) + "-01"), resolved.driver_path)  # fmt: skip
    for line in summary_lines(results.frame):
        typer.echo(line)
    if resolved.end > end:
        typer.echo(f"history through {format_month(end)}; later years are given the "
                   f"{resolved.driver_path} driver path (docs/model.md)")  # fmt: skip
    typer.echo(f"wrote {out} and {chart}")


def _run_with_bands(resolved, posterior: Path, seeds: int, households: int, seed: int, threads, out: Path):
    """``migsim run --posterior``: members drawn from the posterior; the table holds mean and band."""
    from sim.compare import ensemble_chart
    from sim.ensemble import MAX_MEMBERS, posterior_ensemble, run_ensemble
    from sim.results import write_table

    if not 2 <= seeds <= MAX_MEMBERS:
        raise InputError(f"--seeds {seeds}; allowed: an integer from 2 to {MAX_MEMBERS} with --posterior")
    draws, structural = posterior_ensemble(posterior, seeds, seed)
    progress = Progress(f"{resolved.name} x {seeds}")
    try:
        result = run_ensemble(
            resolved,
            seeds=seeds,
            seed=seed,
            households=households,
            threads=threads,
            progress=progress,
            parameter_draws=draws,
            structural=structural,
        )
    finally:
        progress.close()
    write_table(result.wide(), out, result.metadata)
    chart = ensemble_chart(out.with_suffix(".png"), result)
    typer.echo(f"{seeds} members drawn from {posterior}; bands: {result.band_kind}")
    typer.echo(f"wrote {out} and {chart}")


def _bench_attribution(households: int | None, seeds: int, threads: int | None, as_json: bool) -> None:
    """``migsim bench --attribution``: an attribution of ``migsim attribute``'s default size, beside a run."""
    from sim.attribution import DEFAULT_HOUSEHOLDS, DEFAULT_SEEDS
    from sim.bench import bench_attribution

    households = DEFAULT_HOUSEHOLDS if households is None else households
    if households < 3 or seeds < 1:
        raise InputError("--households must be >= 3 and --seeds >= 1")
    row = bench_attribution(households, seeds, threads=threads)
    default = households == DEFAULT_HOUSEHOLDS and seeds == DEFAULT_SEEDS
    row["default_size"] = default
    if as_json:
        typer.echo(json.dumps(row))
        return
    size = "the default size"
    if not default:
        size = f"a reduced size (the default is {DEFAULT_HOUSEHOLDS:,} households x {DEFAULT_SEEDS} members)"
    typer.echo(
        f"attribution {row['window']} of the baseline, {size}: {row['households']:,} households x "
        f"{row['seeds']} members, {row['factors']} factors, {row['runs']} runs of {row['months_per_run']} "
        f"months: {row['attribution_s']:.1f} s ({row['attribution_seconds_per_run']:.2f} s a run)\n"
        f"plain run in the same process, same size and months: {row['run_s']:.2f} s, "
        f"{row['household_months_per_s']:.3g} household-months/s\n"
        f"the attribution costs {row['attribution_over_run']:.0f} plain runs "
        f"({row['attribution_household_months_per_s']:.3g} household-months/s inside it; "
        f"{row['threads']} threads; compile {row['compile_s']:.1f} s)"
    )


def _bench_whatif(as_json: bool) -> None:
    """``migsim bench --whatif``: seconds to a what-if answer as the dashboard computes it."""
    from dashboards import ensemble, whatif

    scenario, reference = whatif.load("eaeu_uzbekistan.toml"), whatif.load(whatif.REFERENCE)
    row = ensemble.benchmark(scenario, reference, whatif.HOUSEHOLDS, whatif.SEEDS, whatif.members())
    row = {"households": whatif.HOUSEHOLDS, "members": len(whatif.SEEDS), **row}
    if as_json:
        typer.echo(json.dumps(row))
        return
    typer.echo(
        f"what-if answer, {row['households']:,} households x {row['members']} members x 2 runs: "
        f"{row['cold_s']:.1f} s from an empty cache; {row['warm_s']:.1f} s with the baseline warmed "
        f"at start-up ({row['warm_over_cold']:.2f} of it; warming took {row['reference_s']:.1f} s)"
    )


@app.command()
def bench(
    households: int = typer.Option(
        None,
        "--households",
        "-n",
        help=f"Default {RUN_HOUSEHOLDS:,}; with --attribution, attribute's default.",
    ),
    steps: int = typer.Option(24, help="Months to time after a warm-up month."),
    engine: str = typer.Option("numba", help="numba or mesa."),
    threads: int = typer.Option(None, help="numba threads."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    scaling: bool = typer.Option(False, "--scaling", help="Run 10k, 100k, 1M and full scale."),
    plot: Path = typer.Option(None, help="With --scaling: write the scaling curve to this PNG."),
    whatif: bool = typer.Option(
        False,
        "--whatif",
        help="Time a dashboard what-if answer (Uzbekistan joins "
        "the EAEU, the dashboard's households), cold and with the baseline warmed.",
    ),
    attribution: bool = typer.Option(
        False,
        "--attribution",
        help="Time an attribution (2013 to 2015 of the baseline) at migsim attribute's default size, "
        "and a plain run of the same size in the same process.",
    ),
    seeds: int = typer.Option(None, help="With --attribution: members (default: attribute's default)."),
) -> None:
    """Measure household-steps per second, memory, compile and network-build time."""
    from sim.bench import SCALING_SIZES, plot_scaling
    from sim.bench import bench as measure

    if whatif:
        _bench_whatif(as_json)
        return
    if attribution:
        from sim.attribution import DEFAULT_SEEDS

        _bench_attribution(households, DEFAULT_SEEDS if seeds is None else seeds, threads, as_json)
        return
    households = RUN_HOUSEHOLDS if households is None else households

    if engine not in ("numba", "mesa"):
        raise InputError(f"--engine {engine!r}; allowed: numba, mesa")
    if households < 3 or steps < 1:
        raise InputError("--households must be >= 3 and --steps >= 1")
    sizes = SCALING_SIZES if scaling else (households,)
    rows = [measure(n, steps, engine, threads) for n in sizes]
    if plot is not None:
        plot_scaling(rows, plot)
    if as_json:
        typer.echo(json.dumps(rows if scaling else rows[0], indent=None))
        return
    for row in rows:
        typer.echo(
            f"{row['households']:>10,} households  {row['engine']:5}  {row['threads']} threads  "
            f"{row['household_steps_per_s']:.3g} household-steps/s  "
            f"{row['seconds_per_step'] * 1e3:.1f} ms/step  build {row['build_s']:.2f} s  "
            f"network {row['network_build_s']:.2f} s  compile {row['compile_s']:.2f} s  "
            f"{row['bytes_per_household']:.0f} B/household  peak {row['peak_rss_mb']:.0f} MiB"
        )
