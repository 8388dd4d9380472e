"""How a fit responds to the two rouble shocks: 2015 split into departures and amounts, and 2009.

Two diagnostics of ``docs/calibration.md`` (World Bank section), each run on
posterior draws of a shipped fit:

- :func:`fall_2015`: the change 2014 -> 2015 of each origin's remittances in
  USD, split into the number of migrants abroad (annual means of
  ``migrants_ru + migrants_kz``) and the USD sent per migrant, so that
  ``(1 + remittances) = (1 + migrants) * (1 + per migrant)``;
- :func:`crisis_2009`: the change 2008 -> 2009, with the baseline started in
  January 2008 instead of 2010 (the drivers reach back to 2008), against the
  WDI 2025 vintage.

``python -m calibration.shocks POSTERIOR [DRAWS] [HOUSEHOLDS]`` prints both
as the median over the draws.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from calibration.runner import RunSetup, scenario_for
from sim import data
from sim.data import ORIGINS


def year_changes(frame: pd.DataFrame, before: int, after: int) -> pd.DataFrame:
    """Per origin: relative change ``before -> after`` of remittances, migrants abroad and USD per migrant.

    Parameters
    ----------
    frame : DataFrame
        A run's indicator frame (``date``, ``origin``, ``remittances_usd``,
        ``migrants_ru``, ``migrants_kz``), covering both years.
    before, after : int
        The two calendar years.

    Returns
    -------
    DataFrame
        Index: origin; columns ``remittances``, ``migrants``, ``per_migrant``.
    """
    years = frame.assign(year=frame["date"].dt.year, abroad=frame["migrants_ru"] + frame["migrants_kz"])
    grouped = years[years["year"].isin([before, after])].groupby(["origin", "year"])
    sent = grouped["remittances_usd"].sum().unstack("year")
    abroad = grouped["abroad"].mean().unstack("year")
    out = pd.DataFrame({
        "remittances": sent[after] / sent[before] - 1,
        "migrants": abroad[after] / abroad[before] - 1,
        "per_migrant": (sent[after] / abroad[after]) / (sent[before] / abroad[before]) - 1,
    })  # fmt: skip
    return out.loc[[o for o in ORIGINS if o in out.index]]


def _median(tables: list[pd.DataFrame]) -> pd.DataFrame:
    stacked = np.stack([t.to_numpy() for t in tables])
    return pd.DataFrame(np.median(stacked, axis=0), index=tables[0].index, columns=tables[0].columns)


def _runs(draws: list[Mapping[str, float]], scenario, households: int, seed: int) -> list[pd.DataFrame]:
    import sim

    runs = []
    for i, params in enumerate(draws):
        levers = {name: float(value) for name, value in params.items()}
        runs.append(sim.run(scenario, households=households, seed=seed + i, **levers).frame)
    return runs


def fall_2015(draws: list[Mapping[str, float]], households: int = 20_000, seed: int = 100) -> pd.DataFrame:
    """Median over ``draws`` of :func:`year_changes` 2014 -> 2015 (baseline, run seeds ``seed + i``)."""
    scenario = scenario_for(RunSetup(households=households, until="2015-12"))
    return _median([year_changes(f, 2014, 2015) for f in _runs(draws, scenario, households, seed)])


def observed_usd_change(before: int, after: int) -> pd.Series:
    """Relative change of personal remittances received (current USD, WDI 2025 vintage) per origin."""
    usd = {origin: data.wdi("bx_trf_pwkr_cd_dt", origin) for origin in ORIGINS}
    return pd.Series({origin: usd[origin][after] / usd[origin][before] - 1 for origin in ORIGINS})


def crisis_2009(draws: list[Mapping[str, float]], households: int = 20_000, seed: int = 100) -> pd.DataFrame:
    """Median over ``draws`` of the changes 2008 -> 2009, the baseline started in January 2008.

    Adds the column ``observed`` (remittances in USD, WDI 2025 vintage).
    """
    from sim.months import parse_month

    scenario = scenario_for(RunSetup(households=households, until="2011-12"))
    scenario = replace(scenario, start=parse_month("2008-01", "start"))
    table = _median([year_changes(f, 2008, 2009) for f in _runs(draws, scenario, households, seed)])
    return table.assign(observed=observed_usd_change(2008, 2009))


def main(argv: list[str]) -> None:  # pragma: no cover
    from sim.ensemble import posterior_draws

    posterior = argv[0]
    count = int(argv[1]) if len(argv) > 1 else 8
    households = int(argv[2]) if len(argv) > 2 else 20_000
    draws = posterior_draws(posterior, count, seed=0)
    print(f"2014 -> 2015, median of {count} draws of {posterior} (%):")
    print((100 * fall_2015(draws, households)).round(1).to_string())
    print("2008 -> 2009, started in 2008-01 (%):")
    print((100 * crisis_2009(draws, households)).round(1).to_string())


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
