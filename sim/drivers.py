"""Monthly driver series built from the shipped public figures.

Every driver is declared once in :data:`sim.registry.DRIVER_SPECS` (unit, whether it is
per origin, its attribution factor, how its yearly points become months);
the scenario parser, the timeline and the dashboards read that table.

Yearly figures are placed in July (annual averages describe mid-year) and
interpolated log-linearly between points; before the first and after the
last point a series is held flat unless a scenario changes it. The rouble
is monthly where the data are (2008-2023), then annual (2024-2025). GDP is
a yearly figure and applies to every month of its year. Fees change in
January of the year their anchor names. Scenario driver changes are
applied last, in file order; a change that names a driver path (``low``,
``central``, ``high``) applies only when that path is chosen.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

import numpy as np

from sim import data
from sim.data import ORIGIN_NAMES, ORIGINS
from sim.scenario import DriverChange


@dataclass(frozen=True)
class Drivers:
    """Monthly series over a horizon of ``n`` months starting at ``start``.

    Global series have shape ``(n,)``; per-origin series ``(n, 3)`` in the
    order of :data:`sim.data.ORIGINS`.
    """

    start: int
    rub_per_usd: np.ndarray
    kzt_per_usd: np.ndarray
    wage_ru_rub: np.ndarray
    unemployment_ru_pct: np.ndarray
    wage_kz_kzt: np.ndarray
    patent_fee_rub: np.ndarray
    kz_permit_fee_kzt: np.ndarray
    wage_home_usd: np.ndarray
    gdp_usd: np.ndarray
    population: np.ndarray

    def series_names(self) -> list[str]:
        return [f.name for f in fields(self) if f.name != "start"]


def interpolate_points(points: dict[int, float], months: np.ndarray) -> np.ndarray:
    """Log-linear interpolation of ``{month number: value}`` over ``months``, flat beyond the ends."""
    at = np.array(sorted(points), dtype=np.int64)
    values = np.array([points[m] for m in at], dtype=np.float64)
    return np.exp(np.interp(months, at, np.log(values)))


def interpolate_yearly(points: dict[int, float], months: np.ndarray, step: bool = False) -> np.ndarray:
    """Monthly values from yearly points.

    Parameters
    ----------
    points : dict
        ``{year: value}``, values > 0.
    months : ndarray(int64, (n,))
        Month numbers (``year * 12 + month - 1``).
    step : bool
        If True a value applies from January of its year until the next point;
        otherwise points sit in July and months between are log-linear.
    """
    years = np.array(sorted(points), dtype=np.int64)
    values = np.array([points[y] for y in years], dtype=np.float64)
    if step:
        idx = np.searchsorted(years * 12, months, side="right") - 1
        return values[np.clip(idx, 0, len(values) - 1)]
    return interpolate_points({int(y) * 12 + 6: v for y, v in zip(years, values, strict=True)}, months)


def _yearly_step(points: dict[int, float], months: np.ndarray) -> np.ndarray:
    """Each month takes its year's value (the latest earlier year's beyond the data)."""
    years = np.array(sorted(points), dtype=np.int64)
    values = np.array([points[y] for y in years], dtype=np.float64)
    idx = np.searchsorted(years, months // 12, side="right") - 1
    return values[np.clip(idx, 0, len(values) - 1)]


def _anchor_points(variable: str, country: str) -> dict[int, float]:
    frame = data.anchors()
    rows = frame[(frame["variable"] == variable) & (frame["country"] == country)]
    return dict(zip(rows["year"], rows["value"], strict=True))


def rouble_points() -> dict[int, float]:
    """Roubles per dollar: monthly averages to 2023-12, then annual averages placed in July."""
    points = dict(data.rub_per_usd_monthly())
    last = max(points)
    for year, value in data.rub_per_usd_annual_after_monthly().items():
        if year * 12 + 6 > last:
            points[year * 12 + 6] = value
    return points


@functools.cache
def history_end() -> int:
    """The month after which the baseline runs on stated driver paths, not data.

    December of the last year of the rouble, Russian wage and unemployment
    data (the drivers that matter most); slower series (home wages, GDP) end
    earlier and are documented as such in ``docs/model.md``.
    """
    anchors = data.anchors()
    last_wage_or_jobs = anchors.loc[anchors["variable"].isin(["wage_ru_rub", "unemployment_ru_pct"]), "year"]
    return max(max(rouble_points()) // 12, int(last_wage_or_jobs.max())) * 12 + 11


def base_drivers(start: int, n_months: int) -> Drivers:
    """Driver series from the shipped data alone, no scenario changes."""
    months = np.arange(start, start + n_months, dtype=np.int64)

    def per_origin(make) -> np.ndarray:
        return np.stack([make(o) for o in ORIGINS], axis=1)

    return Drivers(
        start=start,
        rub_per_usd=interpolate_points(rouble_points(), months),
        kzt_per_usd=interpolate_yearly(data.wdi("pa_nus_fcrf", "KZ"), months),
        wage_ru_rub=interpolate_yearly(_anchor_points("wage_ru_rub", "RU"), months),
        unemployment_ru_pct=interpolate_yearly(_anchor_points("unemployment_ru_pct", "RU"), months),
        wage_kz_kzt=interpolate_yearly(_anchor_points("wage_kz_kzt", "KZ"), months),
        patent_fee_rub=interpolate_yearly(_anchor_points("patent_fee_rub", "RU"), months, step=True),
        kz_permit_fee_kzt=interpolate_yearly(_anchor_points("kz_permit_fee_kzt", "KZ"), months, step=True),
        wage_home_usd=per_origin(lambda o: interpolate_yearly(_anchor_points("wage_home_usd", o), months)),
        gdp_usd=per_origin(lambda o: _yearly_step(data.wdi("ny_gdp_mktp_cd", o), months)),
        population=per_origin(
            lambda o: interpolate_yearly(data.series("population_total", ORIGIN_NAMES[o]), months)
        ),
    )


def apply_changes(drivers: Drivers, changes: tuple[DriverChange, ...], path: str = "central") -> Drivers:
    """Apply scenario driver changes in order; returns new arrays.

    Changes that name a driver path apply only if it is ``path``.
    """
    arrays = {name: np.array(getattr(drivers, name)) for name in drivers.series_names()}
    n = len(drivers.rub_per_usd)
    months = np.arange(drivers.start, drivers.start + n)
    for change in changes:
        if change.path is not None and change.path != path:
            continue
        series = arrays[change.variable]
        mask = months >= change.start
        if change.until is not None:
            mask &= months <= change.until
        if not mask.any():
            continue
        columns = slice(None)
        if series.ndim == 2 and change.country is not None:
            columns = ORIGINS.index(change.country)
        target = series[:, columns] if series.ndim == 2 else series
        if change.value is not None:
            target[mask] = change.value
        elif change.multiply is not None:
            target[mask] *= change.multiply
        else:
            first = int(np.argmax(mask))
            base = target[first - 1] if first > 0 else target[first]
            elapsed = (months[mask] - months[first] + 1) / 12.0
            growth = (1.0 + change.growth_pct_per_year / 100.0) ** elapsed
            target[mask] = np.multiply.outer(growth, base) if np.ndim(base) else base * growth
        if series.ndim == 2:
            series[:, columns] = target
    return Drivers(start=drivers.start, **arrays)


def scenario_drivers(scenario) -> Drivers:
    """A scenario's driver series over its horizon: the shipped data, then its changes on its driver path."""
    n_months = scenario.end - scenario.start + 1
    return apply_changes(base_drivers(scenario.start, n_months), scenario.drivers, scenario.driver_path)


def hold_changes(scenario, month: int, names: tuple[str, ...] | None = None) -> tuple[DriverChange, ...]:
    """Driver changes that keep drivers at their value of ``month`` from the next month on.

    Parameters
    ----------
    scenario : sim.scenario.Scenario
        The scenario whose drivers (with its own changes and driver path) are held.
    month : int
        Month number whose values are kept.
    names : tuple of str, optional
        Drivers to hold (default: all).

    Returns
    -------
    tuple of DriverChange
        To append to ``scenario.drivers`` (they apply last, so they win).
    """
    drivers = scenario_drivers(scenario)
    t = month - scenario.start
    out = []
    for name in names or tuple(drivers.series_names()):
        series = getattr(drivers, name)
        if series.ndim == 1:
            out.append(DriverChange(name, None, month + 1, None, value=float(series[t])))
        else:
            out += [DriverChange(name, code, month + 1, None, value=float(series[t, o]))
                    for o, code in enumerate(ORIGINS)]  # fmt: skip
    return tuple(out)
