"""Ablation of the 2010-2021 mechanisms: refit with one mechanism switched off, compare the fit.

Each variant fixes one mechanism at its "off" value (no labour-demand
response, no EAEU premium, everything recorded, the Uzbek series measured
alike before and after 2017, the old fixed smoothing)
and refits the other calibrated parameters by Nelder-Mead on the
calibration distance, from the same start, with common random numbers (one
seed, so the distance is a deterministic function of the parameters). A
local search, cheaper than an ABC-SMC per variant: it measures what each
mechanism adds to the best attainable fit, not its posterior.

``python -m calibration.ablation [MAX_EVALUATIONS] [HOUSEHOLDS] [WORKERS] [SEED]`` prints
the table of ``docs/calibration.md`` and writes ``results/ablation.csv``
(``ablation_seedN.csv`` for a seed other than 1).

``python -m calibration.ablation --rolling [MAX_EVALUATIONS] [HOUSEHOLDS]
[WORKERS] [SEED]`` does the same for each rolling-origin window
(:data:`calibration.rolling.WINDOWS`): every variant is refitted on the
window's data only, from the window's own best particle, and its held-out
remittances are forecast as the rolling validation does (the run moved by
its own in-sample bias) and scored against carrying the last value forward.
It writes ``results/ablation_rolling_points.csv`` and
``results/ablation_rolling.csv`` (``_seedN`` added for a seed other than
1). Point forecasts only: one refit per
variant and window has no posterior, so no bands.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from calibration import discrepancy, rolling
from calibration.distance import distance
from calibration.runner import RunSetup, run_targets
from calibration.targets import fit_targets, load_targets
from calibration.validate import criteria
from sim.data import ORIGINS
from sim.params import PRIORS

VARIANTS: dict[str, dict[str, float]] = {
    "all mechanisms": {},
    "no labour demand": {"demand_elasticity": 0.0},
    "no EAEU premium": {"eaeu_wage_premium": 0.0},
    "Uzbek remittances all recorded": {"uz_recorded_share": 1.0},
    "no change of the Uzbek series in 2017": {"uz_series_share": 1.0},
    "smoothing fixed at 0.2": {"remit_smoothing": 0.2},
}


def refit(off: Mapping[str, float], start: Mapping[str, float], setup: RunSetup, max_evaluations: int,
          seed: int = 1, fit_until: str = "2021-12") -> tuple[dict[str, float], float]:  # fmt: skip
    """Nelder-Mead over the calibrated parameters not in ``off``, inside their priors (logit scale),
    on the targets up to ``fit_until``."""
    from scipy.optimize import minimize

    fit = fit_targets(fit_until)
    names = [n for n in PRIORS if n not in off]
    low = np.array([PRIORS[n][0] for n in names])
    high = np.array([PRIORS[n][1] for n in names])
    best: list = [np.inf, None]

    def params(z: np.ndarray) -> dict[str, float]:
        x = low + (high - low) / (1.0 + np.exp(-z))
        return {**dict(zip(names, map(float, x), strict=True)), **off}

    def objective(z: np.ndarray) -> float:
        p = params(z)
        d = distance(run_targets(p, setup, seed, fit), fit)
        if d < best[0]:
            best[:] = [d, p]
        return d

    x0 = np.clip([start[n] for n in names], low + 1e-3 * (high - low), high - 1e-3 * (high - low))
    minimize(objective, np.log((x0 - low) / (high - x0)), method="Nelder-Mead",
             options={"maxfev": max_evaluations, "adaptive": True})  # fmt: skip
    return best[1], float(best[0])


def _fit_job(job: tuple[str, tuple[tuple[str, float], ...], int, int, int]) -> dict:
    """Refit one variant on 2010-2021 and score it (a picklable task)."""
    name, start, max_evaluations, households, seed = job
    setup = RunSetup(households=households, until="2021-12")
    targets = load_targets()
    params, d = refit(VARIANTS[name], dict(start), setup, max_evaluations, seed)
    crit = criteria(run_targets(params, setup, seed, targets), targets)
    return {"variant": name, "distance": d, "remit_mape": crit.attrs["remit_mape_all"],
            **{f"mape_{o}": float(crit.loc[o, "remit_mape"]) for o in crit.index},
            "counts_in_band": int(crit["counts_in_band"].sum()),
            "counts": int(crit["counts"].sum())}  # fmt: skip


def _map(function, jobs: list, workers: int) -> list:
    """``function`` over ``jobs``, in this process or in ``workers`` spawned ones (same results)."""
    if workers <= 1:
        return [function(job) for job in jobs]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        return list(pool.map(function, jobs))


def table(start: Mapping[str, float], max_evaluations: int = 250, households: int = 10_000,
          workers: int = 1, seed: int = 1) -> pd.DataFrame:  # fmt: skip
    """Distance, remittance MAPE (all, per origin) and counts in their band of the refit of every variant
    (every run with ``seed``)."""
    frozen = tuple(sorted((k, float(v)) for k, v in start.items()))
    jobs = [(name, frozen, max_evaluations, households, seed) for name in VARIANTS]
    return pd.DataFrame(_map(_fit_job, jobs, workers))


def held_out_points(values: pd.Series, window: rolling.Window) -> pd.DataFrame:
    """One run's held-out remittance points of ``window``, scored as :func:`calibration.rolling.score_window`
    scores the posterior's.

    ``values`` is the run's value of every target row (:func:`run_targets`,
    run to the window's last year). ``forecast`` is its remittance share
    moved by its own mean log residual over the window's fitted years
    (:func:`calibration.discrepancy.particle_bias` of a one-particle
    table); ``naive`` carries the last known value forward. USD is the
    share times the year's GDP, a driver. One row per origin, year and
    measure (``share``, ``usd``).
    """
    targets = load_targets()
    bias = discrepancy.particle_bias(values.to_frame().T, targets, window.fit_until).iloc[0]
    observed = rolling.observed_remittances()
    rows = []
    for origin in ORIGINS:
        series = observed[observed["origin"] == origin].set_index("year")
        known = series.loc[: window.first_year - 1]
        shift = float(np.exp(bias.get(f"remit_gdp_pct:{origin}", 0.0)))
        for year in range(window.first_year, window.last_year + 1):
            key = f"remit_gdp_pct:{origin}:{year}"
            if key not in values.index or year not in series.index:
                continue
            gdp = float(series.loc[year, "gdp"]) / 100.0
            horizon = year - window.first_year + 1
            for measure, scale in (("share", 1.0), ("usd", gdp)):
                rows.append({"window": window.name, "origin": origin, "year": year, "measure": measure,
                             "observed": float(series.loc[year, measure]),
                             "forecast": float(values[key]) * shift * scale,
                             "naive": rolling.naive_band(known[measure], horizon)[0]})  # fmt: skip
    return pd.DataFrame(rows)


def window_start(window: rolling.Window, runs: Path = Path("calibration/runs/rolling")) -> dict[str, float]:
    """The best particle of a shipped rolling window: the start of its refits (fitted on its data only)."""
    import json

    return json.loads((runs / window.name / "settings.json").read_text())["best"]


def _rolling_job(job: tuple[str, int, int, int, int]) -> pd.DataFrame:
    """Refit one variant on one window and score its held-out points (a picklable task)."""
    name, index, max_evaluations, households, seed = job
    window = rolling.WINDOWS[index]
    off = VARIANTS[name]
    setup = RunSetup(households=households, until=f"{window.last_year}-12")
    params, d = refit(off, window_start(window), setup, max_evaluations, seed, window.fit_until)
    points = held_out_points(run_targets(params, setup, seed, load_targets()), window)
    return points.assign(variant=name, distance=d, seed=seed)


def rolling_points(max_evaluations: int = 250, households: int = 10_000, workers: int = 1,
                   variants: Sequence[str] | None = None, windows: Sequence[int] | None = None,
                   seed: int = 1) -> pd.DataFrame:  # fmt: skip
    """Every variant refitted on every rolling window, and its held-out points (:func:`held_out_points`).

    ``variants`` (names of :data:`VARIANTS`) and ``windows`` (indices of
    :data:`calibration.rolling.WINDOWS`) default to all. Every run of every
    job uses ``seed`` (common random numbers), so each job is a fixed
    function of its variant and window and the result does not depend on
    ``workers``; another ``seed`` measures how much the refits' noise moves
    the scores.
    """
    names = list(VARIANTS) if variants is None else list(variants)
    indices = range(len(rolling.WINDOWS)) if windows is None else list(windows)
    jobs = [(name, i, max_evaluations, households, seed) for name in names for i in indices]
    return pd.concat(_map(_rolling_job, jobs, workers), ignore_index=True)


def rolling_summary(points: pd.DataFrame) -> pd.DataFrame:
    """Per variant: cells (window, origin, measure) whose forecast MAPE beats the naive one, of all
    cells; pooled MAPE of the forecast and of the naive; the fit distance summed over windows."""
    ape = points.assign(f=(points["forecast"] / points["observed"] - 1).abs(),
                        n=(points["naive"] / points["observed"] - 1).abs())  # fmt: skip
    cells = ape.groupby(["variant", "window", "origin", "measure"], sort=False)[["f", "n"]].mean()
    beats = (cells["f"] < cells["n"]).groupby(level="variant", sort=False)
    fits = points.groupby(["variant", "window"], sort=False)["distance"].first().groupby(level="variant")
    return pd.DataFrame({
        "cells_beating_naive": beats.sum().astype(int), "cells": beats.size(),
        "forecast_mape": ape.groupby("variant", sort=False)["f"].mean(),
        "naive_mape": ape.groupby("variant", sort=False)["n"].mean(),
        "distance_sum": fits.sum(),
    }).reset_index()  # fmt: skip


def _main_rolling(args: list[str]) -> None:  # pragma: no cover
    evaluations = int(args[0]) if args else 250
    size = int(args[1]) if len(args) > 1 else 10_000
    workers = int(args[2]) if len(args) > 2 else 1
    seed = int(args[3]) if len(args) > 3 else 1
    points = rolling_points(evaluations, size, workers, seed=seed)
    Path("results").mkdir(exist_ok=True)
    suffix = "" if seed == 1 else f"_seed{seed}"
    points.to_csv(f"results/ablation_rolling_points{suffix}.csv", index=False)
    summary = rolling_summary(points)
    summary.to_csv(f"results/ablation_rolling{suffix}.csv", index=False)
    print(summary.round(4).to_string(index=False))


if __name__ == "__main__":  # pragma: no cover
    from sim.params import SPECS

    if sys.argv[1:2] == ["--rolling"]:
        _main_rolling(sys.argv[2:])
        sys.exit(0)
    evaluations = int(sys.argv[1]) if len(sys.argv) > 1 else 250
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    processes = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    root = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    result = table({n: SPECS[n].default for n in PRIORS}, evaluations, size, processes, root)
    Path("results").mkdir(exist_ok=True)
    result.to_csv("results/ablation.csv" if root == 1 else f"results/ablation_seed{root}.csv", index=False)
    print(result.round(4).to_string(index=False))
