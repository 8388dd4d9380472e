"""The 2022-2024 remittance forecast, fixed before its outcomes are seen, and how to score it.

From 2022 on only drivers and policy dates enter the model; the remittance
figures of 2022-2024 are kept apart from the project to judge it. This module
writes the shipped 2010-2021 calibration's forecast of them, the way users
see it (:func:`sim.ensemble.posterior_ensemble`: K particles drawn from the
posterior, each run again with a fresh seed and moved by its own particle's
bias), to ``calibration/runs/cal-2021/forecast_2022_2024.csv``, and scores
it when someone brings the recorded figures: ``migsim validate --holdout
OBSERVED.csv``.

The table has the columns of the rolling-origin points
(:func:`calibration.rolling.score_window`), so the same summaries score it:
``forecast`` (members moved by their own bias), ``model`` (members alone),
``model_q05``/``model_q95`` (the fit's in-sample structural spread and its
drift after 2021, :mod:`calibration.discrepancy`: the band the product
shows from 4 Dec 2026), ``flat_q05``/``flat_q95`` (the in-sample spread and
the rolling forecast error, without the drift: the band shown before),
``backtest_q05``/``backtest_q95`` (all three),
``posterior_q05``/``posterior_q95``, and the naive forecast (the 2021 value
carried forward) with its band. USD is the share times the WDI GDP of the
year, a driver known to 2024.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from calibration import rolling
from calibration.ensemble_check import member_shares
from calibration.rolling import naive_band, observed_remittances
from sim import data
from sim.data import ORIGINS
from sim.defaults import MEMBER_HOUSEHOLDS
from sim.ensemble import StructuralError, band, structural_spread
from sim.errors import InputError

YEARS = (2022, 2023, 2024)
MEMBERS = 100  # members of the shipped forecast (0.4 s each at 20,000 households on the dev machine)
FORECAST = "forecast_2022_2024.csv"
OBSERVED_COLUMNS = ("origin", "year", "measure", "observed")
MEASURES = ("share", "usd")


def forecast_points(run_dir: Path, count: int = MEMBERS, seed: int = 0, households: int = MEMBER_HOUSEHOLDS,
                    years: tuple[int, ...] = YEARS) -> pd.DataFrame:  # fmt: skip
    """A calibration's forecast of every origin's remittances in ``years``, share and USD.

    Parameters
    ----------
    run_dir : Path
        A calibration's output (``posterior.parquet``, ``discrepancy.csv``,
        ``particle_bias.csv``, ``settings.json``).
    count, seed, households
        Members, their root seed and households per member.
    years : tuple of int
        Years after the calibration's ``fit_until``.

    Returns
    -------
    DataFrame
        One row per origin, year and measure, in the columns of the rolling points (no ``observed``).
    """
    run_dir = Path(run_dir)
    fit_until = json.loads((run_dir / "settings.json").read_text())["fit_until"]
    shares, structural = member_shares(run_dir, years, count, seed, households)
    table = pd.read_csv(run_dir / "discrepancy.csv").set_index("series")
    history = observed_remittances()
    rows = []
    for origin in ORIGINS:
        series = f"remit_gdp_pct:{origin}"
        known = history[history["origin"] == origin].set_index("year")
        gdp = data.wdi("ny_gdp_mktp_cd", origin)
        error = structural.get(("remittances_gdp_pct", origin), StructuralError())
        in_sample = float(table.loc[series].get("sigma_in_sample", table.loc[series, "sigma"]))
        rolling_error = float(table.loc[series].get("sigma_forecast", 0.0))
        shown = error._replace(sigma=in_sample)
        for year in years:
            values = shares[[f"{series}:{year}"]].to_numpy(dtype=float)  # members x 1
            moved = values[:, 0] * np.exp(np.asarray(error.bias, dtype=float))
            horizon = year - int(fit_until[:4])
            spreads = {
                "model": shown.sigma_at(year),
                "flat": np.hypot(in_sample, rolling_error),
                "backtest": np.hypot(shown.sigma_at(year), rolling_error),
            }
            for measure, scale in (("share", 1.0), ("usd", gdp.get(year, np.nan) / 100.0)):
                if not np.isfinite(scale):
                    continue
                last, naive_low, naive_high = naive_band(known[measure], horizon)
                bands = {name: band(structural_spread(values, spread, error.bias) * scale, 1)
                         for name, spread in spreads.items()}  # fmt: skip
                posterior_low, posterior_high = band(values[:, 0] * scale)
                rows.append({
                    "window": run_dir.name, "fit_until": fit_until, "origin": origin, "year": year,
                    "horizon": horizon, "measure": measure,
                    "model": float(np.median(values)) * scale, "forecast": float(np.median(moved)) * scale,
                    **{f"{name}_{q}": float(edge[0]) for name, pair in bands.items()
                       for q, edge in zip(("q05", "q95"), pair, strict=True)},
                    "posterior_q05": float(posterior_low), "posterior_q95": float(posterior_high),
                    "backtest_sigma": rolling_error,
                    "naive": last, "naive_q05": naive_low, "naive_q95": naive_high,
                    "sigma": in_sample, "bias": float(table.loc[series, "bias"]), "drift": float(error.drift),
                })  # fmt: skip
    return pd.DataFrame(rows)


def write_forecast(run_dir: Path, count: int = MEMBERS, seed: int = 0, households: int = MEMBER_HOUSEHOLDS
                   ) -> Path:  # fmt: skip
    """Write :func:`forecast_points` to ``run_dir/forecast_2022_2024.csv`` and its settings beside it."""
    from sim.results import atomic_write

    run_dir = Path(run_dir)
    points = forecast_points(run_dir, count, seed, households)
    path = run_dir / FORECAST
    atomic_write(path, lambda tmp: points.to_csv(tmp, index=False, float_format="%.6g"))
    settings = {"members": count, "root_seed": seed, "households": households, "years": list(YEARS),
                "posterior": f"{run_dir.name}/posterior.parquet",
                "band_shown": "model_q05 to model_q95"}  # fmt: skip
    atomic_write(path.with_suffix(".json"), lambda tmp: tmp.write_text(json.dumps(settings, indent=2)))
    return path


def read_observed(path: Path) -> pd.DataFrame:
    """The recorded figures to score a forecast against: CSV with ``origin, year, measure, observed``.

    ``measure`` is ``share`` (% of GDP) or ``usd``; ``observed`` a positive
    number. Raises :class:`sim.errors.InputError` naming the file and key.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"--holdout {path}: file not found (a CSV with columns {', '.join(OBSERVED_COLUMNS)})"
        )
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"--holdout {path}: not a readable CSV ({exc})") from None
    missing = [c for c in OBSERVED_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"--holdout {path}: missing column {missing[0]!r}; needs {', '.join(OBSERVED_COLUMNS)}"
        )
    for column, allowed in (("origin", ORIGINS), ("measure", MEASURES)):
        bad = sorted(set(frame[column].astype(str)) - set(allowed))
        if bad:
            raise InputError(f"--holdout {path}: {column} {bad[0]!r}; allowed: {', '.join(allowed)}")
    observed = pd.to_numeric(frame["observed"], errors="coerce")
    year = pd.to_numeric(frame["year"], errors="coerce")
    if not (observed > 0).all() or year.isna().any():
        raise InputError(f"--holdout {path}: observed must be a number > 0 and year an integer in every row")
    return frame.assign(observed=observed.astype(float), year=year.astype(int))[list(OBSERVED_COLUMNS)]


def score(
    points: pd.DataFrame, observed: pd.DataFrame, where: str = "--holdout"
) -> tuple[pd.DataFrame, dict]:
    """Score a forecast against recorded figures: per origin and measure, and pooled
    (:func:`calibration.rolling.summarize` and :func:`calibration.rolling.overall`)."""
    merged = points.merge(observed, on=["origin", "year", "measure"], how="inner")
    if merged.empty:
        years = ", ".join(str(y) for y in sorted(points["year"].unique()))
        raise InputError(f"{where}: no row matches the forecast; allowed: origin {', '.join(ORIGINS)}, "
                         f"year {years}, measure {', '.join(MEASURES)}")  # fmt: skip
    return rolling.summarize(merged), rolling.overall(merged)


def read_forecast(path: Path) -> pd.DataFrame:
    """A forecast table written by :func:`write_forecast`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--forecast {path}: file not found (make forecast writes it)")
    return pd.read_csv(path)


if __name__ == "__main__":  # pragma: no cover
    import sys

    written = write_forecast(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("calibration/runs/cal-2021"))
    print(f"wrote {written}")
    print(pd.read_csv(written).round(3).to_string(index=False))
