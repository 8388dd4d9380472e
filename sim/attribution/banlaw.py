"""The bans' total effect: the scenario against the same scenario without the July 2013 law.

A window's Shapley split sees only what changes inside the window; the
standing stock of bans and their lagged effects built up since 2013 are
outside it. This counterfactual removes the ``ban_law`` event from the start
(the detection hazard and ban length stay at their pre-law values) and
compares the second period of the window. Two ban parameters are not
calibrated (``p_irregular_ru``, ``p_ban_known``); the effect is recomputed at
the ends of their plausible ranges, one at a time, to show how much the
answer rests on them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from sim.attribution.core import Request, run_jobs, simulate
from sim.params import PLAUSIBLE

UNCALIBRATED = ("p_irregular_ru", "p_ban_known")
COLUMNS = ["indicator", "origin", "setting", "effect", "p05", "p95", "level"]


def settings() -> list[tuple[str, dict]]:
    """The parameter settings: as calibrated (``central``), then each uncalibrated parameter at its ends."""
    out = [("central", {})]
    for name in UNCALIBRATED:
        low, high = PLAUSIBLE[name]
        out += [(f"{name}={low:g}", {name: low}), (f"{name}={high:g}", {name: high})]
    return out


def applies(request: Request) -> bool:
    """True if the scenario has a ban law before the window's end."""
    return any(
        e.type == "ban_law" and e.get("date") <= request.window.second[1] for e in request.scenario.events
    )


def total_effect(request: Request, out: Path, progress=None, workers: int = 0,
                 scheduler: str | None = None) -> pd.DataFrame:  # fmt: skip
    """Effect of the law in the window's second period, per indicator, origin and setting (resumable).

    The runs go through :func:`sim.attribution.core.run_jobs`: on Dask with
    ``workers`` > 1 or a ``scheduler``, like the coalition runs.
    """
    runs = out / "runs"
    runs.mkdir(exist_ok=True)
    without = replace(
        request.scenario, events=tuple(e for e in request.scenario.events if e.type != "ban_law")
    )
    tasks = [(label, overrides, m) for label, overrides in settings() for m in range(len(request.members))]
    jobs = []
    for label, overrides, member in tasks:
        for with_law, scenario in ((True, request.scenario), (False, without)):
            path = runs / f"law-{label}-m{member:03d}-{'with' if with_law else 'without'}.parquet"
            jobs.append((path, simulate, (request, member, scenario, (), overrides)))
    tables = run_jobs(jobs, workers, scheduler, progress)
    rows = []
    for k, (label, _overrides, member) in enumerate(tasks):
        pair = {}
        for with_law, table in ((True, tables[2 * k]), (False, tables[2 * k + 1])):
            pair[with_law] = table[(table["period"] == "t1") & (table["group"] == "all")].set_index("origin")
        for indicator in request.indicators:
            for origin, value in pair[True][indicator].items():
                effect = value - pair[False].loc[origin, indicator]
                rows.append((indicator, origin, label, member, effect, value))
    frame = pd.DataFrame(rows, columns=["indicator", "origin", "setting", "member", "effect", "level"])
    grouped = frame.groupby(["indicator", "origin", "setting"], sort=False)
    table = grouped.agg(effect=("effect", "mean"), level=("level", "mean"))
    table["p05"] = grouped["effect"].quantile(0.05)
    table["p95"] = grouped["effect"].quantile(0.95)
    return table.reset_index()[COLUMNS]
