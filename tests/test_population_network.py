"""Population synthesis and the two network generators."""

from __future__ import annotations

import numpy as np
import pytest

from sim.network import NetworkSpec, build_network, build_networkx, statistics, villages
from sim.population import allocate, households_2010, regions, synthesize


def test_allocation_is_proportional_and_exact():
    counts = allocate(10, np.array([1.0, 1.0, 1.0]))
    assert counts.sum() == 10 and sorted(counts) == [3, 3, 4]
    counts = allocate(1000, np.array([1.2e6, 1.3e6, 5.6e6]))
    assert counts.sum() == 1000 and abs(counts[2] - 1000 * 5.6 / 8.1) <= 1


def test_households_split_over_origins_in_proportion():
    pop = synthesize(8100, seed=1)
    real = households_2010()
    total = sum(real.values())
    for o, code in enumerate(("TJ", "KG", "UZ")):
        assert abs(pop.households_per_origin[o] - 8100 * real[code] / total) <= 1
    assert (np.diff(pop.origin) >= 0).all() and (np.diff(pop.region) >= 0).all()
    assert len(regions()) == 5 + 9 + 14


def test_household_sizes_and_members():
    pop = synthesize(60_000, seed=2)
    tj = pop.size[pop.origin == 0]
    assert abs(tj.mean() - 6.3) < 0.1  # Tajik census 2010 average
    assert (pop.n_members >= 1).all() and (pop.n_members <= 4).all()
    assert (pop.n_members <= pop.size).all()
    used = np.arange(4)[None, :] < pop.n_members[:, None]
    assert abs(pop.m_sex[used].mean() - 0.5) < 0.01


def test_full_scale_household_count_is_about_eight_million():
    total = sum(households_2010().values())
    assert 7.5e6 < total < 8.5e6


def test_villages_partition_each_region():
    group = np.array([0] * 250 + [1] * 40)
    start, size = villages(group, 100)
    pairs = set(zip(start[:250].tolist(), size[:250].tolist(), strict=True))
    assert pairs == {(0, 125), (125, 125)}  # 2.5 villages round to 2
    assert set(start[250:].tolist()) == {250} and set(size[250:].tolist()) == {40}


@pytest.fixture(scope="module")
def small_population():
    return synthesize(4000, seed=4)


def test_fast_generator_matches_networkx_statistics(small_population):
    spec = NetworkSpec()
    fast = statistics(build_network(small_population.region, small_population.origin, spec, 4).to_networkx())
    reference = statistics(build_networkx(small_population.region, small_population.origin, spec, 4))
    assert abs(fast["mean_degree"] / reference["mean_degree"] - 1) < 0.03
    assert abs(fast["clustering"] - reference["clustering"]) < 0.03
    assert 9 < fast["mean_degree"] < 11 and fast["clustering"] > 0.3


def test_network_is_symmetric_without_self_ties(small_population):
    net = build_network(small_population.region, small_population.origin, NetworkSpec(), 4)
    src = np.repeat(np.arange(net.n), net.degree())
    pairs = set(zip(src.tolist(), net.neighbours.tolist(), strict=True))
    assert all((b, a) in pairs for a, b in pairs)
    assert not any(a == b for a, b in pairs)
