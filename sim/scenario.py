"""Scenario files: TOML, validated once, resolved with their parents.

A scenario names its horizon, may extend another scenario (``extends``, a
path relative to the file), and changes behaviour, policy parameters, driver
series and dated policy events from a month on. Nothing in a file is
executed; unknown keys are errors. ``docs/scenarios.md`` documents the format.
"""

from __future__ import annotations

import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.data import ORIGINS
from sim.errors import InputError
from sim.layout import DESTINATIONS as DESTINATION_TABLE
from sim.months import format_month, parse_month
from sim.params import Parameters, check_value
from sim.registry import DRIVER_SPECS, EVENT_TYPES

DRIVER_VARIABLES = {name: spec.per_origin for name, spec in DRIVER_SPECS.items()}
DESTINATIONS = tuple(d.code for d in DESTINATION_TABLE)
DRIVER_PATHS = ("low", "central", "high")

# event type -> {key: kind}; kinds: month, month?, origin, dest, share, bool, factor
EVENT_KEYS: dict[str, dict[str, str]] = {name: spec.keys for name, spec in EVENT_TYPES.items()}
# title_ru / question_ru: the Russian wording the dashboard shows (each file's own, not inherited)
SCENARIO_KEYS = {"name", "title", "description", "question", "title_ru", "question_ru", "extends", "start",
                 "end", "spinup_months", "posterior", "driver_path"}  # fmt: skip
MAX_EXTENDS = 32  # levels of `extends`
TOP_KEYS = {"scenario", "behaviour", "measurement", "policy", "drivers", "events"}


@dataclass(frozen=True)
class DriverChange:
    """A change of one driver series from a month on."""

    variable: str
    country: str | None
    start: int
    until: int | None
    value: float | None = None
    multiply: float | None = None
    growth_pct_per_year: float | None = None
    path: str | None = None  # a driver path (low / central / high) or None: always


@dataclass(frozen=True)
class Event:
    """A dated policy event; ``fields`` holds its validated keys."""

    type: str
    fields: tuple[tuple[str, Any], ...]

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.fields).get(key, default)


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: its own settings merged over its parents'."""

    name: str
    title: str
    start: int
    end: int
    spinup_months: int
    parameters: Parameters
    drivers: tuple[DriverChange, ...] = ()
    events: tuple[Event, ...] = ()
    lineage: tuple[str, ...] = ()
    source: str = ""
    driver_path: str = "central"
    overrides: dict = field(default_factory=dict, compare=False, hash=False)

    def describe(self) -> dict:
        """Provenance: the resolved scenario as plain data (JSON-ready)."""
        return {
            "name": self.name,
            "title": self.title,
            "lineage": list(self.lineage),
            "start": format_month(self.start),
            "end": format_month(self.end),
            "spinup_months": self.spinup_months,
            "driver_path": self.driver_path,
            "parameters": dict(self.parameters),
            "drivers": [vars(d) for d in self.drivers],
            "events": [{"type": e.type, **dict(e.fields)} for e in self.events],
        }

    def with_end(self, end: int) -> Scenario:
        """The same scenario with an earlier horizon."""
        from dataclasses import replace

        if not self.start <= end <= self.end:
            raise InputError(
                f"--until {format_month(end)} is outside the scenario's horizon "
                f"{format_month(self.start)} to {format_month(self.end)}"
            )
        return replace(self, end=end)

    def with_driver_path(self, path: str) -> Scenario:
        """The same scenario on another driver path after the data end."""
        from dataclasses import replace

        if path not in DRIVER_PATHS:
            raise InputError(f"--driver-path {path!r}; allowed: {', '.join(DRIVER_PATHS)}")
        return replace(self, driver_path=path)


def _check_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")


def _value(kind: str, value: Any, where: str) -> Any:
    base = kind.rstrip("?")
    if base in ("month",):
        return parse_month(value, where)
    if base in ("origin", "origins"):
        allowed = ORIGINS if base == "origin" else (*ORIGINS, "all")
        values = value if isinstance(value, list) and base == "origins" else [value]
        for v in values:
            if v not in allowed:
                raise InputError(f"{where}: {v!r} is not allowed; allowed: {', '.join(allowed)}")
        return value if base == "origin" else tuple(values)
    if base in ("dest", "dests"):
        allowed = DESTINATIONS if base == "dest" else (*DESTINATIONS, "all")
        if value not in allowed:
            raise InputError(f"{where}: {value!r} is not allowed; allowed: {', '.join(allowed)}")
        return value
    if base == "bool":
        if not isinstance(value, bool):
            raise InputError(f"{where}: must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: must be a number")
    low, high = {"share": (0.0, 1.0), "factor": (0.0, 10.0), "cost": (0.0, 0.5)}[base]
    if not low <= value <= high:
        raise InputError(f"{where}: {value} is out of range; allowed [{low}, {high}]")
    return float(value)


