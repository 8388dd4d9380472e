"""Model discrepancy: the structural error of each series, and the bands that include it.

A calibrated model misses the data for two reasons: the parameters are
uncertain (the posterior), and the model is not the world (structure). The
posterior alone gave bands that held 44% of held-out points. Here each
series (one target for one origin, e.g. ``remit_gdp_pct:TJ``) gets a
discrepancy term estimated from the calibration's own residuals, for each
particle ``p`` of the posterior::

    r_pi = log(observed_i / value_pi)      for the n fitted level rows i of the series
    b_p = mean_i r_pi                      (how far particle p runs low or high, persistently)
    s^2 = sum_p w_p var_i(r_pi)            (the spread around it, ddof 1, weighted by posterior weight)
    sigma = s * sqrt(1 + 1/n)              (one new year, with the bias's own error)
    q^2 = sum_p w_p var_t(r_p,t+1 - r_pt)  (how much the offset moves from one year to the next)

and a level's predictive distribution is the posterior mixture, each
particle moved by its own bias, times a log-normal error:
``value_p * exp(b_p + sigma_h * z)``, ``p`` drawn by posterior weight, ``z``
standard normal, ``sigma_h = sqrt(sigma^2 + h * q^2)`` for a level ``h`` years
after the fit's last month (``sigma`` in sample). Its median is the model's
forecast of the recorded series; its band says where that series is
expected. ``q`` is the drift of the discrepancy: the offsets keep their sign
for years but do not stay put, so a forecast ``h`` years out may find the
offset moved by a random walk whose annual step is ``q``, estimated, like
the naive band it is scored against (:func:`calibration.rolling.naive_band`),
from the standard deviation of annual changes, here of the residuals. The bias is the
discrepancy's mean given the parameters (Kennedy and O'Hagan 2001): the
residuals of every fit so far are persistent offsets that keep their sign
for years, and particles that fit the levels differently have different
offsets. The table of :func:`estimate` (``discrepancy.csv``) keeps one
``bias`` per series (the weighted mean of ``b_p``); ``particle_bias.csv``
(:func:`write_particle_bias`) keeps every ``b_p``, one row per row of
``posterior.parquet``, so that ensembles of posterior draws
(:func:`sim.ensemble.read_discrepancy`) move each member by its own
particle's bias, the form the rolling-origin validation scores.

A series with fewer than three fitted rows borrows its target's pooled
root mean square residual (of the posterior-predictive median) as
``sigma`` and gets no bias and no drift: a mean over origins that miss in different
directions says nothing about one of them.

Differences between scenarios cancel a shared discrepancy, so they carry
the posterior (and seed noise) only. Only rows up to the calibration's
``fit_until`` enter, so a rolling-origin window's bands and forecasts come
from its own residuals.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.targets import in_fit
from sim.ensemble import drifted_spread

MIN_POINTS = 3  # a series with fewer fitted rows borrows the pooled sigma of its target
LEVEL_KINDS = ("level",)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Column-wise weighted median of ``values`` (particles x targets), NaNs ignored."""
    out = np.full(values.shape[1], np.nan)
    for j in range(values.shape[1]):
        v = values[:, j]
        ok = np.isfinite(v)
        if not ok.any():
            continue
        order = np.argsort(v[ok])
        cum = np.cumsum(weights[ok][order])
        out[j] = v[ok][order][np.searchsorted(cum, 0.5 * cum[-1])]
    return out


