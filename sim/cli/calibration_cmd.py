"""``migsim calibrate``, ``migsim validate`` and ``migsim sensitivity``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from sim.cli.app import app
from sim.defaults import MEMBER_HOUSEHOLDS
from sim.errors import InputError


def _import_calibration() -> None:
    """Make the ``calibration`` package importable from a source checkout too."""
    try:
        import calibration  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _setup(scenario: Path, households: int, until: str, spinup: int | None, threads: int):
    from calibration.runner import RunSetup
    from sim.model import resolve_scenario
    from sim.months import parse_month

    if households < 3:
        raise InputError(f"--households {households}; allowed: an integer >= 3")
    if spinup is not None and not 0 <= spinup <= 240:
        raise InputError(f"--spinup {spinup}; allowed: an integer in [0, 240]")
    resolved = resolve_scenario(scenario)
    resolved.with_end(parse_month(until, "--until"))  # validates the month and the horizon
    return RunSetup(scenario=str(Path(resolved.source).resolve()), households=households, until=until,
                    spinup_months=spinup, threads=threads)  # fmt: skip


def _check_workers(workers: int, scheduler: str | None) -> None:
    if workers < 0:
        raise InputError(f"--workers {workers}; allowed: 0 (in process) or more")
    if workers and scheduler:
        raise InputError("give --workers or --scheduler, not both")


@app.command()
def calibrate(
    out: Path = typer.Option(..., help="Run directory (abc.db, posterior, best.toml, PNGs)."),
    population: int = typer.Option(30, help="Particles per ABC-SMC generation."),
    generations: int = typer.Option(5, help="Generations in total (a rerun continues up to this)."),
    budget: int = typer.Option(None, help="Stop after this many simulations in total."),
    households: int = typer.Option(
        MEMBER_HOUSEHOLDS, "--households", "-n", help="Simulated households per run."
    ),
    fit_until: str = typer.Option("2021-12", help="Last month of fitted data; later targets held out."),
    until: str = typer.Option("2021-12", help="Last simulated month (>= the last fitted target)."),
    spinup: int = typer.Option(None, help="Spin-up months (default: the scenario's)."),
    scenario: Path = typer.Option(Path("scenarios/baseline.toml"), help="Scenario calibrated."),
    workers: int = typer.Option(0, help="Dask LocalCluster workers (0: in this process)."),
    scheduler: str = typer.Option(None, help="Address of a running Dask scheduler."),
    seed: int = typer.Option(0, help="Root seed (recorded in settings.json)."),
    kernel_scaling: float = typer.Option(
        None, help="Width of the proposal kernel, times pyabc's default (Silverman's rule) [default: 2]."
    ),  # fmt: skip
    convergence: bool = typer.Option(
        False, "--convergence", help="Also compare indicators at --households against --reference-households."
    ),  # fmt: skip
    reference_households: int = typer.Option(100_000, help="Size of the convergence reference."),
) -> None:
    """Calibrate behavioural parameters by ABC-SMC (pyabc), resumable from DIR/abc.db."""
    _import_calibration()
    import json
    import logging

    from calibration.abc import CalibrationSettings, convergence_check
    from calibration.abc import calibrate as run_calibration
    from calibration.targets import in_fit, load_targets

    _check_workers(workers, scheduler)
    if budget is not None and budget < 1:
        raise InputError(f"--budget {budget}; allowed: an integer >= 1 (simulations), or leave it out")
    if convergence and reference_households < 3:
        raise InputError(f"--reference-households {reference_households}; allowed: an integer >= 3")
    in_fit(load_targets().head(1), fit_until)  # validates the month
    setup = _setup(scenario, households, until, spinup, threads=1)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("ABC").setLevel(logging.INFO)
    settings = CalibrationSettings(setup=setup, fit_until=fit_until, seed=seed, population=population,
                                   generations=generations, max_simulations=budget)  # fmt: skip
    if kernel_scaling is not None:
        settings.kernel_scaling = kernel_scaling
    try:
        summary = run_calibration(out, settings, workers=workers, scheduler=scheduler, progress=typer.echo)
    except KeyboardInterrupt:
        typer.echo(f"migsim: interrupted; the finished generations are kept in {out / 'abc.db'}: run the "
                   "same command again to continue", err=True)  # fmt: skip
        raise typer.Exit(130) from None
    for t, (eps, samples) in enumerate(zip(summary["epsilons"], summary["samples_per_generation"],
                                           strict=True)):  # fmt: skip
        typer.echo(f"generation {t}: epsilon {eps:.4f}, {samples} simulations")
    typer.echo(
        f"{summary['total_simulations']} simulations; "
        "best-fitting particle (weighted posterior median; 90% interval):"
    )
    for name, value in summary["best"].items():
        lo, hi = summary["posterior_90"][name]
        median = summary["posterior_median"][name]
        typer.echo(f"  {name:22} {value:10.4g}  ({median:.4g}; [{lo:.4g}, {hi:.4g}])")
    if convergence:
        from sim.results import atomic_write

        table, figures = convergence_check(setup, reference=reference_households,
                                           params=summary["best"])  # fmt: skip
        atomic_write(out / "convergence.csv", lambda tmp: table.to_csv(tmp, index=False))
        summary["convergence"] = figures
        atomic_write(out / "settings.json", lambda tmp: tmp.write_text(json.dumps(summary, indent=2)))
        typer.echo(f"convergence: median |difference| {figures['median_abs_difference']:.1%}, "
                   f"90th percentile {figures['p90_abs_difference']:.1%} at {households:,} vs "
                   f"{reference_households:,} households; distance {figures['distance_small']:.3f} vs "
                   f"{figures['distance_reference']:.3f}")  # fmt: skip
    typer.echo(
        f"wrote {out}/: posterior.parquet, predictive.csv, best.toml, calibrated.toml, "
        "posterior.png, predictive.png, settings.json"
    )


@app.command()
def validate(
    params: Path = typer.Option(
        None,
        help="best.toml or a scenario with [behaviour]/[policy] (default: the parameters of the scenario).",
    ),  # fmt: skip
    households: int = typer.Option(MEMBER_HOUSEHOLDS, "--households", "-n"),
    seeds: int = typer.Option(3, help="Runs averaged (seeds 0..K-1)."),
    fit_until: str = typer.Option("2021-12", help="Last fitted month: later targets are scored."),
    scenario: Path = typer.Option(Path("scenarios/baseline.toml")),
    predictive: Path = typer.Option(
        None, help="Score a calibration's predictive.csv (posterior-predictive median) instead of running."
    ),  # fmt: skip
    out: Path = typer.Option(
        None, help="Also write the table as CSV (with --rolling: the output directory)."
    ),
    rolling: bool = typer.Option(
        False, "--rolling", help="Rolling origins: calibrate on data to 2014, 2016, 2019 in turn and score."
    ),  # fmt: skip
    population: int = typer.Option(
        120, help="With --rolling: particles per generation (with 40 the weights degenerated)."
    ),
    generations: int = typer.Option(6, help="With --rolling: generations per window."),
    workers: int = typer.Option(0, help="With --rolling: Dask LocalCluster workers (0: in this process)."),
    seed: int = typer.Option(1, help="With --rolling: root seed of each window's calibration."),
    rescore: bool = typer.Option(
        False, help="With --rolling: score the windows already calibrated in --out, without calibrating."
    ),  # fmt: skip
    holdout: Path = typer.Option(
        None,
        help="Recorded 2022-2024 remittances (CSV: origin, year, measure share|usd, observed): score "
        "the shipped forecast of them against carrying 2021 forward.",
    ),  # fmt: skip
    forecast: Path = typer.Option(
        Path("calibration/runs/cal-2021/forecast_2022_2024.csv"), help="With --holdout: the forecast scored."
    ),  # fmt: skip
) -> None:
    """Score held-out targets against a naive last-value forecast (or, with --rolling, rolling origins;
    with --holdout, the shipped 2022-2024 forecast)."""
    _import_calibration()
    if rescore and not rolling:
        raise InputError("--rescore; allowed only with --rolling")
    if holdout is not None:
        _validate_holdout(holdout, forecast, out)
        return
    if rolling:
        _validate_rolling(out or Path("results/rolling"), population, generations, households, workers, seed,
                          rescore=rescore)  # fmt: skip
        return
    from calibration.abc import read_parameter_file
    from calibration.consistency import format_consistency, remittances_per_citizen
    from calibration.targets import in_fit, load_targets
    from calibration.validate import format_table, predictive_validation, read_predictive
    from calibration.validate import validate as run_validation

    if seeds < 1:
        raise InputError(f"--seeds {seeds}; allowed: an integer >= 1")
    if predictive is not None and params is not None:
        raise InputError("give --params or --predictive, not both")
    if out is not None and not out.parent.is_dir():
        raise InputError(f"--out {out}: directory {out.parent} does not exist")
    in_fit(load_targets().head(1), fit_until)  # validates the month
    if predictive is not None:
        table, crit, _, coverage = predictive_validation(read_predictive(predictive), fit_until)
        typer.echo(f"prediction: posterior-predictive median of {predictive} (no runs)")
    else:
        values = read_parameter_file(params) if params is not None else {}
        setup = _setup(scenario, households, "2021-12", None, threads=1)
        table, crit, _ = run_validation(values, setup, seeds=tuple(range(seeds)), fit_until=fit_until)
        typer.echo(f"parameters: {params if params else 'defaults of ' + str(scenario)}; "
                   f"{households:,} households, {seeds} seeds")  # fmt: skip
    for line in format_table(table, crit):
        typer.echo(line)
    if predictive is not None:
        typer.echo(f"held-out levels and changes inside the 90% predictive band: {coverage:.0%}")
    typer.echo("")
    for line in format_consistency(remittances_per_citizen()):
        typer.echo(line)
    if out is not None:
        from sim.results import atomic_write

        atomic_write(out, lambda tmp: table.rename_axis("series").to_csv(tmp))
        typer.echo(f"wrote {out}")


def _validate_holdout(observed: Path, forecast: Path, out: Path | None) -> None:
    """``migsim validate --holdout``: the shipped forecast scored against recorded figures."""
    from calibration import holdout, rolling

    if out is not None and not out.parent.is_dir():
        raise InputError(f"--out {out}: directory {out.parent} does not exist")
    points = holdout.read_forecast(forecast)
    table, pooled = holdout.score(points, holdout.read_observed(observed), where=f"--holdout {observed}")
    typer.echo(f"forecast: {forecast} (made before these figures were seen); recorded: {observed}")
    for line in rolling.format_summary(table, pooled):
        typer.echo(line)
    typer.echo("here the band is the fit's in-sample structural error; bt adds the rolling windows' forecast "
               "errors: the band the product shows")  # fmt: skip
    if out is not None:
        from sim.results import atomic_write

        atomic_write(out, lambda tmp: table.to_csv(tmp, index=False))
        typer.echo(f"wrote {out}")


def _validate_rolling(out: Path, population: int, generations: int, households: int, workers: int,
                      seed: int, rescore: bool = False) -> None:  # fmt: skip
    """``migsim validate --rolling``: each window calibrated (resumable), then scored.

    With ``rescore`` no window is calibrated: each must already hold its
    ``particles.parquet``, and only the scores (and each window's
    ``discrepancy.csv``) are written again.
    """
    import json
    import logging

    import pandas as pd

    from calibration import forecast2015, rolling
    from calibration.abc import CalibrationSettings
    from calibration.abc import calibrate as run_calibration
    from sim.results import atomic_write

    if population < 2 or generations < 1 or households < 3 or workers < 0:
        raise InputError("--population >= 2, --generations >= 1, --households >= 3, --workers >= 0")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")
    if rescore:
        for window in rolling.WINDOWS:
            if not (out / window.name / "particles.parquet").is_file():
                raise InputError(
                    f"--rescore: {out / window.name / 'particles.parquet'} is missing; allowed: "
                    f"an --out holding the windows {', '.join(w.name for w in rolling.WINDOWS)}"
                )
    out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.WARNING)
    points = []
    for window in rolling.WINDOWS:
        if rescore:
            typer.echo(f"{window.name}: scoring the calibration in {out / window.name}")
            rolling.rewrite_discrepancy(out / window.name, window)
        else:
            setup = _setup(Path("scenarios/baseline.toml"), households, f"{window.last_year}-12", None,
                           threads=1)  # fmt: skip
            settings = CalibrationSettings(setup=setup, fit_until=window.fit_until, seed=seed,
                                           population=population, generations=generations)  # fmt: skip
            typer.echo(f"{window.name}: calibrating on data to {window.fit_until} from the prior, "
                       f"forecasting {window.first_year}-{window.last_year}")  # fmt: skip
            run_calibration(out / window.name, settings, workers=workers, progress=typer.echo)
        earlier = pd.concat(points, ignore_index=True) if points else pd.DataFrame()
        backtest = rolling.backtest_sigma(earlier, window.fit_until)
        points.append(rolling.score_window(out / window.name, window, backtest=backtest))
    table = pd.concat(points, ignore_index=True)
    summary = rolling.summarize(table)
    pooled = rolling.overall(table)
    atomic_write(out / "rolling_points.csv", lambda tmp: table.to_csv(tmp, index=False))
    atomic_write(out / "rolling.csv", lambda tmp: summary.to_csv(tmp, index=False))
    atomic_write(out / "rolling_overall.json", lambda tmp: tmp.write_text(json.dumps(pooled, indent=2)))
    for line in rolling.format_summary(summary, pooled):
        typer.echo(line)
    rolling.plot(table, out / "rolling.png")
    rolling.plot(table, out / "rolling_usd.png", measure="usd")
    first = rolling.WINDOWS[0]
    setup = _setup(Path("scenarios/baseline.toml"), households, f"{first.last_year}-12", None, threads=1)
    wb = forecast2015.comparison(out / first.name, setup)
    atomic_write(out / "wb2015.csv", lambda tmp: wb.to_csv(tmp))
    typer.echo("2015 change in remittances (USD, %): World Bank April 2015 forecast against the 2014 fit")
    typer.echo(wb.round(1).to_string())
    means = wb[[c for c in wb.columns if c.endswith("_error")]].mean()
    typer.echo("mean absolute error (points): " + ", ".join(f"{k[:-6]} {v:.1f}" for k, v in means.items()))
    typer.echo(
        f"wrote {out}/rolling.csv, rolling_points.csv, rolling_overall.json, rolling.png, "
        "rolling_usd.png, wb2015.csv"
    )


@app.command()
def sensitivity(
    out: Path = typer.Option(..., help="Output directory (table CSV, samples, PNG)."),
    method: str = typer.Option("morris", help="morris (screening) or sobol (variance indices)."),
    n: int = typer.Option(10, help="Morris trajectories, or the Sobol base sample size."),
    households: int = typer.Option(5_000, "--households", "-n"),
    params: str = typer.Option(None, help="Comma-separated parameters (default: all of RANGES)."),
    workers: int = typer.Option(0, help="Dask LocalCluster workers (0: a plain loop)."),
    scheduler: str = typer.Option(None, help="Address of a running Dask scheduler."),
    seed: int = typer.Option(0, help="Seed of the sample and of every run."),
    until: str = typer.Option("2021-12", help="Last simulated month."),
) -> None:
    """Morris screening or Sobol indices (SALib) of the key outputs over behavioural parameters."""
    _import_calibration()
    from tqdm import tqdm

    from calibration import sensitivity as sa
    from sim.results import atomic_write

    _check_workers(workers, scheduler)
    names = [p.strip() for p in params.split(",") if p.strip()] if params else None
    prob, X = sa.sample(method, names, n, seed)
    setup = _setup(Path("scenarios/baseline.toml"), households, until, None, threads=1)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    typer.echo(f"{method}: {len(X)} runs of {households:,} households over {prob['num_vars']} parameters")
    bar = tqdm(total=len(X), desc=f"{method} runs", unit="run", delay=1.0, leave=False)
    try:
        Y = sa.evaluate(X, prob["names"], setup, seed, workers=workers, scheduler=scheduler,
                        progress=lambda done, total: bar.update(done - bar.n))  # fmt: skip
    finally:
        bar.close()
    table = sa.analyze(method, prob, X, Y, seed=seed)
    samples = __import__("pandas").DataFrame(X, columns=prob["names"]).join(Y)
    atomic_write(out / f"{method}.csv", lambda tmp: table.to_csv(tmp, index=False))
    atomic_write(out / f"{method}_runs.csv", lambda tmp: samples.to_csv(tmp, index=False))
    sa.plot(table, method, out / f"{method}.png")
    key = "mu_star" if method == "morris" else "ST"
    for name in dict.fromkeys(table["output"]):
        part = table[table["output"] == name].sort_values("importance", ascending=False).head(6)
        typer.echo(f"{name}: " + ", ".join(f"{p} {v:.3g}" for p, v in zip(part["parameter"], part[key],
                                                                          strict=True)))  # fmt: skip
    typer.echo(f"wrote {out}/{method}.csv, {method}_runs.csv, {method}.png")
