"""One simulation as a function of parameters, and the Dask cluster that runs many.

:func:`run_targets` is what every calibration, validation and sensitivity
run calls: it runs the scenario with parameter overrides and returns the
simulated value of every target row. It is a plain module-level function
of picklable arguments, so Dask workers and pyabc samplers can call it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sim.defaults import MEMBER_HOUSEHOLDS
from sim.scenario import scenario_dir

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[1]
BASELINE = scenario_dir() / "baseline.toml"


@dataclass(frozen=True)
class RunSetup:
    """How each run is made: scenario file, size, horizon, spin-up, numba threads.

    ``spinup_months`` None keeps the scenario's own spin-up.
    """

    scenario: str = str(BASELINE)
    households: int = MEMBER_HOUSEHOLDS
    until: str = "2021-12"
    spinup_months: int | None = None
    threads: int = 1

    def as_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=8)
def scenario_for(setup: RunSetup):
    """The resolved scenario of a setup (cached per process)."""
    from sim.model import resolve_scenario
    from sim.months import parse_month

    scenario = resolve_scenario(setup.scenario)
    scenario = scenario.with_end(parse_month(setup.until, "until"))
    if setup.spinup_months is not None:
        scenario = replace(scenario, spinup_months=int(setup.spinup_months))
    return scenario


def seed_for(params: Mapping[str, float], root: int) -> int:
    """A seed derived from the root seed and the parameter values: reproducible, varied."""
    words = [int(root)]
    for _, value in sorted(params.items()):
        bits = int(np.float64(value).view(np.uint64))
        words += [bits & 0xFFFFFFFF, bits >> 32]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def run_results(params: Mapping[str, float], setup: RunSetup, seed: int):
    """Run the setup's scenario with parameter overrides; return :class:`sim.results.Results`."""
    import numba

    import sim

    levers = {k: float(v) for k, v in params.items()}
    before = numba.get_num_threads()
    if setup.threads:
        numba.set_num_threads(min(int(setup.threads), numba.config.NUMBA_NUM_THREADS))
    try:
        return sim.run(scenario_for(setup), households=setup.households, seed=int(seed), **levers)
    finally:
        numba.set_num_threads(before)


def run_targets(params: Mapping[str, float], setup: RunSetup, seed: int, targets: pd.DataFrame) -> pd.Series:
    """The simulated value of every row of ``targets`` (indexed by id)."""
    from calibration.targets import simulate_targets

    return simulate_targets(run_results(params, setup, seed), targets)
