"""Counterfactual scenarios: a set of factors held from a month on.

Holding a factor (:data:`sim.registry.FACTORS`) from month ``h`` means that
from ``h + 1`` its drivers keep their value of month ``h`` and its policy
stays as it was in force at ``h``: events that begin after ``h`` are left
out, and events in force at ``h`` stay in force (their later end is left
out too, since it is a change after ``h``).

Two factors are held in real terms, so that the counterfactuals stay
coherent: holding ``rouble`` keeps the *real* exchange rate (roubles per
dollar move with Russian prices, so the devaluation's pass-through into
rouble wages is not turned into a rise of dollar wages), and holding
``russian_economy`` keeps real wages (rouble wages move with prices) and the
unemployment rate. With both held, the dollar wage is constant.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sim.data import russian_price_index
from sim.drivers import hold_changes, interpolate_points, scenario_drivers
from sim.errors import InputError
from sim.registry import DRIVER_SPECS, EVENT_TYPES, FACTORS
from sim.scenario import DriverChange, Event, Scenario

# drivers held at their real value (rouble amounts that move with Russian prices)
REAL_HOLDS = {"rub_per_usd", "wage_ru_rub"}


def price_level(months: np.ndarray) -> np.ndarray:
    """Russian consumer prices by month (annual points placed in July, log-linear between)."""
    points = {year * 12 + 6: value for year, value in russian_price_index().items()}
    return interpolate_points(points, months)


def _real_hold(scenario: Scenario, name: str, month: int) -> tuple[DriverChange, ...]:
    """Changes that keep driver ``name`` at its month-``month`` value in real terms."""
    series = getattr(scenario_drivers(scenario), name)
    months = np.arange(month + 1, scenario.end + 1)
    prices = price_level(np.append(month, months))
    held = series[month - scenario.start] * prices[1:] / prices[0]
    return tuple(
        DriverChange(name, None, int(m), int(m), value=float(v)) for m, v in zip(months, held, strict=True)
    )


def _held_event(event: Event, month: int) -> Event | None:
    """The event as it stays when its factor is held from ``month + 1`` (None: left out)."""
    start = event.get("from", event.get("date"))
    if start > month:
        return None
    until = event.get("until")
    if until is not None and until > month:
        return Event(
            event.type, tuple((key, None if key == "until" else value) for key, value in event.fields)
        )
    return event


def held_scenario(scenario: Scenario, held: frozenset[str] | set[str], month: int) -> Scenario:
    """``scenario`` with the factors in ``held`` held from ``month + 1`` on.

    Parameters
    ----------
    scenario : Scenario
    held : set of str
        Factor names (keys of :data:`sim.registry.FACTORS`).
    month : int
        The last month of actual values (month number).
    """
    unknown = sorted(set(held) - set(FACTORS))
    if unknown:
        raise InputError(f"--factors {unknown[0]!r}; allowed: {', '.join(FACTORS)}")
    if not scenario.start <= month < scenario.end:
        raise InputError(f"hold month {month} outside the scenario's horizon")
    if not held:
        return scenario
    names = [name for name, spec in DRIVER_SPECS.items() if spec.factor in held]
    nominal = tuple(n for n in names if n not in REAL_HOLDS)
    changes = hold_changes(scenario, month, nominal) if nominal else ()  # (no names would hold them all)
    for name in names:
        if name in REAL_HOLDS:
            changes += _real_hold(scenario, name, month)
    events = []
    for event in scenario.events:
        kept = _held_event(event, month) if EVENT_TYPES[event.type].factor in held else event
        if kept is not None:
            events.append(kept)
    return replace(scenario, drivers=scenario.drivers + changes, events=tuple(events))
