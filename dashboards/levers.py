"""What-if levers: a baseline plus events and driver changes, validated like a scenario file.

:func:`apply_levers` turns the page's controls into extra
:class:`sim.scenario.Event` and :class:`sim.scenario.DriverChange` objects,
added to a loaded scenario with :func:`dataclasses.replace`. Each event goes
through the scenario parser's own checks; a problem is reported against the
control that caused it (a message key and its arguments, translated by the
page) instead of raising.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from sim.errors import InputError
from sim.months import format_month, parse_month
from sim.scenario import DriverChange, Event, Scenario, _parse_event

COUNTRIES = ("TJ", "KG", "UZ")
# levers start in January of the next full year: a what-if is asked about the future
NEXT_YEAR = f"{datetime.date.today().year + 1}-01"


@dataclass(frozen=True)
class Levers:
    """The what-if controls; neutral values change nothing."""

    eaeu: tuple[str, ...] = ()  # countries that join the EAEU
    eaeu_date: dict = field(default_factory=lambda: {c: NEXT_YEAR for c in COUNTRIES})
    amnesty_share: float = 0.0
    amnesty_country: str = "TJ"
    amnesty_date: str = NEXT_YEAR
    kz_available: bool = True
    kz_fee: float = 1.0
    kz_from: str = NEXT_YEAR
    campaign: float = 0.0
    campaign_from: str = NEXT_YEAR
    remit_cost: float = 1.0
    remit_from: str = NEXT_YEAR
    reintegration: float = 0.0
    reint_from: str = NEXT_YEAR
    rub_shock: float = 1.0
    rub_from: str = NEXT_YEAR
    rub_months: int = 12  # 0: permanent


@dataclass
class Outcome:
    """The scenario built from levers, and what to say next to each control."""

    scenario: Scenario | None
    problems: dict[str, tuple[str, dict]] = field(default_factory=dict)  # control -> (key, args)
    notes: dict[str, tuple[str, dict]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _month(text: str, control: str, base: Scenario, out: Outcome) -> int | None:
    """Parse a YYYY-MM control; record a problem or a note about the horizon."""
    try:
        month = parse_month(str(text).strip(), control)
    except InputError:
        out.problems[control] = ("bad_month", {"value": text})
        return None
    if month < base.start:
        out.problems[control] = ("before_start", {"start": format_month(base.start)})
        return None
    if month > base.end:
        out.notes[control] = ("after_end", {"end": format_month(base.end)})
    return month


def _event(raw: dict, control: str, base: Scenario, out: Outcome) -> Event | None:
    """Validate one event with the scenario parser's rules (dates given as YYYY-MM)."""
    try:
        return _parse_event(raw, control, base.start)
    except InputError as exc:
        out.problems[control] = ("invalid", {"message": str(exc)})
        return None


def _member_since(base: Scenario, country: str) -> int | None:
    dates = [e.get("date") for e in base.events if e.type == "eaeu_accession" and e.get("country") == country]
    return min(dates) if dates else None


def apply_levers(base: Scenario, levers: Levers) -> Outcome:
    """The scenario ``base`` with the levers' events and driver changes added."""
    out = Outcome(None)
    events: list[Event] = []
    drivers: list[DriverChange] = []

    for country in levers.eaeu:
        control = f"eaeu_{country}"
        month = _month(levers.eaeu_date.get(country, ""), control, base, out)
        if month is None:
            continue
        since = _member_since(base, country)
        if since is not None and since <= month:
            out.notes[control] = ("already_member", {"since": format_month(since)})
            continue
        raw = {"type": "eaeu_accession", "country": country, "date": format_month(month)}
        if (event := _event(raw, control, base, out)) is not None:
            events.append(event)

    if levers.amnesty_share > 0:
        month = _month(levers.amnesty_date, "amnesty", base, out)
        if month is not None:
            if not any(e.type == "ban_law" and e.get("date") <= month for e in base.events):
                out.notes["amnesty"] = ("amnesty_before_law", {})
            raw = {"type": "amnesty", "country": levers.amnesty_country, "date": format_month(month),
                   "share": float(levers.amnesty_share)}  # fmt: skip
            if (event := _event(raw, "amnesty", base, out)) is not None:
                events.append(event)

    if not levers.kz_available or levers.kz_fee != 1.0:
        month = _month(levers.kz_from, "kz_permits", base, out)
        if month is not None:
            raw = {"type": "kz_permits", "from": format_month(month), "available": bool(levers.kz_available),
                   "fee_multiplier": float(levers.kz_fee)}  # fmt: skip
            if not levers.kz_available and levers.kz_fee != 1.0:
                out.notes["kz_permits"] = ("fee_without_permits", {})
            if (event := _event(raw, "kz_permits", base, out)) is not None:
                events.append(event)

    simple = (
        ("campaign", levers.campaign, 0.0, levers.campaign_from,
         lambda m, v: {"type": "information_campaign", "country": "all", "from": m, "intensity": v}),
        ("remit_cost", levers.remit_cost, 1.0, levers.remit_from,
         lambda m, v: {"type": "transfer_cost", "corridor": "all", "from": m, "multiply": v}),
        ("reintegration", levers.reintegration, 0.0, levers.reint_from,
         lambda m, v: {"type": "reintegration", "country": "all", "from": m, "coverage": v}),
    )  # fmt: skip
    for control, value, neutral, start, make in simple:
        if value == neutral:
            continue
        month = _month(start, control, base, out)
        if month is None:
            continue
        if (event := _event(make(format_month(month), float(value)), control, base, out)) is not None:
            events.append(event)

    if levers.rub_shock != 1.0:
        month = _month(levers.rub_from, "rub_shock", base, out)
        if month is not None:
            if not 0 <= int(levers.rub_months) <= 240:
                out.problems["rub_shock"] = ("bad_duration", {})
            else:
                until = month + int(levers.rub_months) - 1 if levers.rub_months else None
                shock = float(levers.rub_shock)
                drivers.append(DriverChange("rub_per_usd", None, month, until, multiply=shock))

    if out.ok:
        title = base.title if not (events or drivers) else f"{base.title} + levers"
        out.scenario = replace(base, title=title, events=base.events + tuple(events),
                               drivers=base.drivers + tuple(drivers))  # fmt: skip
    return out