def estimate(particles: pd.DataFrame, targets: pd.DataFrame, fit_until: str) -> pd.DataFrame:
    """The discrepancy ``sigma`` of every series, from the fitted level rows.

    Parameters
    ----------
    particles : DataFrame
        ``particles.parquet`` of a calibration: ``weight`` and one column per target id.
    targets : DataFrame
        The target table (:func:`calibration.targets.load_targets`).
    fit_until : str
        The calibration's last fitted month.

    Returns
    -------
    DataFrame indexed by series: ``target``, ``bias``, ``sigma`` and
    ``drift`` (log scale; :func:`drift`), ``points`` (fitted rows they came
    from) and ``pooled`` (True if ``sigma`` was borrowed from the target's
    pooled value; ``bias`` and ``drift`` are then 0).
    """
    rows = _fitted_rows(particles, targets, fit_until)
    ids = list(rows["id"])
    weights = particles["weight"].to_numpy(dtype=float)
    median = weighted_median(particles[ids].to_numpy(dtype=float), weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = np.log(rows["observed"].to_numpy(dtype=float) / median)
    rows = rows.assign(residual=residual)
    rows = rows[np.isfinite(rows["residual"])]
    pooled = rows.groupby("target")["residual"].apply(lambda r: float(np.sqrt(np.mean(r**2))))
    with_times = _residuals_and_times(particles, targets, fit_until)
    residuals = {series: r for series, (r, _) in with_times.items()}
    out = []
    for series in dict.fromkeys(targets["series"]):
        target = series.split(":")[0]
        n = int((rows["series"] == series).sum())
        if series in residuals:
            bias, sigma = bias_and_sigma(residuals[series], weights)
            step = drift(residuals[series], weights, with_times[series][1])
            out.append((series, target, bias, sigma, step, residuals[series].shape[1], False))
        elif target in pooled.index:
            out.append((series, target, 0.0, float(pooled[target]), 0.0, n, True))
    columns = ["series", "target", "bias", "sigma", "drift", "points", "pooled"]
    return pd.DataFrame(out, columns=columns).set_index("series")


def _fitted_rows(particles: pd.DataFrame, targets: pd.DataFrame, fit_until: str) -> pd.DataFrame:
    """The fitted level rows (weight > 0, up to ``fit_until``) that ``particles`` hold."""
    rows = targets[in_fit(targets, fit_until) & targets["kind"].isin(LEVEL_KINDS)
                   & (targets["weight"] > 0)].reset_index(drop=True)  # fmt: skip
    return rows[rows["id"].isin(particles.columns)].reset_index(drop=True)


def particle_residuals(particles: pd.DataFrame, targets: pd.DataFrame, fit_until: str
                       ) -> dict[str, np.ndarray]:  # fmt: skip
    """Per series with at least :data:`MIN_POINTS` fitted rows: ``log(observed / value)``, particles x rows.

    Rows where some particle has no finite value are left out, so every
    particle's bias comes from the same years.
    """
    return {series: r for series, (r, _) in _residuals_and_times(particles, targets, fit_until).items()}


def _residuals_and_times(particles: pd.DataFrame, targets: pd.DataFrame, fit_until: str
                         ) -> dict[str, tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """:func:`particle_residuals` with the time of each kept row, in years (its last month), in time order."""
    from calibration.targets import last_month
    from sim.months import parse_month

    rows = _fitted_rows(particles, targets, fit_until)
    out = {}
    for series, part in rows.groupby("series", sort=False):
        values = particles[list(part["id"])].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.log(part["observed"].to_numpy(dtype=float)[None, :] / values)
        keep = np.isfinite(r).all(axis=0)
        times = np.array([parse_month(last_month(str(d)), "date") / 12.0 for d in part["date"]])
        if keep.sum() >= MIN_POINTS:
            order = np.argsort(times[keep], kind="stable")
            out[str(series)] = (r[:, keep][:, order], times[keep][order])
    return out


def particle_bias(particles: pd.DataFrame, targets: pd.DataFrame, fit_until: str) -> pd.DataFrame:
    """Each particle's own bias ``b_p`` per series (one column per series, one row per particle)."""
    residuals = particle_residuals(particles, targets, fit_until)
    return pd.DataFrame({series: r.mean(axis=1) for series, r in residuals.items()}, index=particles.index)


def bias_and_sigma(residuals: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float]:
    """The bias and spread of log residuals (particles x ``n >= 2`` rows; one row of values is one particle).

    ``bias`` is the weighted mean over particles of each particle's mean
    residual; ``sigma = s * sqrt(1 + 1/n)`` with ``s^2`` the weighted mean of
    each particle's sample variance (ddof 1): the prediction interval of one
    more draw from a normal distribution whose mean is estimated from ``n``.
    """
    r = np.atleast_2d(np.asarray(residuals, dtype=float))
    w = np.ones(len(r)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    n = r.shape[1]
    bias = float(np.sum(w * r.mean(axis=1)))
    variance = float(np.sum(w * np.var(r, axis=1, ddof=1)))
    return bias, float(np.sqrt(variance * (1.0 + 1.0 / n)))


def drift(residuals: np.ndarray, weights: np.ndarray | None = None, years: np.ndarray | None = None) -> float:
    """The annual step ``q`` of the discrepancy's drift: residuals particles x ``n >= 3`` rows.

    ``q^2`` is the weighted mean over particles of the sample variance
    (ddof 1) of each particle's changes of its residuals from one row to the
    next, each divided by the square root of the years between them
    (``years``, the rows' times; one year apart if not given): the statistic
    the naive band takes of the observed series' annual changes. For
    residuals independent from year to year with spread ``s``, ``q`` is about
    ``sqrt(2) * s``; for an offset that wanders as a random walk, that
    walk's annual step.
    """
    r = np.atleast_2d(np.asarray(residuals, dtype=float))
    w = np.ones(len(r)) if weights is None else np.asarray(weights, dtype=float)
    w = w / w.sum()
    gaps = np.ones(r.shape[1] - 1) if years is None else np.diff(np.asarray(years, dtype=float))
    changes = np.diff(r, axis=1) / np.sqrt(gaps)[None, :]
    return float(np.sqrt(np.sum(w * np.var(changes, axis=1, ddof=1))))


def horizon_years(date: str, fit_until: str | None) -> float:
    """Years from the fit's last month (``YYYY-MM``) to the last month of a target ``date``; 0 in sample."""
    from calibration.targets import last_month
    from sim.months import parse_month

    if fit_until is None:
        return 0.0
    months = parse_month(last_month(str(date)), "date") - parse_month(fit_until, "fit_until")
    return max(months, 0) / 12.0


PARTICLE_BIAS = "particle_bias.csv"


def write_tables(run_dir: Path, particles: pd.DataFrame, targets: pd.DataFrame, fit_until: str
                 ) -> pd.DataFrame:  # fmt: skip
    """Write a calibration's ``discrepancy.csv`` (:func:`estimate`) and ``particle_bias.csv``
    (:func:`write_particle_bias`); returns the discrepancy table."""
    from sim.results import atomic_write

    table = estimate(particles, targets, fit_until)
    atomic_write(Path(run_dir) / "discrepancy.csv", lambda tmp: table.to_csv(tmp))
    write_particle_bias(run_dir, particles, targets, fit_until)
    return table


def write_particle_bias(run_dir: Path, particles: pd.DataFrame, targets: pd.DataFrame, fit_until: str
                        ) -> Path:  # fmt: skip
    """Write ``particle_bias.csv``: :func:`particle_bias`, row ``p`` for particle ``p`` of
    ``posterior.parquet`` (whose rows ``particles.parquet`` shares)."""
    from sim.results import atomic_write

    path = Path(run_dir) / PARTICLE_BIAS
    frame = particle_bias(particles, targets, fit_until).rename_axis("particle")
    atomic_write(path, lambda tmp: frame.to_csv(tmp, float_format="%.6g"))
    return path


def offset(sigma: pd.DataFrame | None, series: str) -> tuple[float, float]:
    """``(bias, sigma)`` of a series in a discrepancy table; ``(0, 0)`` if it has none.

    Tables written before the bias existed have no ``bias`` column: 0.
    """
    if sigma is None or series not in sigma.index:
        return 0.0, 0.0
    bias = float(sigma.loc[series, "bias"]) if "bias" in sigma.columns else 0.0
    return bias, float(sigma.loc[series, "sigma"])


def step_of(sigma: pd.DataFrame | None, series: str) -> float:
    """The ``drift`` of a series in a discrepancy table; 0 if it has none (or the table predates it)."""
    if sigma is None or series not in sigma.index or "drift" not in sigma.columns:
        return 0.0
    return float(sigma.loc[series, "drift"])


def predictive_quantiles(
    particles: pd.DataFrame,
    targets: pd.DataFrame,
    sigma: pd.DataFrame | None,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    draws: int = 4000,
    seed: int = 0,
    bias: pd.DataFrame | None = None,
    fit_until: str | None = None,
) -> pd.DataFrame:
    """Quantiles of every target under the posterior and, if given, the discrepancy.

    ``bias`` (:func:`particle_bias`) moves each particle's level by its own
    ``exp(b_p)``; ``sigma`` (:func:`estimate`) adds the log-normal error
    ``exp(sigma_h * z)``, and, where no per-particle ``bias`` is given for the
    series, the table's one ``bias``. ``sigma_h`` is the table's ``sigma``
    widened by its ``drift`` for the years after ``fit_until``
    (:func:`sim.ensemble.drifted_spread`); without ``fit_until``, the
    table's ``sigma``. Returns a frame indexed by target id with one column
    per quantile (``q05``, ``q50``, ``q95`` for the
    defaults). Rows of kinds other than ``level`` (bounds, bands, changes)
    get the posterior only.
    """
    rng = np.random.default_rng(seed)
    weights = particles["weight"].to_numpy(dtype=float)
    pick = rng.choice(len(particles), size=draws, p=weights / weights.sum())
    z = rng.standard_normal(draws)
    names = [f"q{round(q * 100):02d}" for q in quantiles]
    out = {}
    for row in targets.itertuples(index=False):
        if row.id not in particles.columns:
            continue
        values = particles[row.id].to_numpy(dtype=float)[pick]
        if row.kind in LEVEL_KINDS:
            own = bias is not None and row.series in bias.columns
            if own:
                values = values * np.exp(bias[row.series].to_numpy(dtype=float)[pick])
            if sigma is not None and row.series in sigma.index:
                shared, spread = offset(sigma, row.series)
                spread = float(
                    drifted_spread(spread, step_of(sigma, row.series), horizon_years(row.date, fit_until))
                )
                values = values * np.exp((0.0 if own else shared) + spread * z)
        values = values[np.isfinite(values)]
        out[row.id] = np.quantile(values, quantiles) if len(values) else np.full(len(quantiles), np.nan)
    return pd.DataFrame.from_dict(out, orient="index", columns=names)


def interval_score(low: np.ndarray, high: np.ndarray, observed: np.ndarray, alpha: float = 0.1) -> np.ndarray:
    """The interval score of a central ``1 - alpha`` band (Gneiting and Raftery 2007), divided by the
    observed value so that series of different sizes can be averaged (smaller is better)."""
    width = high - low
    below = np.maximum(low - observed, 0.0)
    above = np.maximum(observed - high, 0.0)
    return (width + 2.0 / alpha * (below + above)) / np.abs(observed)


def estimate_run(run_dir: Path, fit_until: str) -> pd.DataFrame:
    """:func:`write_tables` for a calibration's output directory, from its ``particles.parquet``."""
    from calibration.targets import load_targets

    particles = pd.read_parquet(Path(run_dir) / "particles.parquet")
    return write_tables(run_dir, particles, load_targets(), fit_until)


def record_forecast_error(run_dir: Path, points_csv: Path) -> pd.DataFrame:
    """Write the rolling windows' forecast errors beside a calibration's discrepancy.

    The column ``sigma_forecast`` holds, per origin's remittance series, the
    RMS log error of the rolling forecasts (all of them of years up to 2021,
    so nothing after a 2021 fit leaks in). It is a record, not part of the
    bands: ``sigma`` stays the fit's in-sample spread, which with the
    ``drift`` makes the bands users see (the rolling windows' own band;
    docs/calibration.md, "The bands users see drop the rolling forecast
    error"). The table is estimated again from the run's
    ``particles.parquet`` (its ``fit_until`` from ``settings.json``) when the
    run has them (``particle_bias.csv`` is then written again too), else
    read. Rewrites ``run_dir/discrepancy.csv``.
    """
    import json

    from calibration.rolling import forecast_column
    from sim.results import atomic_write

    run_dir = Path(run_dir)
    path = run_dir / "discrepancy.csv"
    if (run_dir / "particles.parquet").is_file() and (run_dir / "settings.json").is_file():
        table = estimate_run(run_dir, json.loads((run_dir / "settings.json").read_text())["fit_until"])
    else:
        table = pd.read_csv(path).set_index("series")
    if "sigma_in_sample" in table.columns:  # written before 4 Dec 2026: sigma was combined
        table["sigma"] = table.pop("sigma_in_sample")
    points = pd.read_csv(points_csv)
    shares = points[points["measure"] == "share"]
    errors = np.log(shares["observed"] / shares[forecast_column(shares)])
    forecast = errors.groupby(shares["origin"]).apply(lambda e: float(np.sqrt(np.mean(e**2))))
    table["sigma_forecast"] = 0.0
    for origin, value in forecast.items():
        key = f"remit_gdp_pct:{origin}"
        if key in table.index:
            table.loc[key, "sigma_forecast"] = value
    atomic_write(path, lambda tmp: table.to_csv(tmp))
    return table


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(record_forecast_error(Path(sys.argv[1]), Path(sys.argv[2])).round(3).to_string())
