"""Monthly driver series built from the shipped public figures.

Yearly figures are placed in July (annual averages describe mid-year) and
interpolated log-linearly between years; before the first and after the last
figure a series is held flat unless a scenario trends it. GDP is a yearly
figure and applies to every month of its year. Fees change in January of the
year their anchor names. Scenario driver changes are applied last, in file
order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import data
from sim.data import ORIGIN_NAMES, ORIGINS
from sim.scenario import DriverChange

STEP_VARIABLES = {"patent_fee_rub", "kz_permit_fee_kzt"}


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
    wage_kz_kzt: np.ndarray
    patent_fee_rub: np.ndarray
    kz_permit_fee_kzt: np.ndarray
    wage_home_usd: np.ndarray
    gdp_usd: np.ndarray
    population: np.ndarray


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
    anchor = years * 12 + 6
    return np.exp(np.interp(months, anchor, np.log(values)))


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


def base_drivers(start: int, n_months: int) -> Drivers:
    """Driver series from the shipped data alone, no scenario changes."""
    months = np.arange(start, start + n_months, dtype=np.int64)

    def rate(country: str) -> np.ndarray:
        return interpolate_yearly(data.series("exchange_rate_annual_avg", country, "USD"), months)

    def per_origin(make) -> np.ndarray:
        return np.stack([make(o) for o in ORIGINS], axis=1)

    return Drivers(
        start=start,
        rub_per_usd=rate("Russia"),
        kzt_per_usd=rate("Kazakhstan"),
        wage_ru_rub=interpolate_yearly(_anchor_points("wage_ru_rub", "RU"), months),
        wage_kz_kzt=interpolate_yearly(_anchor_points("wage_kz_kzt", "KZ"), months),
        patent_fee_rub=interpolate_yearly(_anchor_points("patent_fee_rub", "RU"), months, step=True),
        kz_permit_fee_kzt=interpolate_yearly(
            _anchor_points("kz_permit_fee_kzt", "KZ"), months, step=True
        ),
        wage_home_usd=per_origin(lambda o: interpolate_yearly(_anchor_points("wage_home_usd", o), months)),
        gdp_usd=per_origin(lambda o: _yearly_step(data.series("gdp_current_usd", ORIGIN_NAMES[o]), months)),
        population=per_origin(
            lambda o: interpolate_yearly(data.series("population_total", ORIGIN_NAMES[o]), months)
        ),
    )


def apply_changes(drivers: Drivers, changes: tuple[DriverChange, ...]) -> Drivers:
    """Apply scenario driver changes in order; returns new arrays."""
    names = [name for name in drivers.__dataclass_fields__ if name != "start"]
    arrays = {name: np.array(getattr(drivers, name)) for name in names}
    n = len(drivers.rub_per_usd)
    months = np.arange(drivers.start, drivers.start + n)
    for change in changes:
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
