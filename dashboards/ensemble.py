"""Ensembles for the what-if page: several seeds, common random numbers, a headline table.

A scenario and its reference run with the same seeds (common random numbers),
so their differences reflect the scenario, not the draw. Runs are cached by
(scenario, households, seed): the reference is computed once for everyone.
Model runs are serialised only where numba's threading layer is not
thread-safe (``workqueue``); with ``omp`` or ``tbb`` sessions run side by side.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.defaults import MEMBER_HOUSEHOLDS
from sim.ensemble import StructuralError, band, structural_band
from sim.indicators import REGISTRY, combine_origins
from sim.scenario import Scenario

# the six indicators the page shows (labels, units and how they combine: sim.indicators.REGISTRY)
INDICATORS = ("migrants_ru", "migrants_kz", "banned", "irregular_ru", "remittances_gdp_pct", "poverty_rate")

_RUN_LOCK = threading.Lock()


def _needs_lock() -> bool:
    """True unless numba runs parallel kernels on a thread-safe layer (omp, tbb)."""
    try:
        import numba

        return numba.threading_layer() not in ("omp", "tbb")
    except (ValueError, ImportError):  # no parallel kernel has run yet
        return True


@functools.lru_cache(maxsize=32)
def run_one(scenario: Scenario, households: int, seed: int, params: tuple = ()) -> pd.DataFrame:
    """One run's results frame (cached; do not modify the returned frame).

    ``params`` is a tuple of ``(name, value)`` pairs: a posterior particle.
    """
    import sim

    if _needs_lock():
        with _RUN_LOCK:
            return sim.run(scenario, households=households, seed=seed, **dict(params)).frame
    return sim.run(scenario, households=households, seed=seed, **dict(params)).frame


@functools.cache
def posterior_members(path: str, count: int) -> tuple[tuple, ...]:
    """``count`` particles of a shipped posterior, as hashable ``(name, value)`` tuples.

    Drawn by weight with :func:`sim.ensemble.posterior_draws` (seed 0, so every
    session uses the same particles); empty tuples (the defaults) if the file
    is missing.
    """
    from pathlib import Path

    from sim.ensemble import posterior_draws

    if not Path(path).is_file():
        return tuple(() for _ in range(count))
    return tuple(tuple(sorted(draw.items())) for draw in posterior_draws(path, count, seed=0))


@functools.cache
def structural_error(path: str, count: int) -> dict[str, StructuralError]:
    """Per origin: the calibration's structural error of remittances (log bias and sd), from
    ``discrepancy.csv``, with one bias per member of :func:`posterior_members` ``(path, count)``:
    its own particle's (``particle_bias.csv``)."""
    from pathlib import Path

    from sim.ensemble import posterior_rows, read_discrepancy

    rows = posterior_rows(path, count, seed=0) if Path(path).is_file() else None
    return {origin: error for (column, origin), error in read_discrepancy(path, rows).items()
            if column == "remittances_gdp_pct"}  # fmt: skip


def weighted_error(errors: dict[str, StructuralError], weight: dict[str, float]) -> StructuralError:
    """The structural error of a sum over origins: bias, sd and drift averaged with ``weight`` (e.g.
    each origin's remittances; an approximation that keeps the band as wide as its parts'). Per-member
    biases are averaged member by member."""
    total = sum(weight.values())
    if total <= 0:
        return StructuralError()
    parts = [(errors.get(o, StructuralError()), w / total) for o, w in weight.items()]
    bias = sum(np.asarray(e.bias, dtype=float) * w for e, w in parts)
    fit_end = next((e.fit_end for e, _ in parts if e.fit_end is not None), None)
    return StructuralError.of((bias, sum(e.sigma * w for e, w in parts), sum(e.drift * w for e, w in parts),
                               fit_end))  # fmt: skip


