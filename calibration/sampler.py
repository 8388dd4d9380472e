"""A pyabc sampler whose populations depend on the root seed only, not on workers or timing.

pyabc's own samplers are not reproducible: the single-core one draws
proposals from NumPy's global generator as it happens to be, the mapping
sampler reseeds every task from the operating system, and the Dask sampler
keeps whichever particles finish first. Two calibrations with the same
settings and ``--seed`` therefore ended with different posteriors (the
2014 window with root seed 2: best distance 0.082 in one run, 0.076 in
another).

:class:`SeededSampler` numbers the evaluations of each generation ``t``
0, 1, 2, ... and runs evaluation ``i`` with NumPy's and Python's global
generators seeded from ``(root seed, t, i)``, so its proposal (and, through
:func:`calibration.runner.seed_for`, its simulation) is fixed. Evaluations
run in batches over a map (a Dask client's, or the built-in one), and the
population is evaluations ``0..k`` in index order, ``k`` the one that
brings the ``n``-th acceptance: the same for any number of workers and any
batch size. Evaluations after ``k`` in the last batch are computed and
dropped (at most ``batch - 1`` per generation) and not counted.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable

import cloudpickle
import numpy as np
from pyabc.sampler.base import Sampler


def evaluation_seed(root: int, t: int, index: int) -> int:
    """The 32-bit seed of evaluation ``index`` of generation ``t`` (``t = -1``: pyabc's first sample)."""
    return int(np.random.SeedSequence([int(root), int(t) + 1, int(index)]).generate_state(1)[0])


def _run_seeded(pickled_simulate_one: bytes, seed: int):
    """One evaluation with the global generators seeded (runs on a worker)."""
    simulate_one = cloudpickle.loads(pickled_simulate_one)
    np.random.seed(seed)  # noqa: NPY002  (pyabc and scipy draw from the global generator)
    random.seed(seed)
    return simulate_one()


class SeededSampler(Sampler):
    """Reproducible ABC-SMC sampling (see the module docstring).

    Parameters
    ----------
    seed : int
        The calibration's root seed.
    client : dask.distributed.Client, optional
        Evaluate batches on its workers; ``None``: in this process.
    batch : int
        Evaluations submitted at a time. It changes the speed, never the result.
    """

    def __init__(self, seed: int, client=None, batch: int = 1):
        super().__init__()
        self.seed = int(seed)
        self.client = client
        self.batch = max(1, int(batch))

    def _map(self, function: Callable, seeds: list[int]) -> list:
        if self.client is None:
            return [function(s) for s in seeds]
        futures = self.client.map(function, seeds, pure=False)
        return self.client.gather(futures)

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                ana_vars=None):  # noqa: ARG002  # fmt: skip
        run = functools.partial(_run_seeded, cloudpickle.dumps(simulate_one))
        sample = self._create_empty_sample()
        evaluations = accepted = 0
        while accepted < n and evaluations < max_eval:
            seeds = [evaluation_seed(self.seed, t, evaluations + j) for j in range(self.batch)]
            for particle in self._map(run, seeds):
                sample.append(particle)
                evaluations += 1
                accepted += bool(particle.accepted)
                if accepted >= n or evaluations >= max_eval:
                    break
        self.nr_evaluations_ = evaluations
        if sample.n_accepted < n:
            sample.ok = False
        return sample
