"""Global sensitivity analysis: Morris screening and Sobol indices (SALib).

The behavioural parameters of :data:`RANGES` are varied uniformly within
documented plausible ranges (narrower than the hard limits of
``sim/params.py``: a range of roughly +/-50% or +/-1.5 utility units around
the hand-set default). Every run uses the same seed (common random numbers),
so differences between runs come from the parameters, not from noise.

Outputs (:data:`OUTPUTS`), each a scalar per run:

remit_gdp_pct
    remittances as % of GDP, mean of the three origins' 2010-2021 annual means;
migrants_ru
    migrants in Russia from the three origins, mean of 2013;
banned
    members under a Russian re-entry ban, September 2014;
vulnerable_returnees
    vulnerable returnees, mean of 2015-2016;
fit_distance
    the calibration distance on the 2010-2021 targets (which parameters the
    data can see: the Morris screening for the calibration).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.runner import RunSetup, run_results
from sim.batch.spec import sample_design
from sim.errors import InputError
from sim.params import PLAUSIBLE

log = logging.getLogger(__name__)

# name -> (low, high): plausible ranges around the defaults of sim/params.py
# name -> (low, high): the plausible ranges declared with each parameter in sim/params.py
RANGES: dict[str, tuple[float, float]] = dict(PLAUSIBLE)
OUTPUTS = ("remit_gdp_pct", "migrants_ru", "banned", "vulnerable_returnees", "fit_distance")
METHODS = ("morris", "sobol")
MORRIS_LEVELS = 4  # grid levels of the Morris trajectories (sampling and analysis)


def problem(names: Sequence[str] | None = None) -> dict:
    """The SALib problem over ``names`` (default: all of :data:`RANGES`)."""
    names = list(names or RANGES)
    unknown = [n for n in names if n not in RANGES]
    if unknown:
        raise InputError(f"--params {unknown[0]!r}; allowed: {', '.join(RANGES)}")
    return {"num_vars": len(names), "names": names, "bounds": [list(RANGES[n]) for n in names]}


def outputs(results, fit_targets: pd.DataFrame | None = None) -> dict[str, float]:
    """The scalar outputs of one run (see the module docstring)."""
    from calibration.distance import distance
    from calibration.targets import simulate_targets

    f = results.frame
    year = f["date"].dt.year
    annual = f[(year >= 2010) & (year <= 2021)].assign(year=year).groupby(["origin", "year"])
    out = {
        "remit_gdp_pct": float(annual["remittances_gdp_pct"].mean().groupby("origin").mean().mean()),
        "migrants_ru": float(f[year == 2013].groupby("date")["migrants_ru"].sum().mean()),
        "banned": float(f[f["date"] == "2014-09-01"]["banned"].sum()),
        "vulnerable_returnees": float(
            f[(year >= 2015) & (year <= 2016)].groupby("date")["vulnerable_returnees"].sum().mean()
        ),
        "fit_distance": np.nan,
    }
    if fit_targets is not None:
        out["fit_distance"] = distance(simulate_targets(results, fit_targets), fit_targets)
    return out


def run_chunk(rows: list[dict], setup: RunSetup, seed: int) -> list[dict]:
    """Outputs of a chunk of parameter sets (one Dask task)."""
    from calibration.targets import fit_targets

    fit = fit_targets()
    return [outputs(run_results(params, setup, seed), fit) for params in rows]


def sample(method: str, names: Sequence[str] | None, n: int, seed: int) -> tuple[dict, np.ndarray]:
    """SALib's sample: Morris trajectories (``n`` of them) or Saltelli (base ``n``)."""
    if method not in METHODS:
        raise InputError(f"--method {method!r}; allowed: {', '.join(METHODS)}")
    if n < 2:
        raise InputError(f"--n {n}; allowed: an integer >= 2")
    prob = problem(names)
    bounds = dict(zip(prob["names"], prob["bounds"], strict=True))
    settings = {"points": n, "seed": seed, "levels": MORRIS_LEVELS, "second_order": False}
    return prob, sample_design(method, bounds, settings)  # the batch designs' sampler