def run_pair(
    scenario: Scenario,
    reference: Scenario,
    households: int = MEMBER_HOUSEHOLDS,
    seeds: tuple[int, ...] = (1, 2, 3),
    progress: Callable[[float], None] | None = None,
    member_params: tuple[tuple, ...] | None = None,
) -> pd.DataFrame:
    """Scenario and reference runs for every member, stacked: the what-if page's pair of ensembles.

    Unlike :func:`sim.ensemble.run_ensemble` (one scenario, member seeds
    derived from a root seed, a summary table), the page runs two scenarios
    with the same given seeds and parameters, and caches every run
    (:func:`run_one`) so that the baseline is computed once for all sessions;
    both take their bands from :func:`sim.ensemble.band`.

    Member ``k`` runs with ``seeds[k]`` and, if given, the parameters
    ``member_params[k]`` (a posterior particle) on both sides: common random
    numbers and common parameters, so differences carry posterior and seed
    noise.

    Returns
    -------
    DataFrame
        The results frames with columns ``run`` ("scenario" / "reference") and ``seed`` added.
    """
    pair = (("reference", reference), ("scenario", scenario))
    params = member_params or tuple(() for _ in seeds)
    jobs = [(name, s, seed, p) for seed, p in zip(seeds, params, strict=True) for name, s in pair]
    parts = []
    for k, (name, s, seed, p) in enumerate(jobs):
        parts.append(run_one(s, households, seed, p).assign(run=name, seed=seed))
        if progress is not None:
            progress(100.0 * (k + 1) / len(jobs))
    return pd.concat(parts, ignore_index=True)


def warm_reference(reference: Scenario, households: int, seeds: tuple[int, ...],
                   member_params: tuple[tuple, ...] | None = None) -> None:  # fmt: skip
    """Run (and cache) the reference's members, so that a first answer only runs the scenario."""
    params = member_params or tuple(() for _ in seeds)
    for seed, p in zip(seeds, params, strict=True):
        run_one(reference, households, seed, p)


def benchmark(scenario: Scenario, reference: Scenario, households: int, seeds: tuple[int, ...],
              member_params: tuple[tuple, ...] | None = None) -> dict[str, float]:  # fmt: skip
    """Seconds to a what-if answer: from an empty cache, and with the reference warmed as at start-up.

    Kernels are compiled (or loaded) first with a tiny run, so neither figure
    includes the compile. Returns ``cold_s``, ``warm_s``, ``reference_s``
    (warming the reference) and ``warm_over_cold``.
    """
    import time

    import sim

    sim.run(reference.with_end(reference.start + 1), households=30, seed=0)  # compile or load the kernels
    run_one.cache_clear()
    clock = time.perf_counter()
    run_pair(scenario, reference, households, seeds, member_params=member_params)
    cold = time.perf_counter() - clock
    run_one.cache_clear()
    clock = time.perf_counter()
    warm_reference(reference, households, seeds, member_params)
    reference_s = time.perf_counter() - clock
    clock = time.perf_counter()
    run_pair(scenario, reference, households, seeds, member_params=member_params)
    warm = time.perf_counter() - clock
    return {"cold_s": cold, "warm_s": warm, "reference_s": reference_s, "warm_over_cold": warm / cold}


def national(frame: pd.DataFrame, origin: str = "all") -> pd.DataFrame:
    """Per (run, seed, date): one origin's rows, or all three combined (sim.indicators.combine_origins)."""
    keys = ["run", "seed", "date"]
    if origin != "all":
        return frame[frame["origin"] == origin][[*keys, *INDICATORS]].reset_index(drop=True)
    return combine_origins(frame, keys, sort=True)[[*keys, *INDICATORS]]


