"""Same seed, same numbers: twice, across engines, across thread counts."""

from __future__ import annotations

import dataclasses

import numba
import pandas as pd
import pytest

import sim
from sim.api import set_threads


@pytest.fixture(scope="module")
def short_baseline(baseline_path):
    return dataclasses.replace(sim.load_scenario(baseline_path), spinup_months=12)


def test_same_seed_same_frame(short_baseline):
    a = sim.run(short_baseline, households=3000, seed=11, until="2011-12").frame
    b = sim.run(short_baseline, households=3000, seed=11, until="2011-12").frame
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_different_seed_different_frame(short_baseline):
    a = sim.run(short_baseline, households=3000, seed=11, until="2011-12").frame
    b = sim.run(short_baseline, households=3000, seed=12, until="2011-12").frame
    assert not a["migrants_ru"].equals(b["migrants_ru"])


def test_numba_and_mesa_engines_are_bitwise_identical(short_baseline):
    a = sim.run(short_baseline, households=300, seed=5, until="2013-12", engine="numba")
    b = sim.run(short_baseline, households=300, seed=5, until="2013-12", engine="mesa")
    assert (a.cells == b.cells).all()
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two numba threads")
def test_one_and_two_threads_are_bitwise_identical(short_baseline):
    # 20,000 households = 10 blocks, so two threads share the parallel loop
    try:
        set_threads(1)
        one = sim.run(short_baseline, households=20_000, seed=9, until="2012-06")
        set_threads(2)
        two = sim.run(short_baseline, households=20_000, seed=9, until="2012-06")
    finally:
        set_threads(numba.config.NUMBA_NUM_THREADS)
    assert (one.cells == two.cells).all()


def test_network_does_not_depend_on_thread_count():
    from sim.network import NetworkSpec, build_network
    from sim.population import synthesize

    pop = synthesize(30_000, seed=2)
    try:
        set_threads(1)
        a = build_network(pop.region, pop.origin, NetworkSpec(), seed=2)
        set_threads(numba.config.NUMBA_NUM_THREADS)
        b = build_network(pop.region, pop.origin, NetworkSpec(), seed=2)
    finally:
        set_threads(numba.config.NUMBA_NUM_THREADS)
    assert (a.indptr == b.indptr).all() and (a.neighbours == b.neighbours).all()
