"""``MigrationModel``: a Mesa model over struct-of-arrays household state.

Two schedulers share one jitted household rule (:func:`sim.kernels.household_rule`):

- ``engine="numba"`` applies it to all households in a parallel loop;
- ``engine="mesa"`` makes one :class:`HouseholdAgent` per household and lets
  Mesa step them (in its shuffled order); each agent applies the rule to its
  own row.

Both then publish the month's locations to the network with the same commit
and reduce the same integer counters, so the same seed gives the same numbers
bit for bit, whatever the engine or the number of threads.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path

import mesa
import numba
import numpy as np

from sim import kernels
from sim.data import ORIGINS
from sim.errors import InputError
from sim.indicators import PERSON_COLUMNS, CellLayout
from sim.months import format_month, month_dates, parse_month
from sim.network import NetworkSpec, build_network
from sim.population import real_households, regions, synthesize
from sim.scenario import Scenario, find_scenario, load_scenario
from sim.state import HouseholdState
from sim.timeline import compile_timeline

ENGINES = ("numba", "mesa")
DEFAULT_SCENARIO = "baseline"  # the shipped scenario, by name
SERIAL_COMMIT_BELOW = 200_000  # households; below this a parallel launch costs more than it saves


def resolve_scenario(scenario: str | Path | Scenario) -> Scenario:
    """A loaded scenario from a path or a shipped scenario's name (:func:`sim.scenario.find_scenario`)."""
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(find_scenario(scenario))


MAX_SEED = 2**64 - 1  # seeds are hashed as uint64
MAX_HOUSEHOLDS = 30_000_000  # over three times the 8.1 million households of the three countries
BYTES_PER_HOUSEHOLD = 110  # measured 103 B with the network (docs/performance.md), plus a margin


def check_seed(seed) -> None:
    """Refuse a seed that is not an integer in [0, 2**64 - 1] (the kernel hashes it as uint64)."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= int(seed) <= MAX_SEED:
        raise InputError(f"seed = {seed!r}; allowed: an integer from 0 to 2**64 - 1")


def available_memory() -> int | None:
    """Bytes of memory available now (Linux), or None where the system does not say."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_households(households) -> None:
    """Refuse a household count out of range, or one whose state would not fit in memory."""
    if isinstance(households, bool) or not isinstance(households, int | np.integer):
        raise InputError(f"households = {households!r}; allowed: an integer from 3 to {MAX_HOUSEHOLDS:,}")
    if not 3 <= households <= MAX_HOUSEHOLDS:
        raise InputError(f"households = {households:,}; allowed: an integer from 3 to {MAX_HOUSEHOLDS:,}")
    need, free = int(households) * BYTES_PER_HOUSEHOLD, available_memory()
    if free is not None and need > 0.8 * free:
        raise InputError(f"households = {households:,} needs about {need / 2**30:.1f} GiB; "
                         f"{free / 2**30:.1f} GiB is available: use fewer households")  # fmt: skip