def _parse_event(raw: Any, where: str, start: int) -> Event:
    if not isinstance(raw, dict) or "type" not in raw:
        raise InputError(f"{where}: an event needs a type; allowed: {', '.join(EVENT_KEYS)}")
    kind = raw["type"]
    if kind not in EVENT_KEYS:
        raise InputError(f"{where}.type: unknown event {kind!r}; allowed: {', '.join(EVENT_KEYS)}")
    spec = EVENT_KEYS[kind]
    _check_keys(raw, set(spec) | {"type", "note"}, where)
    fields = []
    for key, value_kind in spec.items():
        if key not in raw:
            if value_kind.endswith("?"):
                continue
            raise InputError(f"{where}: event {kind!r} needs key {key!r}")
        fields.append((key, _value(value_kind, raw[key], f"{where}.{key}")))
    values = dict(fields)
    for key in ("date", "from"):
        if key in values and values[key] < start:
            raise InputError(
                f"{where}.{key}: {format_month(values[key])} is before the scenario start "
                f"{format_month(start)}"
            )
    if "until" in values and values["until"] < values["from"]:
        raise InputError(f"{where}.until: before its 'from' month")
    if kind == "transfer_cost" and ("value" in values) == ("multiply" in values):
        raise InputError(f"{where}: give exactly one of 'value' or 'multiply'")
    return Event(kind, tuple(fields))


def _parse_driver(raw: Any, where: str) -> DriverChange:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: a driver change must be a table")
    allowed = {"variable", "country", "from", "until", "value", "multiply",
               "growth_pct_per_year", "path", "note"}  # fmt: skip
    _check_keys(raw, allowed, where)
    variable = raw.get("variable")
    if variable not in DRIVER_VARIABLES:
        raise InputError(f"{where}.variable: {variable!r} unknown; allowed: {', '.join(DRIVER_VARIABLES)}")
    country = raw.get("country")
    if country is not None and (not DRIVER_VARIABLES[variable] or country not in ORIGINS):
        allowed_c = ", ".join(ORIGINS) if DRIVER_VARIABLES[variable] else "none"
        raise InputError(f"{where}.country: {country!r} not allowed for {variable}; allowed: {allowed_c}")
    if "from" not in raw:
        raise InputError(f"{where}: a driver change needs 'from' (YYYY-MM)")
    start = parse_month(raw["from"], f"{where}.from")
    until = parse_month(raw["until"], f"{where}.until") if "until" in raw else None
    if until is not None and until < start:
        raise InputError(f"{where}.until: before its 'from' month")
    path = raw.get("path")
    if path is not None and path not in DRIVER_PATHS:
        raise InputError(f"{where}.path: {path!r}; allowed: {', '.join(DRIVER_PATHS)}")
    ops = [k for k in ("value", "multiply", "growth_pct_per_year") if k in raw]
    if len(ops) != 1:
        raise InputError(f"{where}: give exactly one of value, multiply, growth_pct_per_year")
    op = ops[0]
    number = raw[op]
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise InputError(f"{where}.{op}: must be a number")
    limits = {"value": (0.0, 1e15), "multiply": (0.0, 100.0), "growth_pct_per_year": (-50.0, 100.0)}
    low, high = limits[op]
    if not low <= number <= high or (op != "growth_pct_per_year" and number <= 0):
        raise InputError(f"{where}.{op}: {number} out of range; allowed ({low}, {high}]")
    return DriverChange(variable, country, start, until, **{op: float(number)}, path=path)


def scenario_dir() -> Path:
    """The folder of the shipped scenarios.

    ``scenarios/`` beside ``sim/`` in a source tree; ``sim/scenarios/`` in an
    installed wheel (``pyproject.toml`` maps the one onto the other).
    """
    here = Path(__file__).resolve().parent
    for folder in (here.parent / "scenarios", here / "scenarios"):
        if (folder / "baseline.toml").is_file():
            return folder
    raise InputError(f"the shipped scenarios are missing (no baseline.toml in {here.parent / 'scenarios'} "
                     f"or {here / 'scenarios'}): reinstall migsim")  # fmt: skip


def shipped_scenarios() -> list[str]:
    """Names of the shipped scenarios (``baseline`` first), each usable instead of a path."""
    names = sorted(p.stem for p in scenario_dir().glob("*.toml"))
    return sorted(names, key=lambda n: n != "baseline")


