"""Model discrepancy: the structural error of each series, and the bands that include it.

A calibrated model misses the data for two reasons: the parameters are
uncertain (the posterior), and the model is not the world (structure). The
posterior alone gave bands that held 44% of held-out points. Here each
series (one target for one origin, e.g. ``remit_gdp_pct:TJ``) gets a
discrepancy term estimated from the calibration's own residuals::

    r_i = log(observed_i / median_i)        for the fitted level rows of the series
    sigma_s = sqrt(mean_i r_i^2)            (pooled over origins if a series has < 3 rows)

and a level's predictive distribution is the posterior mixture times a
log-normal structural error: ``value_p * exp(sigma_s * z)``, ``p`` drawn by
posterior weight, ``z`` standard normal. Differences between scenarios
cancel a shared discrepancy, so they carry the posterior (and seed noise)
only: :func:`predictive_quantiles` with ``structural=False``.

Only rows up to the calibration's ``fit_until`` enter ``sigma``, so a
rolling-origin window's bands come from its own residuals.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.targets import in_fit

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
    DataFrame indexed by series: ``target``, ``sigma`` (log scale), ``points``
    (fitted rows it came from) and ``pooled`` (True if borrowed from the
    target's pooled value).
    """
    rows = targets[in_fit(targets, fit_until) & targets["kind"].isin(LEVEL_KINDS)
                   & (targets["weight"] > 0)].reset_index(drop=True)  # fmt: skip
    ids = [i for i in rows["id"] if i in particles.columns]
    rows = rows[rows["id"].isin(ids)].reset_index(drop=True)
    median = weighted_median(particles[ids].to_numpy(dtype=float), particles["weight"].to_numpy(dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = np.log(rows["observed"].to_numpy(dtype=float) / median)
    rows = rows.assign(residual=residual)
    rows = rows[np.isfinite(rows["residual"])]
    pooled = rows.groupby("target")["residual"].apply(lambda r: float(np.sqrt(np.mean(r**2))))
    out = []
    for series in dict.fromkeys(targets["series"]):
        target = series.split(":")[0]
        part = rows[rows["series"] == series]["residual"]
        if len(part) >= MIN_POINTS:
            out.append((series, target, float(np.sqrt(np.mean(part**2))), len(part), False))
        elif target in pooled.index:
            out.append((series, target, float(pooled[target]), len(part), True))
    return pd.DataFrame(out, columns=["series", "target", "sigma", "points", "pooled"]).set_index("series")


def predictive_quantiles(
    particles: pd.DataFrame,
    targets: pd.DataFrame,
    sigma: pd.DataFrame | None,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    draws: int = 4000,
    seed: int = 0,
) -> pd.DataFrame:
    """Quantiles of every target under the posterior and, if ``sigma`` is given, the discrepancy.

    Returns a frame indexed by target id with one column per quantile
    (``q05``, ``q50``, ``q95`` for the defaults). Rows of kinds other than
    ``level`` (bounds, bands, changes) get the posterior only.
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
        if sigma is not None and row.kind in LEVEL_KINDS and row.series in sigma.index:
            values = values * np.exp(float(sigma.loc[row.series, "sigma"]) * z)
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


def add_forecast_error(run_dir: Path, points_csv: Path) -> pd.DataFrame:
    """Widen a calibration's remittance discrepancy by the rolling windows' forecast errors.

    The level bands of a calibration fitted to 2021 then carry, in
    quadrature, its in-sample residuals and the RMS log error of the rolling
    forecasts (all of them of years up to 2021, so nothing after the fit
    leaks in). Rewrites ``run_dir/discrepancy.csv`` with the columns
    ``sigma_in_sample`` and ``sigma_forecast`` beside the combined ``sigma``.
    """
    from sim.results import atomic_write

    path = Path(run_dir) / "discrepancy.csv"
    table = pd.read_csv(path).set_index("series")
    if "sigma_in_sample" in table.columns:  # already combined: start again from the fit's own residuals
        table["sigma"] = table["sigma_in_sample"]
    points = pd.read_csv(points_csv)
    shares = points[points["measure"] == "share"]
    errors = np.log(shares["observed"] / shares["model"])
    forecast = errors.groupby(shares["origin"]).apply(lambda e: float(np.sqrt(np.mean(e**2))))
    table["sigma_in_sample"] = table["sigma"]
    table["sigma_forecast"] = 0.0
    for origin, value in forecast.items():
        key = f"remit_gdp_pct:{origin}"
        if key in table.index:
            table.loc[key, "sigma_forecast"] = value
            table.loc[key, "sigma"] = float(np.hypot(table.loc[key, "sigma_in_sample"], value))
    atomic_write(path, lambda tmp: table.to_csv(tmp))
    return table


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(add_forecast_error(Path(sys.argv[1]), Path(sys.argv[2])).round(3).to_string())
