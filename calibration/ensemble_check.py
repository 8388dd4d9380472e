"""The bands users see, scored on years their calibration did not see.

:mod:`calibration.rolling` scores each rolling-origin window from the
calibration's own particle simulations. Users see something else: ``migsim
run --posterior``, ``migsim ensemble --posterior`` and the what-if page draw
K particles from a posterior and run each once more, with fresh seeds
(:func:`sim.ensemble.posterior_ensemble`). This module does exactly that for
each window's posterior, through the window's held-out years under the
observed drivers, and scores the remittance-share band three ways:

- ``member``: each member moved by its own particle's bias (``particle_bias.csv``)
  with the window's structural spread, what the product shows;
- ``series``: every member moved by the series' one mean bias (``discrepancy.csv``),
  what the product showed before;
- ``posterior``: the members alone (parameters and seed noise, no structural error).

The point forecast of each form is the median of its spread. Run it with
``python -m calibration.ensemble_check [RUNS_DIR] [K] [ROOT_SEED]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibration import discrepancy
from calibration.rolling import WINDOWS, Window, naive_band, observed_remittances
from calibration.runner import BASELINE, RunSetup, run_results
from calibration.targets import load_targets, simulate_targets
from sim.data import ORIGINS
from sim.defaults import MEMBER_HOUSEHOLDS
from sim.ensemble import band, member_seeds, posterior_ensemble, structural_spread

SERIES = "remittances_gdp_pct"  # the results column whose structural error the product reads
FORMS = ("member", "series", "posterior")


def share_rows(years: range | tuple[int, ...]) -> pd.DataFrame:
    """Target rows of every origin's remittance share for ``years``, built on the target table's own
    rows (so :func:`calibration.targets.simulate_targets` computes them as in calibration); years the
    table does not hold get ``observed`` NaN."""
    targets = load_targets()
    template = targets[targets["target"] == "remit_gdp_pct"].drop_duplicates("series")
    rows = [
        template.assign(date=str(year), id=template["series"] + f":{year}", observed=np.nan) for year in years
    ]
    return pd.concat(rows, ignore_index=True)


def member_shares(run_dir: Path, years: range | tuple[int, ...], count: int, seed: int,
                  households: int = MEMBER_HOUSEHOLDS) -> tuple[pd.DataFrame, dict]:  # fmt: skip
    """The remittance shares in ``years`` of ``count`` fresh members drawn from a calibration's posterior.

    Member ``k`` runs posterior draw ``k`` with seed :func:`sim.ensemble.member_seeds` ``(seed,
    count)[k]`` under the baseline's drivers. Returns a frame (one row per member, one column per id
    ``remit_gdp_pct:ORIGIN:YEAR``) and the members' structural errors
    (:func:`sim.ensemble.posterior_ensemble`).
    """
    draws, structural = posterior_ensemble(Path(run_dir) / "posterior.parquet", count, seed)
    rows = share_rows(years)
    setup = RunSetup(scenario=str(BASELINE), households=households, until=f"{max(years)}-12")
    shares = [simulate_targets(run_results(draw, setup, member), rows)
              for draw, member in zip(draws, member_seeds(seed, count), strict=True)]  # fmt: skip
    return pd.DataFrame(shares).reset_index(drop=True), structural


def score(window: Window, shares: pd.DataFrame, structural: dict, series_bias: dict[str, float]
          ) -> pd.DataFrame:  # fmt: skip
    """Every held-out point of a window under the three forms: forecast, band, naive.

    ``structural`` holds the members' errors (per-member biases),
    ``series_bias`` each origin's one bias of ``discrepancy.csv``. As in
    :func:`calibration.rolling.score_window`, each share point is also scored
    in USD (the share times the observed GDP, against the naive USD forecast).
    """
    observed = observed_remittances()
    out = []
    for origin in ORIGINS:
        series = observed[observed["origin"] == origin].set_index("year")
        known = series.loc[: window.first_year - 1]
        error = structural.get((SERIES, origin))
        for year in range(window.first_year, window.last_year + 1):
            key = f"remit_gdp_pct:{origin}:{year}"
            if key not in shares.columns or year not in series.index:
                continue
            spreads = _spreads(shares[[key]].to_numpy(dtype=float), error, series_bias.get(origin, 0.0), year)
            horizon = year - window.first_year + 1
            for measure, scale in (("share", 1.0), ("usd", float(series.loc[year, "gdp"]) / 100.0)):
                last, naive_low, naive_high = naive_band(known[measure], horizon)
                row = {"window": window.name, "origin": origin, "year": year, "measure": measure,
                       "observed": float(series.loc[year, measure]),
                       "naive": last, "naive_q05": naive_low, "naive_q95": naive_high}  # fmt: skip
                for form, spread in spreads.items():
                    low, high = band(spread * scale, axis=1)
                    row |= {form: float(np.median(spread)) * scale,
                            f"{form}_q05": float(low[0]), f"{form}_q95": float(high[0])}  # fmt: skip
                out.append(row)
    return pd.DataFrame(out)


def _spreads(values: np.ndarray, error, series_bias: float, year: int) -> dict[str, np.ndarray]:
    """The three forms' values of one point of ``year`` (1 x draws); the spread is the one of
    ``year`` (widened by the drift after the fit, :meth:`sim.ensemble.StructuralError.sigma_at`)."""
    if error is None:  # no structural error for the series: every form is the members alone
        return {form: values.T for form in FORMS}
    sigma = error.sigma_at(year)
    return {
        "member": structural_spread(values, sigma, error.bias),
        "series": structural_spread(values, sigma, series_bias),
        "posterior": values.T,
    }


def summarize(points: pd.DataFrame) -> pd.DataFrame:
    """Pooled over the points: MAPE of each form's forecast and of the naive one, coverage and
    interval score of each form's 90% band and of the naive band."""
    obs = points["observed"]
    rows = []
    for form in (*FORMS, "naive"):
        low, high = points[f"{form}_q05"], points[f"{form}_q95"]
        rows.append({
            "form": form, "points": len(points),
            "mape": float((points[form] / obs - 1).abs().mean()),
            "coverage": float(((low <= obs) & (obs <= high)).mean()),
            "interval_score": float(discrepancy.interval_score(low, high, obs).mean()),
        })  # fmt: skip
    return pd.DataFrame(rows)