def headline(series: pd.DataFrame, year: int) -> pd.DataFrame:
    """Yearly values of each indicator (flows summed, stocks and rates averaged), scenario against reference.

    Returns
    -------
    DataFrame
        One row per indicator: ``indicator, reference, scenario, difference, relative``,
        and ``low``/``high``, the band of the difference over members (:func:`sim.ensemble.band`).
        Rates (poverty, remittances as % of GDP) are in percent, their differences in points;
        means over seeds.
    """
    rows = series[series["date"].dt.year == year]
    if rows.empty:
        raise ValueError(f"year {year} is outside the runs")
    yearly = rows.groupby(["run", "seed"]).agg({name: REGISTRY[name].over_year for name in INDICATORS})
    out = []
    for name in INDICATORS:
        scale = REGISTRY[name].to_percent
        ref = yearly.loc["reference", name] * scale
        scen = yearly.loc["scenario", name] * scale
        diff = (scen - ref.reindex(scen.index)).dropna()
        low, high = band(diff.to_numpy())
        ref_mean, scen_mean = float(ref.mean()), float(scen.mean())
        out.append(
            {
                "indicator": name,
                "reference": ref_mean,
                "scenario": scen_mean,
                "difference": float(diff.mean()),
                "relative": float(diff.mean() / ref_mean) if ref_mean else np.nan,
                "low": float(low),
                "high": float(high),
            }
        )
    return pd.DataFrame(out)


def yearly(series: pd.DataFrame) -> pd.DataFrame:
    """Full calendar years of :func:`national`'s rows (flows summed, stocks and rates averaged).

    ``date`` becomes the year's 1 July, so a yearly chart shares the monthly
    one's axis; years the run covers only in part are left out.
    """
    from sim.indicators import annual

    years = annual(series, keys=["run", "seed", "year"])
    years = years[years["months"] == 12]
    dates = pd.to_datetime(years["year"].astype(str) + "-07-01")
    return years.assign(date=dates)[["run", "seed", "date", *INDICATORS]].reset_index(drop=True)


def differences(series: pd.DataFrame) -> pd.DataFrame:
    """Scenario minus reference, member by member (same seed and parameters), as ``run = "difference"``.

    Rates are differences in points; the members' spread is posterior and
    seed noise only (a shared structural error cancels).
    """
    keys = ["seed", "date"]
    scenario = series[series["run"] == "scenario"].set_index(keys)[list(INDICATORS)]
    reference = series[series["run"] == "reference"].set_index(keys)[list(INDICATORS)]
    diff = (scenario - reference.reindex(scenario.index)).dropna(how="all")
    return diff.reset_index().assign(run="difference")[["run", *keys, *INDICATORS]]


def headline_years(series: pd.DataFrame) -> pd.DataFrame:
    """:func:`headline` for every year both runs cover, stacked with a ``year`` column."""
    years = sorted(set(series["date"].dt.year))
    return pd.concat([headline(series, y).assign(year=y) for y in years], ignore_index=True)


RUN_COLOURS = {"reference": "#888888", "scenario": "#c0392b", "difference": "#6c3483"}


def chart_frame(series: pd.DataFrame, structural: StructuralError | float = 0.0) -> pd.DataFrame:
    """What the charts draw: per indicator, run and date, the mean over members and the 5-95% band.

    Rates are in percent. The reference's remittance share also carries
    ``structural`` (the calibration's structural error, log bias and sd, or
    a plain sd: :func:`sim.ensemble.structural_band`; a per-member bias is
    in the order the members' seeds first appear in ``series``; the spread
    widens after the calibration's last fitted month by its drift), so its
    band is where the recorded share is expected and need not be centred on
    the mean; every other band is over members (:func:`sim.ensemble.band`).

    Returns
    -------
    DataFrame
        ``indicator, run, date, mean, low, high``, runs in :data:`RUN_COLOURS` order.
    """
    error = StructuralError.of(structural)
    parts = []
    runs = [run for run in RUN_COLOURS if (series["run"] == run).any()]
    members = list(pd.unique(series["seed"]))
    for name in INDICATORS:
        scale = REGISTRY[name].to_percent
        for run in runs:
            wide = series[series["run"] == run].pivot_table(index="date", columns="seed", values=name) * scale
            wide = wide[[seed for seed in members if seed in wide.columns]]
            if run == "reference" and name == "remittances_gdp_pct" and not error.is_zero():
                low, high = structural_band(wide.to_numpy().T, error.sigma_at(wide.index), error.bias)
            else:
                low, high = band(wide.to_numpy(), axis=1)
            mean = wide.mean(axis=1).to_numpy()
            parts.append(pd.DataFrame({"indicator": name, "run": run, "date": wide.index, "mean": mean,
                                       "low": low, "high": high}))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def is_yearly(dates: pd.Series) -> bool:
    """True for :func:`yearly` rows (every date a 1 July)."""
    return bool(len(dates)) and bool(((dates.dt.month == 7) & (dates.dt.day == 1)).all())


