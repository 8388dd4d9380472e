"""The 2015 remittance fall: the model fitted on data to 2014 against the World Bank's April 2015 forecast.

The World Bank's Migration and Development Brief 24 (13 April 2015)
forecast the 2015 change in remittances (USD) for each origin. The model,
calibrated on data up to 2014 (``cal-2014``), predicts the same change twice:

- with the observed 2015 drivers (hindsight on the rouble and wages);
- with every driver held at its March 2015 value (what a forecaster knew
  in April 2015; policy dates already announced, such as Kyrgyzstan's EAEU
  accession, stay in).

Outcomes are the WDI 2025 vintage (USD 2015 over 2014).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from calibration.abc import weighted_quantile
from calibration.runner import RunSetup, scenario_for
from sim import data
from sim.data import ORIGIN_NAMES, ORIGINS

HELD_AT = 2015 * 12 + 2  # March 2015


def world_bank_figures() -> pd.DataFrame:
    """Per origin: the World Bank's April 2015 forecast and the outcome, in % (USD, 2015 over 2014)."""
    rows = []
    for origin in ORIGINS:
        forecast = data.series("remittances_growth_usd_forecast", ORIGIN_NAMES[origin], "World")[2015]
        usd = data.wdi("bx_trf_pwkr_cd_dt", origin)
        rows.append({"origin": origin, "world_bank": float(forecast),
                     "outcome": 100.0 * (usd[2015] / usd[2014] - 1)})  # fmt: skip
    return pd.DataFrame(rows).set_index("origin")


def change_observed_drivers(run_dir: Path) -> pd.Series:
    """The posterior-median 2015 change (%, USD) per origin, from the calibration's own particles."""
    particles = pd.read_parquet(Path(run_dir) / "particles.parquet")
    w = particles["weight"].to_numpy(dtype=float)
    out = {}
    for origin in ORIGINS:
        gdp = data.wdi("ny_gdp_mktp_cd", origin)
        ratio = (particles[f"remit_gdp_pct:{origin}:2015"] * gdp[2015]) / (
            particles[f"remit_gdp_pct:{origin}:2014"] * gdp[2014]
        )
        out[origin] = 100.0 * (weighted_quantile(ratio.to_numpy(dtype=float), w, 0.5) - 1)
    return pd.Series(out)


def change_held_drivers(run_dir: Path, setup: RunSetup, draws: int = 8, seed: int = 0) -> pd.Series:
    """The 2015 change (%, USD) per origin with drivers held at March 2015, over ``draws`` particles.

    Particles are drawn from ``posterior.parquet`` by weight
    (:func:`sim.ensemble.posterior_draws`); the median over draws is returned.
    """
    import sim
    from sim.drivers import hold_changes
    from sim.ensemble import posterior_draws

    particles = posterior_draws(Path(run_dir) / "posterior.parquet", draws, seed)
    scenario = scenario_for(replace(setup, until="2015-12"))
    scenario = replace(scenario, drivers=scenario.drivers + hold_changes(scenario, HELD_AT))
    changes = []
    for k, params in enumerate(particles):
        results = sim.run(scenario, households=setup.households, seed=seed + k, **params)
        yearly = results.table(annual_totals=True).set_index(["origin", "year"])["remittances_usd"]
        changes.append({o: 100.0 * (yearly[(o, 2015)] / yearly[(o, 2014)] - 1) for o in ORIGINS})
    return pd.DataFrame(changes).median()


def comparison(run_dir: Path, setup: RunSetup, draws: int = 8) -> pd.DataFrame:
    """The table of docs/calibration.md: forecasts, outcomes and absolute errors (points)."""
    table = world_bank_figures()
    table["model_observed_drivers"] = change_observed_drivers(run_dir)
    table["model_drivers_march_2015"] = change_held_drivers(run_dir, setup, draws)
    for column in ("world_bank", "model_observed_drivers", "model_drivers_march_2015"):
        table[f"{column}_error"] = (table[column] - table["outcome"]).abs()
    return table