def check(runs_dir: Path, count: int, seed: int, households: int = MEMBER_HOUSEHOLDS) -> pd.DataFrame:
    """:func:`score` of every rolling window in ``runs_dir`` (``cal-2014``, ... with posteriors)."""
    parts = []
    for window in WINDOWS:
        run_dir = Path(runs_dir) / window.name
        years = range(window.first_year, window.last_year + 1)
        shares, structural = member_shares(run_dir, years, count, seed, households)
        table = pd.read_csv(run_dir / "discrepancy.csv").set_index("series")
        series_bias = {origin: discrepancy.offset(table, f"remit_gdp_pct:{origin}")[0] for origin in ORIGINS}
        parts.append(score(window, shares, structural, series_bias))
    return pd.concat(parts, ignore_index=True)


if __name__ == "__main__":  # pragma: no cover
    import sys

    runs = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("calibration/runs/rolling")
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    root = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    points = check(runs, k, root)
    print(summarize(points).round(3).to_string(index=False))
    for form in FORMS:
        cells = points.assign(
            ape=(points[form] / points["observed"] - 1).abs(),
            naive_ape=(points["naive"] / points["observed"] - 1).abs(),
        )
        by = cells.groupby(["window", "origin", "measure"])[["ape", "naive_ape"]].mean()
        print(f"{form}: beats naive in {int((by['ape'] < by['naive_ape']).sum())} of {len(by)} cells")