def chart_png(series: pd.DataFrame, labels: dict[str, str], legend: tuple[str, str], title: str = "",
              year: int | None = None, history_end: pd.Timestamp | None = None, after_label: str = "",
              structural: StructuralError | float = 0.0, grades: dict[str, str] | None = None, dpi: int = 90,
              decimal_comma: bool = False) -> bytes:  # fmt: skip
    """A 2x3 panel chart: each indicator over time, mean and 5-95% band over members, both runs.

    The bands are :func:`chart_frame`'s; months after ``history_end`` are
    shaded and labelled ``after_label`` (given the driver path). ``grades``
    (indicator -> words) goes under each panel's title: whether data
    constrain the indicator. Axis numbers have thousands separators (spaces
    and decimal commas with ``decimal_comma``).
    """
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DateFormatter, YearLocator
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    dates = series["date"]
    yearly = is_yearly(dates)
    span_years = dates.dt.year.max() - dates.dt.year.min() + 1 if len(dates) else 1

    def tick(y, _pos):
        text = f"{y:,.0f}" if abs(y) >= 100 or y == int(y) else f"{y:,.1f}"
        return text.replace(",", "\u2009").replace(".", ",") if decimal_comma else text

    fig = Figure(figsize=(11, 6.4), dpi=dpi, layout="constrained")
    axes = fig.subplots(2, 3).ravel()
    names = {"reference": legend[0], "scenario": legend[1], "difference": legend[-1]}
    drawn = chart_frame(series, structural)
    for ax, name in zip(axes, INDICATORS, strict=True):
        panel = drawn[drawn["indicator"] == name]
        if set(panel["run"]) == {"difference"}:
            ax.axhline(0.0, color="#444444", lw=0.8)
        for run, part in panel.groupby("run", sort=False):
            color = RUN_COLOURS[run]
            ax.fill_between(part["date"], part["low"], part["high"], color=color, alpha=0.25, lw=0)
            ax.plot(part["date"], part["mean"], color=color, lw=1.6, label=names[run])
        if year is not None:
            ax.axvspan(pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31),
                       color="#f1c40f", alpha=0.15, lw=0)  # fmt: skip
        if history_end is not None and series["date"].max() > history_end:
            ax.axvspan(history_end, series["date"].max(), color="#dddddd", alpha=0.35, lw=0, zorder=0)
        if yearly:  # one point per year, on 1 July: ticks on years
            ax.xaxis.set_major_locator(YearLocator(base=max(1, round(span_years / 5)), month=7))
            ax.xaxis.set_major_formatter(DateFormatter("%Y"))
        else:
            locator = AutoDateLocator(maxticks=6)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        heading = labels.get(name, name)
        if grades and name in grades:
            heading = f"{heading}\n({grades[name]})"
        ax.set_title(heading, fontsize=10)
        ax.yaxis.set_major_formatter(FuncFormatter(tick))
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    if after_label and history_end is not None and series["date"].max() > history_end:
        fig.text(0.995, 0.995, after_label, ha="right", va="top", fontsize=8, color="#555555")
    if title:
        fig.suptitle(title, fontsize=11)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
