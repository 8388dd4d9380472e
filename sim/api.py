"""The run as a function: ``run(scenario, ...) -> Results``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sim.defaults import RUN_HOUSEHOLDS
from sim.model import MigrationModel
from sim.results import Results
from sim.scenario import Scenario


def set_threads(threads: int | None) -> None:
    """Use ``threads`` numba threads (None: all available)."""
    import numba

    from sim.errors import InputError

    if threads is None:
        return
    if not 1 <= threads <= numba.config.NUMBA_NUM_THREADS:
        raise InputError(
            f"--threads {threads}; allowed 1 to {numba.config.NUMBA_NUM_THREADS} on this machine"
        )
    numba.set_num_threads(threads)


def run(
    scenario: str | Path | Scenario,
    households: int = RUN_HOUSEHOLDS,
    seed: int = 0,
    engine: str = "numba",
    until: str | None = None,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    status_month: str | None = None,
    age_groups: bool = False,
    **levers: float,
) -> Results:
    """Simulate a scenario and return its results.

    Parameters
    ----------
    scenario : str, Path or Scenario
    households : int
        Simulated households in total (results are scaled to the population).
    seed : int
    engine : {"numba", "mesa"}
    until : str, optional
        Last month, ``YYYY-MM``.
    threads : int, optional
        numba threads; results do not depend on it.
    progress : callable, optional
        Called as ``progress(steps_done, steps_total)`` after every month,
        spin-up included.
    status_month : str, optional
        ``YYYY-MM``: split the households by whether a member is banned at
        the start of this month, so that the results can be read ``by``
        ``status`` (:class:`sim.MigrationModel`).
    age_groups : bool
        Count members by age group too, so that the results can be read
        ``by`` ``age``.
    **levers
        Parameter overrides, as for :class:`sim.MigrationModel`.
    """
    set_threads(threads)
    model = MigrationModel(
        scenario=scenario, households=households, seed=seed, engine=engine, until=until,
        progress=progress, status_month=status_month, age_groups=age_groups, **levers,
    )  # fmt: skip
    while model.running:
        model.step()
    return model.results()
