"""Statistical properties of the rule, with tolerances of four standard errors."""

from __future__ import annotations

import math

import numpy as np
from tinyworld import TinyWorld, month_row, step_all

from sim import kernels as k

N = 40_000


def within(observed: float, expected: float, n: int, sigmas: float = 4.0) -> bool:
    se = math.sqrt(expected * (1 - expected) / n)
    return abs(observed - expected) <= sigmas * se


def test_logit_shares_match_the_closed_form():
    world = TinyWorld(N)
    month = month_row(P_REVISIT_HOME=1.0)
    u = k.member_utilities(month[0], 0.0, 0, 0, k.HOME, 0, (0.0, 0.0), 1, 0)
    expected = np.exp(u) / np.exp(u).sum()
    counters = step_all(world, month)
    assert within(counters[k.DEP_RU] / N, expected[1], N)
    assert within(counters[k.DEP_KZ] / N, expected[2], N)


def test_revisit_probability_is_the_inertia_rate():
    world = TinyWorld(N)
    month = month_row(P_REVISIT_HOME=0.2, ASC_RU=30.0)  # whoever reconsiders leaves
    counters = step_all(world, month)
    assert within(counters[k.DEP_RU] / N, 0.2, N)


def test_detection_hazard_matches_its_rate():
    hazard = 0.03
    world = TinyWorld(N)
    world.m_loc[:, 0] = k.RUSSIA
    world.m_irregular[:, 0] = 1
    month = month_row(HAZARD_RU=hazard)
    removed = step_all(world, month, step=10)[k.REMOVED]
    assert within(removed / N, hazard, N)
    for step in range(11, 15):
        step_all(world, month, step=step)
    still = (world.m_loc[:, 0] == k.RUSSIA).mean()
    assert within(still, (1 - hazard) ** 5, N)


def test_irregular_share_of_new_migrants():
    world = TinyWorld(N)
    month = month_row(P_REVISIT_HOME=1.0, ASC_RU=30.0, P_IRREGULAR_RU=0.3)
    step_all(world, month)
    assert within(world.m_irregular[:, 0].mean(), 0.3, N)
    eaeu = TinyWorld(N)
    step_all(eaeu, month_row(P_REVISIT_HOME=1.0, ASC_RU=30.0, P_IRREGULAR_RU=0.3, EAEU=1.0))
    assert eaeu.m_irregular[:, 0].sum() == 0


def test_uniform_draws_are_uniform():
    draws = np.array([k.uniform(5, 1, i, 0, 3) for i in range(N)])
    assert abs(draws.mean() - 0.5) < 4 * math.sqrt(1 / 12 / N)
    counts = np.histogram(draws, bins=10, range=(0, 1))[0]
    chi2 = ((counts - N / 10) ** 2 / (N / 10)).sum()
    assert chi2 < 30  # 9 degrees of freedom: P(chi2 > 30) < 0.001