class HouseholdAgent(mesa.Agent):
    """One household of the mesa engine: applies the shared rule to its own row."""

    def __init__(self, model: MigrationModel, row: int):
        super().__init__(model)
        self.row = row

    def step(self) -> None:
        m = self.model
        kernels.household_rule(
            self.row, m.step_counter, m.seed_value, m.month_row, *m.state.rule_args(),
            m.block_counters[self.row // kernels.BLOCK], m.work,
        )  # fmt: skip


def _national(model: MigrationModel, column: str) -> float:
    """A national total (all origins) of the latest month, for the DataCollector."""
    return float(model.latest_totals[column])


class MigrationModel(mesa.Model):
    """Labour migration from Central Asia, one household a row.

    Parameters
    ----------
    scenario : str, Path or Scenario
        A scenario file or a loaded scenario.
    households : int
        Simulated households over the three origins (split in proportion).
    seed : int
        Root seed of every random draw (population, network, behaviour).
    engine : {"numba", "mesa"}
    until : str, optional
        Last month to simulate (``YYYY-MM``), before the scenario's end.
    network : NetworkSpec, optional
    progress : callable, optional
        Called as ``progress(steps_done, steps_total)`` after every month,
        spin-up included.
    status_month : str, optional
        ``YYYY-MM``: at the start of this month, split the households by
        whether a member is banned from Russia then, and keep them in
        their group for the rest of the run (the results' ``status`` key,
        :data:`sim.indicators.STATUSES`). Before it every household counts
        as without a banned member.
    age_groups : bool
        Count members by age group too (the results' ``age`` key,
        :data:`sim.indicators.AGE_GROUPS`); three times the indicator cells.
    **levers
        Overrides of behavioural, policy and driver parameters (names and
        ranges in :data:`sim.params.SPECS`), validated.
    """

    def __init__(
        self,
        scenario: str | Path | Scenario = DEFAULT_SCENARIO,
        households: int = 2000,
        seed: int = 0,
        engine: str = "numba",
        until: str | None = None,
        network: NetworkSpec | None = None,
        progress: Callable[[int, int], None] | None = None,
        status_month: str | None = None,
        age_groups: bool = False,
        **levers: float,
    ):
        if engine not in ENGINES:
            raise InputError(f"engine = {engine!r}; allowed: {', '.join(ENGINES)}")
        check_seed(seed)
        check_households(households)
        super().__init__(seed=seed)
        resolved = resolve_scenario(scenario)
        if until is not None:
            resolved = resolved.with_end(parse_month(until, "until"))
        self.scenario = resolved
        self.params = resolved.parameters.replace(**levers)
        self.engine = engine
        self.seed_value = int(seed)
        self.network_spec = network or NetworkSpec()
        self.progress = progress

        clock = time.perf_counter()
        self.population = synthesize(int(households), self.seed_value)
        self.timings = {"population_s": time.perf_counter() - clock}
        clock = time.perf_counter()
        net = build_network(self.population.region, self.population.origin, self.network_spec,
                            self.seed_value)  # fmt: skip
        self.timings["network_s"] = time.perf_counter() - clock
        self.state = HouseholdState.initial(self.population, net, self.params.initial_aware, self.seed_value)
        self.timeline = compile_timeline(resolved, self.params)
        self.regions = regions()
        self.status_index = self._status_index(status_month)
        splits = (("status",) if self.status_index is not None else ()) + (("age",) if age_groups else ())
        self.cell_layout = CellLayout(len(self.regions), splits)
        self.timeline.table[:, :, kernels.AGE_STRIDE] = self.cell_layout.age_stride
        self._origin_of_cell = self.cell_layout.labels(self.regions)["origin"].map(ORIGINS.index).to_numpy()
        n_cells = self.cell_layout.n_cells
        n_blocks = (self.state.n + kernels.BLOCK - 1) // kernels.BLOCK
        self.block_counters = np.zeros((n_blocks, n_cells, kernels.N_INDICATORS), dtype=np.int64)
        self.cells = np.zeros((self.timeline.n_months, n_cells, kernels.N_INDICATORS), np.int64)
        self._latest = np.zeros((n_cells, kernels.N_INDICATORS), dtype=np.int64)
        self.weights = real_households(self.timeline.drivers.population) / np.maximum(
            self.population.households_per_origin, 1
        )
        self.step_counter = 0
        self.month_row = self.timeline.table[0]
        self.work = kernels.work_array()  # the mesa engine's scratch space for the rule
        self.latest_totals: dict[str, float] = {}

        if engine == "mesa":
            for row in range(self.state.n):
                HouseholdAgent(self, row)
        clock = time.perf_counter()
        for _ in range(self.timeline.spinup_months):
            self._advance()
        self.timings["spinup_s"] = time.perf_counter() - clock
        self._record(None)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                name: functools.partial(_national, column=name)
                for name in (*PERSON_COLUMNS, "remittances_usd")
            }
        )
        self.datacollector.collect(self)

    def _status_index(self, status_month: str | None) -> int | None:
        """The horizon month at whose start households are split by ban status (None: no split)."""
        if status_month is None:
            return None
        month = parse_month(status_month, "status_month")
        first, last = self.timeline.start, self.timeline.start + self.timeline.n_months - 1
        if not first <= month <= last:
            raise InputError(f"status_month = {status_month!r}; allowed: a month from "
                             f"{format_month(first)} to {format_month(last)}")  # fmt: skip
        return month - first

    def _split_by_status(self) -> None:
        """Move every household with a member banned this month into the cells of the ``banned`` group."""
        state = self.state
        banned = (state.m_ban_until > self.step_counter).any(axis=1)
        state.cell_base[banned] += self.cell_layout.status_offset

    @property
    def month_index(self) -> int:
        """Months of the horizon simulated so far."""
        return self.step_counter - self.timeline.spinup_months

    def _advance(self) -> None:
        """One month of every household, then the network commit and the reduction."""
        self.month_row = self.timeline.table[self.step_counter]
        if self.engine == "numba":
            parallel = self.block_counters.shape[0] > 1
            step = kernels.step_households if parallel else kernels.step_households_serial
            step(
                self.step_counter, self.seed_value, self.month_row, *self.state.rule_args(),
                self.block_counters,
            )  # fmt: skip
        else:
            self.block_counters[:] = 0
            self.agents.shuffle_do("step")
        state = self.state
        # one target range per thread; a single range (no thread launch) for small models
        parts = numba.get_num_threads() if state.n >= SERIAL_COMMIT_BELOW else 1
        commit = kernels.commit_network if parts > 1 else kernels.commit_network_serial
        commit(state.flags, state.flags_next, state.indptr, state.neighbours, state.contacts,
               state.changed, parts)  # fmt: skip
        kernels.reduce_blocks(self.block_counters, self._latest)
        self.step_counter += 1
        if self.progress is not None:
            self.progress(self.step_counter, self.timeline.n_steps)

    def _record(self, month: int | None) -> None:
        if month is not None:
            self.cells[month] = self._latest
        w_month = max(0, min(self.month_index - 1, self.timeline.n_months - 1))
        w = self.weights[w_month][self._origin_of_cell]
        scaled = self._latest * w[:, None]
        self.latest_totals = {name: float(scaled[:, k].sum()) for name, k in PERSON_COLUMNS.items()}
        self.latest_totals["remittances_usd"] = float(scaled[:, kernels.REMIT_CENTS].sum() / 100.0)

    def step(self) -> None:
        """Advance one month of the horizon and collect the indicators."""
        if self.month_index >= self.timeline.n_months:
            self.running = False
            return
        month = self.month_index
        if month == self.status_index:
            self._split_by_status()
        self._advance()
        self._record(month)
        self.datacollector.collect(self)
        if self.month_index >= self.timeline.n_months:
            self.running = False

    def results(self):
        """The :class:`sim.results.Results` of the months simulated so far."""
        from sim.results import Results

        done = self.month_index
        return Results(
            cells=self.cells[:done].copy(),
            regions=self.regions,
            weights=self.weights[:done],
            gdp_usd=self.timeline.drivers.gdp_usd[:done],
            recorded_share=self.timeline.recorded_share[:done],
            splits=self.cell_layout.splits,
            dates=month_dates(self.timeline.start, done),
            metadata=self.provenance(),
        )

    def provenance(self) -> dict:
        """Scenario (resolved), parameters, seed, size, code version, data vintage."""
        from sim.provenance import provenance

        return provenance(self.scenario, self.params, self.seed_value, self.state.n, self.engine)
