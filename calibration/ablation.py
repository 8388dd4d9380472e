"""Ablation of the 2010-2021 mechanisms: refit with one mechanism switched off, compare the fit.

Each variant fixes one mechanism at its "off" value (no labour-demand
response, no EAEU premium, everything recorded, the Uzbek series measured
alike before and after 2017, the old fixed smoothing)
and refits the other calibrated parameters by Nelder-Mead on the
calibration distance, from the same start, with common random numbers (one
seed, so the distance is a deterministic function of the parameters). A
local search, cheaper than an ABC-SMC per variant: it measures what each
mechanism adds to the best attainable fit, not its posterior.

``python -m calibration.ablation [MAX_EVALUATIONS] [HOUSEHOLDS]`` prints the
table of ``docs/calibration.md`` and writes ``results/ablation.csv``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.distance import distance
from calibration.runner import RunSetup, run_targets
from calibration.targets import fit_targets, load_targets
from calibration.validate import criteria
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
          seed: int = 1) -> tuple[dict[str, float], float]:  # fmt: skip
    """Nelder-Mead over the calibrated parameters not in ``off``, inside their priors (logit scale)."""
    from scipy.optimize import minimize

    fit = fit_targets("2021-12")
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


def table(start: Mapping[str, float], max_evaluations: int = 250, households: int = 10_000) -> pd.DataFrame:
    """Distance, remittance MAPE (all, per origin) and counts in their band of the refit of every variant."""
    setup = RunSetup(households=households, until="2021-12")
    targets = load_targets()
    rows = []
    for name, off in VARIANTS.items():
        params, d = refit(off, start, setup, max_evaluations)
        crit = criteria(run_targets(params, setup, 1, targets), targets)
        rows.append({"variant": name, "distance": d, "remit_mape": crit.attrs["remit_mape_all"],
                     **{f"mape_{o}": float(crit.loc[o, "remit_mape"]) for o in crit.index},
                     "counts_in_band": int(crit["counts_in_band"].sum()),
                     "counts": int(crit["counts"].sum())})  # fmt: skip
    return pd.DataFrame(rows)


if __name__ == "__main__":  # pragma: no cover
    from sim.params import SPECS

    evaluations = int(sys.argv[1]) if len(sys.argv) > 1 else 250
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    result = table({n: SPECS[n].default for n in PRIORS}, evaluations, size)
    Path("results").mkdir(exist_ok=True)
    result.to_csv("results/ablation.csv", index=False)
    print(result.round(4).to_string(index=False))