def evaluate(
    X: np.ndarray,
    names: Sequence[str],
    setup: RunSetup,
    seed: int,
    workers: int = 0,
    scheduler: str | None = None,
    chunk: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Run every row of ``X``; a plain loop for ``workers == 0``, else Dask ``Client.map``."""
    rows = [dict(zip(names, map(float, x), strict=True)) for x in X]
    chunks = [rows[i : i + chunk] for i in range(0, len(rows), chunk)]
    done: list[list[dict]] = [None] * len(chunks)  # type: ignore[list-item]
    if workers == 0 and not scheduler:
        for i, part in enumerate(chunks):
            done[i] = run_chunk(part, setup, seed)
            if progress:
                progress(min((i + 1) * chunk, len(rows)), len(rows))
    else:
        from dask.distributed import as_completed

        from sim.batch.cluster import dask_client

        with dask_client(workers, scheduler) as client:
            futures = client.map(run_chunk, chunks, setup=setup, seed=seed, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            count = 0
            for future in as_completed(futures):
                done[index[future.key]] = future.result()
                count += len(done[index[future.key]])
                if progress:
                    progress(count, len(rows))
    return pd.DataFrame([o for part in done for o in part], columns=list(OUTPUTS))


def analyze(method: str, prob: dict, X: np.ndarray, Y: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """One row per (output, parameter): Morris mu*, sigma or Sobol S1, ST with confidence."""
    tables = []
    for name in OUTPUTS:
        y = Y[name].to_numpy(dtype=float)
        if not np.isfinite(y).all() or np.ptp(y) == 0:
            continue
        if method == "morris":
            from SALib.analyze import morris

            res = morris.analyze(prob, X, y, num_levels=MORRIS_LEVELS, seed=seed)
            table = pd.DataFrame({"parameter": prob["names"], "mu_star": res["mu_star"],
                                  "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"]})  # fmt: skip
            table["importance"] = table["mu_star"] / table["mu_star"].max()
        else:
            from SALib.analyze import sobol

            # SALib leaves the bootstrap unseeded when seed is 0 (falsy): shift it, so the
            # confidence intervals are reproducible for every seed
            res = sobol.analyze(prob, y, calc_second_order=False, seed=int(seed) + 1)
            table = pd.DataFrame({"parameter": prob["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                                  "ST": res["ST"], "ST_conf": res["ST_conf"]})  # fmt: skip
            table["importance"] = table["ST"]
        tables.append(table.assign(output=name))
    if not tables:
        return pd.DataFrame(columns=["output", "parameter", "importance"])
    out = pd.concat(tables, ignore_index=True)
    return out[["output", "parameter", *[c for c in out.columns if c not in ("output", "parameter")]]]


def plot(table: pd.DataFrame, method: str, path: Path) -> Path:
    """One horizontal bar chart per output: the parameters ranked by importance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.results import atomic_write

    names = list(dict.fromkeys(table["output"]))
    fig, axes = plt.subplots(1, max(len(names), 1), figsize=(3.2 * max(len(names), 1), 5.5), squeeze=False)
    label = "mu* / max mu*" if method == "morris" else "total Sobol index ST"
    for ax, name in zip(axes[0], names, strict=False):
        part = table[table["output"] == name].sort_values("importance").tail(12)
        ax.barh(part["parameter"], part["importance"], color="#4a7ab5")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(label, fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"{method.capitalize()} sensitivity of migsim outputs", fontsize=10)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
    return path


def top_parameters(table: pd.DataFrame, output: str = "fit_distance", k: int = 8) -> list[str]:
    """The ``k`` parameters with the largest importance for ``output``."""
    part = table[table["output"] == output].sort_values("importance", ascending=False)
    return list(part["parameter"].head(k))