def find_scenario(name: str | Path) -> Path:
    """The file of a scenario given as a path or as the name of a shipped one.

    A path that exists is used as it is; otherwise ``baseline``,
    ``baseline.toml`` and ``scenarios/baseline.toml`` name the shipped
    scenario, from any working folder.
    """
    path = Path(name)
    if path.exists() or path.is_absolute():
        return path
    parts = path.parts[1:] if path.parts[:1] == ("scenarios",) else path.parts
    if parts:
        shipped = scenario_dir().joinpath(*parts)
        for candidate in (shipped, shipped.with_name(shipped.name + ".toml")):
            if candidate.is_file():
                return candidate
    raise InputError(f"{path}: scenario file not found; give a path, or one of the shipped scenarios: "
                     f"{', '.join(shipped_scenarios())}")  # fmt: skip


def read_toml(path: Path, kind: str = "scenario file") -> dict:
    """Parse a TOML file; a missing or malformed file is an :class:`InputError`."""
    if not path.is_file():
        raise InputError(f"{path}: {kind} not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None


def load_scenario(path: str | Path, _chain: tuple[Path, ...] = ()) -> Scenario:
    """Load, validate and resolve a scenario file and its parents.

    ``path`` is a file, or the name of a shipped scenario (``"baseline"``;
    :func:`find_scenario`).

    Raises
    ------
    InputError
        On a missing or malformed file, an unknown key, a value out of range, a
        missing parent or a scenario that extends itself.
    """
    path = (find_scenario(path) if not _chain else Path(path)).resolve()
    if len(_chain) >= MAX_EXTENDS:
        raise InputError(f"{path}: more than {MAX_EXTENDS} scenarios extend one another; allowed at most "
                         f"{MAX_EXTENDS} levels of 'extends'")  # fmt: skip
    if path in _chain:
        raise InputError(f"{path}: extends itself (chain: {' -> '.join(p.name for p in _chain)})")
    raw = read_toml(path)
    _check_keys(raw, TOP_KEYS, str(path))
    head = raw.get("scenario", {})
    if not isinstance(head, dict):
        raise InputError(f"{path}: [scenario] must be a table")
    _check_keys(head, SCENARIO_KEYS, f"{path}: [scenario]")
    parent = None
    if "extends" in head:
        parent_path = path.parent / str(head["extends"])
        if not parent_path.is_file():
            raise InputError(f"{path}: [scenario] extends {head['extends']!r}, which does not exist")
        parent = load_scenario(parent_path, (*_chain, path))

    where = f"{path}: [scenario]"
    name = str(head.get("name", path.stem))
    start = parse_month(head["start"], f"{where} start") if "start" in head else None
    end = parse_month(head["end"], f"{where} end") if "end" in head else None
    start = start if start is not None else (parent.start if parent else None)
    end = end if end is not None else (parent.end if parent else None)
    if start is None or end is None:
        raise InputError(f"{where}: needs start and end (YYYY-MM), or extends a scenario that has them")
    if end < start:
        raise InputError(f"{where}: end {format_month(end)} is before start {format_month(start)}")
    spinup = head.get("spinup_months", parent.spinup_months if parent else 48)
    if isinstance(spinup, bool) or not isinstance(spinup, int) or not 0 <= spinup <= 240:
        raise InputError(f"{where} spinup_months: {spinup!r}; allowed integer in [0, 240]")

    values = dict(parent.parameters) if parent else {}
    for group in ("behaviour", "measurement", "policy"):
        table = raw.get(group, {})
        if not isinstance(table, dict):
            raise InputError(f"{path}: [{group}] must be a table")
        for key, value in table.items():
            values[key] = check_value(key, value, f"{path}: [{group}]")
    driver_path = head.get("driver_path", parent.driver_path if parent else "central")
    if driver_path not in DRIVER_PATHS:
        raise InputError(f"{where} driver_path: {driver_path!r}; allowed: {', '.join(DRIVER_PATHS)}")
    drivers_raw = raw.get("drivers", [])
    events_raw = raw.get("events", [])
    if not isinstance(drivers_raw, list) or not isinstance(events_raw, list):
        raise InputError(f"{path}: use [[drivers]] and [[events]] (arrays of tables)")
    drivers = tuple(_parse_driver(d, f"{path}: drivers[{k}]") for k, d in enumerate(drivers_raw))
    events = tuple(_parse_event(e, f"{path}: events[{k}]", start) for k, e in enumerate(events_raw))
    for k, event in enumerate(events):
        first = event.get("date", event.get("from"))
        if first is not None and first > end:
            message = (f"{path}: events[{k}] ({event.type}) starts {format_month(first)}, after the "
                       f"scenario's end {format_month(end)}: it changes nothing")  # fmt: skip
            warnings.warn(message, stacklevel=2)
    return Scenario(
        name=name,
        title=str(head.get("title", name)),
        start=start,
        end=end,
        spinup_months=spinup,
        parameters=Parameters(values, where=str(path)),
        drivers=(parent.drivers if parent else ()) + drivers,
        events=(parent.events if parent else ()) + events,
        lineage=(parent.lineage if parent else ()) + (str(path),),
        source=str(path),
        driver_path=driver_path,
    )
