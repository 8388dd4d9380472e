"""PNG charts of a run against the observed figures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim import data
from sim.data import ORIGINS

COLOURS = {"TJ": "#1b9e77", "KG": "#d95f02", "UZ": "#7570b3"}


def observed_remittances_pct() -> pd.DataFrame:
    """WDI remittances received, % of GDP (the 2025 vintage the model uses), long format."""
    rows = []
    for code in ORIGINS:
        for year, value in data.wdi("bx_trf_pwkr_dt_gd_zs", code).items():
            rows.append((code, year, value))
    return pd.DataFrame(rows, columns=["origin", "year", "value"])


def observed_present_in_russia() -> pd.DataFrame:
    """Russian migration-service counts of citizens present, with their dates."""
    frame = data.observed()
    sel = frame[frame["indicator"] == "citizens_present_in_russia_fms"]
    rows = []
    for country, value, unit in zip(sel["country"], sel["value"], sel["unit"], strict=True):
        code = data.COUNTRY_CODES.get(country)
        if code in ORIGINS:
            date = pd.Timestamp(unit.split("as of ")[1][:10])
            rows.append((code, date, float(value)))
    recent = pd.read_csv(data.RECENT_DIR / "migrant_counts_flows_2016_2021.csv")
    recent = recent[recent["measure"].str.startswith("present_in_RU")]
    for period, code, value in zip(recent["period"], recent["origin"], recent["value"], strict=True):
        date = pd.Timestamp(period if len(str(period)) > 4 else f"{period}-07-01")
        rows.append((code, date, float(value)))
    return pd.DataFrame(rows, columns=["origin", "date", "value"])


def mark_projection(axis, history_end: pd.Timestamp, label: str, yearly: bool) -> None:
    """Shade the months after the data end and say what the lines there are."""
    start = history_end.year + 1 if yearly else history_end
    low, high = axis.get_xlim()
    if (start if yearly else start.toordinal()) >= high:
        return
    axis.axvspan(start - (0.5 if yearly else pd.Timedelta(0)), high if yearly else axis.get_xlim()[1],
                 color="0.92", zorder=0)  # fmt: skip
    axis.set_xlim(low, high)
    axis.text(0.99, 0.02, label, transform=axis.transAxes, ha="right", va="bottom", fontsize=7, color="0.3")


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def run_chart(frame: pd.DataFrame, path: Path, title: str, history_end: pd.Timestamp | None = None,
              driver_path: str = "central") -> Path:  # fmt: skip
    """Remittances (% of GDP, annual) and migrants in Russia (monthly) per origin,
    simulated lines against observed points; months after ``history_end`` are
    shaded and labelled as given the driver path."""
    plt = _figure()
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), constrained_layout=True)
    yearly = (
        frame.assign(year=frame["date"].dt.year).groupby(["origin", "year"])["remittances_gdp_pct"].mean()
    )
    obs_pct = observed_remittances_pct()
    obs_stock = observed_present_in_russia()
    for code in ORIGINS:
        colour = COLOURS[code]
        if code in yearly.index.get_level_values(0):
            series = yearly.loc[code]
            left.plot(series.index, series.to_numpy(), color=colour, label=f"{code} simulated")
        obs = obs_pct[obs_pct["origin"] == code]
        left.scatter(obs["year"], obs["value"], color=colour, marker="o", s=18,
                     label=f"{code} WDI")  # fmt: skip
        sim_rows = frame[frame["origin"] == code]
        right.plot(sim_rows["date"], sim_rows["migrants_ru"] / 1e6, color=colour, label=code)
        obs = obs_stock[obs_stock["origin"] == code]
        right.scatter(obs["date"], obs["value"] / 1e6, color=colour, marker="D", s=22)
    if history_end is not None:
        label = f"after {history_end:%Y-%m}: given the {driver_path} driver path"
        mark_projection(left, history_end, label, yearly=True)
        mark_projection(right, history_end, label, yearly=False)
    left.set_title("Remittances received, % of GDP (annual; points: WDI 2025 vintage)")
    left.set_xlabel("year")
    left.legend(fontsize=7, ncol=2)
    right.set_title("Migrants in Russia, millions (points: citizens present, FMS)")
    right.legend(fontsize=8)
    fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def drivers_chart(path: Path, scenario_path: str = "scenarios/baseline.toml") -> Path:
    """The baseline's main drivers 2010-2030: observed history, then the low, central and high paths."""
    import numpy as np

    from sim.drivers import history_end
    from sim.model import resolve_scenario
    from sim.months import format_month
    from sim.timeline import compile_timeline, russian_job_chance

    plt = _figure()
    base = resolve_scenario(scenario_path)
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), constrained_layout=True)
    styles = {"low": ("#c0392b", "--"), "central": ("#222222", "-"), "high": ("#2471a3", ":")}
    end = pd.Timestamp(format_month(history_end()) + "-01")
    for path_name, (colour, dash) in styles.items():
        scenario = base.with_driver_path(path_name)
        drivers = compile_timeline(scenario).drivers
        start = f"{format_month(scenario.start)}-01"
        dates = pd.date_range(start, periods=len(drivers.rub_per_usd), freq="MS")
        p = scenario.parameters
        panels = (
            (axes[0, 0], drivers.rub_per_usd, "Roubles per US dollar"),
            (axes[0, 1], drivers.wage_ru_rub / drivers.rub_per_usd, "Average Russian wage, USD per month"),
            (axes[1, 0], russian_job_chance(drivers.unemployment_ru_pct, p.p_job_ru, p.demand_elasticity),
             "Chance a migrant in Russia has work (labour demand)"),
            (axes[1, 1], drivers.gdp_usd.sum(axis=1) / 1e9, "GDP of the three origins, USD bn"),
        )  # fmt: skip
        for axis, values, title in panels:
            later = dates > end
            if path_name == "central":
                axis.plot(dates[~later], np.asarray(values)[~later], color="#222222", lw=1.4, label="history")
            axis.plot(dates[later], np.asarray(values)[later], color=colour, ls=dash, lw=1.4,
                      label=f"{path_name} path")  # fmt: skip
            axis.set_title(title, fontsize=10)
            axis.axvspan(end, dates[-1], color="0.93", zorder=0)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(f"Baseline drivers: observed to {end:%Y-%m}, then the stated driver paths (shaded)")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
