"""Batch specs: a TOML file naming scenarios, seeds, size, horizon and a design.

A spec is read and validated completely before any simulation starts: an
unknown key or parameter, bounds that are reversed or outside a parameter's
allowed range, zero seeds or an unknown design method raise
:class:`sim.errors.InputError` naming the file and the key. ``docs/batch.md``
documents the format.

The planned runs are the product scenario x design point x replicate, in that
order; ``run_id`` is the position in that list. Replicate ``k`` has the same
seed for every scenario and point (common random numbers), derived from the
root seed and ``k`` only, so results do not depend on how runs are spread over
workers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import InputError
from sim.months import format_month, parse_month
from sim.params import SPECS
from sim.scenario import Scenario, load_scenario, read_toml

METHODS = ("grid", "lhs", "sobol", "morris")
BATCH_KEYS = {"name", "scenarios", "seeds", "seed", "households", "until", "runs_per_task"}
DESIGN_KEYS = {"method", "points", "seed", "levels", "second_order", "parameters"}
DEBUG_KEYS = {"fail_runs"}
TOP_KEYS = {"batch", "design", "debug"}
MAX_RUNS = 1_000_000


@dataclass(frozen=True)
class BatchSpec:
    """A validated batch: what to run, before anything runs.

    Attributes
    ----------
    path : Path
        The spec file.
    name : str
    scenarios : tuple of Scenario
        Resolved scenarios (parents merged), horizon cut at ``until``.
    seeds : int
        Replicates per scenario and design point.
    root_seed : int
    households : int
    until : int or None
        Last month (month number), if the spec cuts the horizon.
    method : str or None
        Design method, None for a single point (the scenarios' own parameters).
    parameters : tuple of str
        Names of the design parameters (the columns of ``points``).
    points : ndarray(float64, (n_points, n_parameters))
    design : dict
        The design as written (method, bounds or values, sampler settings).
    runs_per_task : int or None
    fail_runs : tuple of int
        Test hook: run ids that raise on purpose (``[debug] fail_runs``).
    """

    path: Path
    name: str
    scenarios: tuple[Scenario, ...]
    seeds: int
    root_seed: int
    households: int
    until: int | None
    method: str | None
    parameters: tuple[str, ...]
    points: np.ndarray
    design: dict
    runs_per_task: int | None
    fail_runs: tuple[int, ...]

    @property
    def n_points(self) -> int:
        return int(self.points.shape[0])

    @property
    def n_runs(self) -> int:
        return len(self.scenarios) * self.n_points * self.seeds

    def replicate_seeds(self) -> tuple[int, ...]:
        """Seed of each replicate: ``SeedSequence(root_seed).spawn(seeds)[k]``, 32 bits."""
        children = np.random.SeedSequence(self.root_seed).spawn(self.seeds)
        return tuple(int(child.generate_state(1)[0]) for child in children)

    def point_values(self, point: int) -> dict[str, float]:
        """The parameter values of design point ``point``."""
        return {name: float(v) for name, v in zip(self.parameters, self.points[point], strict=True)}

    def describe(self) -> dict:
        """Everything that determines the results, as plain JSON-ready data."""
        return {
            "name": self.name,
            "scenarios": [s.describe() for s in self.scenarios],
            "seeds": self.seeds,
            "root_seed": self.root_seed,
            "replicate_seeds": list(self.replicate_seeds()),
            "households": self.households,
            "until": format_month(self.until) if self.until is not None else None,
            "design": self.design,
            "parameters": list(self.parameters),
            "points": [[float(v) for v in row] for row in self.points],
            "fail_runs": list(self.fail_runs),
        }

    def identity(self) -> str:
        """SHA-256 over :meth:`describe`: the same for the same resolved batch."""
        text = json.dumps(self.describe(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _check_keys(table: Any, allowed: set[str], where: str) -> dict:
    if not isinstance(table, dict):
        raise InputError(f"{where}: must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")
    return table


def _integer(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{where}: {value!r}; allowed: an integer from {low} to {high}")
    return int(value)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: {value!r} is not a number")
    return float(value)


def _scenarios(raw: Any, path: Path, until: int | None) -> tuple[Scenario, ...]:
    where = f"{path}: [batch] scenarios"
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
        raise InputError(f"{where}: a non-empty list of scenario files (paths relative to the spec)")
    loaded = []
    for entry in raw:
        scenario_path = path.parent / entry
        if not scenario_path.is_file():
            raise InputError(f"{where}: {entry!r} does not exist (looked for {scenario_path})")
        scenario = load_scenario(scenario_path)
        if until is not None:
            if not scenario.start <= until <= scenario.end:
                raise InputError(
                    f"{path}: [batch] until {format_month(until)} is outside scenario {scenario.name!r}'s "
                    f"horizon {format_month(scenario.start)} to {format_month(scenario.end)}"
                )
            scenario = scenario.with_end(until)
        loaded.append(scenario)
    names = [s.name for s in loaded]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"{where}: scenario name {duplicated[0]!r} appears twice; names must be unique")
    return tuple(loaded)


def _design_parameters(raw: Any, method: str, where: str) -> dict[str, list[float]]:
    table = raw if isinstance(raw, dict) else None
    if not table:
        raise InputError(f"{where}: name at least one parameter; allowed: {', '.join(SPECS)}")
    checked = {}
    for name, value in table.items():
        key = f"{where} {name}"
        if name not in SPECS:
            raise InputError(f"{key}: unknown parameter {name!r}; allowed: {', '.join(SPECS)}")
        spec = SPECS[name]
        if not isinstance(value, list) or not value:
            shape = "a list of values" if method == "grid" else "[low, high]"
            raise InputError(f"{key}: must be {shape}")
        numbers = [_number(v, key) for v in value]
        if method != "grid":
            if len(numbers) != 2:
                raise InputError(f"{key}: bounds must be [low, high]; got {len(numbers)} numbers")
            if numbers[0] >= numbers[1]:
                raise InputError(f"{key}: bounds [{numbers[0]}, {numbers[1]}] are reversed or empty; "
                                 f"low must be below high")  # fmt: skip
        elif len(set(numbers)) != len(numbers):
            raise InputError(f"{key}: values repeat")
        for number in numbers:
            if not spec.low <= number <= spec.high:
                raise InputError(
                    f"{key}: {number} is outside the parameter's range; allowed [{spec.low}, {spec.high}] "
                    f"{spec.unit}"
                )
        checked[name] = numbers
    return checked


def sample_design(method: str, bounds: dict[str, list[float]], settings: dict) -> np.ndarray:
    """The design points, one row per point, one column per parameter.

    ``grid`` is the full product of the listed values (the first parameter
    varies slowest); ``lhs``, ``sobol`` and ``morris`` are SALib's samplers
    with ``settings`` ``points``, ``seed``, ``levels`` and ``second_order``.
    """
    names = list(bounds)
    if method == "grid":
        mesh = np.meshgrid(*[np.asarray(bounds[n], dtype=np.float64) for n in names], indexing="ij")
        return np.column_stack([m.ravel() for m in mesh])
    from SALib.sample import latin, morris, sobol

    problem = {"num_vars": len(names), "names": names, "bounds": [bounds[n] for n in names]}
    n, seed = settings["points"], settings["seed"]
    if method == "lhs":
        sample = latin.sample(problem, n, seed=seed)
    elif method == "sobol":
        sample = sobol.sample(problem, n, calc_second_order=settings["second_order"], seed=seed)
    else:
        sample = morris.sample(problem, n, num_levels=settings["levels"], seed=seed)
    return np.asarray(sample, dtype=np.float64)


def _design(raw: Any, path: Path, root_seed: int) -> tuple[str | None, tuple[str, ...], np.ndarray, dict]:
    if raw is None:
        return None, (), np.zeros((1, 0)), {"method": None}
    where = f"{path}: [design]"
    table = _check_keys(raw, DESIGN_KEYS, where)
    method = table.get("method")
    if method not in METHODS:
        raise InputError(f"{where} method: {method!r} unknown; allowed: {', '.join(METHODS)}")
    bounds = _design_parameters(table.get("parameters"), method, f"{path}: [design.parameters]")
    settings = {"seed": _integer(table.get("seed", root_seed), f"{where} seed", 0, 2**32 - 1)}
    if method == "grid":
        extra = sorted(set(table) & {"points", "levels", "second_order"})
        if extra:
            raise InputError(f"{where} {extra[0]}: not used by method 'grid' (list the values instead)")
    else:
        if "points" not in table:
            raise InputError(f"{where} points: method {method!r} needs 'points' (an integer >= 1)")
        settings["points"] = _integer(table["points"], f"{where} points", 1, MAX_RUNS)
        settings["levels"] = _integer(table.get("levels", 4), f"{where} levels", 2, 100)
        second = table.get("second_order", True)
        if not isinstance(second, bool):
            raise InputError(f"{where} second_order: must be true or false")
        settings["second_order"] = second
        if method == "sobol" and settings["points"] & (settings["points"] - 1):
            raise InputError(f"{where} points: Sobol' sampling needs a power of 2; got {settings['points']}")
        if method == "morris" and len(bounds) < 2:
            raise InputError(f"{where}: method 'morris' needs at least two parameters")
    points = sample_design(method, bounds, settings)
    design = {"method": method, "parameters": bounds, **settings}
    return method, tuple(bounds), points, design


def load_spec(path: str | Path) -> BatchSpec:
    """Read and validate a batch spec; load and resolve its scenarios.

    Raises
    ------
    InputError
        Naming the file and key, for anything that would make a run fail or
        the batch meaningless.
    """
    path = Path(path).resolve()
    raw = _check_keys(read_toml(path, "batch spec"), TOP_KEYS, str(path))
    if "batch" not in raw:
        raise InputError(f"{path}: needs a [batch] table (scenarios, seeds, households)")
    batch = _check_keys(raw["batch"], BATCH_KEYS, f"{path}: [batch]")
    where = f"{path}: [batch]"
    for key in ("scenarios", "seeds", "households"):
        if key not in batch:
            raise InputError(f"{where}: needs key {key!r}")
    seeds = _integer(batch["seeds"], f"{where} seeds", 1, 100_000)
    root_seed = _integer(batch.get("seed", 0), f"{where} seed", 0, 2**63 - 1)
    households = _integer(batch["households"], f"{where} households", 3, 100_000_000)
    until = parse_month(batch["until"], f"{where} until") if "until" in batch else None
    runs_per_task = batch.get("runs_per_task")
    if runs_per_task is not None:
        runs_per_task = _integer(runs_per_task, f"{where} runs_per_task", 1, 10_000)
    scenarios = _scenarios(batch["scenarios"], path, until)
    method, parameters, points, design = _design(raw.get("design"), path, root_seed)
    n_runs = len(scenarios) * points.shape[0] * seeds
    if n_runs > MAX_RUNS:
        raise InputError(f"{path}: {n_runs:,} runs planned; allowed at most {MAX_RUNS:,}")
    debug = _check_keys(raw.get("debug", {}), DEBUG_KEYS, f"{path}: [debug]")
    fail_runs = debug.get("fail_runs", [])
    if not isinstance(fail_runs, list):
        raise InputError(f"{path}: [debug] fail_runs: a list of run ids")
    fail = tuple(_integer(r, f"{path}: [debug] fail_runs", 0, n_runs - 1) for r in fail_runs)
    return BatchSpec(
        path=path,
        name=str(batch.get("name", path.stem)),
        scenarios=scenarios,
        seeds=seeds,
        root_seed=root_seed,
        households=households,
        until=until,
        method=method,
        parameters=parameters,
        points=points,
        design=design,
        runs_per_task=runs_per_task,
        fail_runs=fail,
    )
