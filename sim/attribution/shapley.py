"""Shapley values of a change over factors: exact, or estimated from sampled orderings.

A *coalition* is the set of factors that act; the others are held. ``value``
maps a coalition (a ``frozenset`` of factor names) to the indicator change it
produces, a float or an array (indicators, origins, groups, ... at once). The
Shapley value of factor ``i`` is the average, over all orderings of the
factors, of the change in value when ``i`` joins the factors before it. The
values add up: ``value(all) - value(none) = sum of the Shapley values``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

# above this many factors the exact sum over all 2^F coalitions gives way to sampled orderings
MAX_EXACT_FACTORS = 8


def all_coalitions(factors: Sequence[str]) -> list[frozenset]:
    """Every subset of ``factors``, smallest first (2^F of them)."""
    return [frozenset(c) for size in range(len(factors) + 1) for c in itertools.combinations(factors, size)]


def exact(factors: Sequence[str], values: Mapping[frozenset, np.ndarray]) -> dict[str, np.ndarray]:
    """Exact Shapley values from the value of every coalition.

    Parameters
    ----------
    factors : sequence of str
    values : mapping of frozenset to array
        ``values[S]`` for every subset ``S`` of ``factors``.

    Returns
    -------
    dict of str to array
        Factor -> its Shapley value, of the shape of the values.
    """
    n = len(factors)
    weight = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    out = {}
    for factor in factors:
        others = [f for f in factors if f != factor]
        total = 0.0
        for size in range(n):
            for rest in itertools.combinations(others, size):
                coalition = frozenset(rest)
                total = total + weight[size] * (np.asarray(values[coalition | {factor}]) - values[coalition])
        out[factor] = np.asarray(total, dtype=float)
    return out


def orderings(factors: Sequence[str], count: int, seed: int) -> list[tuple[str, ...]]:
    """``count`` orderings of the factors: each with its reverse (antithetic pairs), seeded."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), len(factors), 11]))
    out = []
    while len(out) < count:
        order = tuple(factors[i] for i in rng.permutation(len(factors)))
        out += [order, order[::-1]]
    return out[:count]


def coalitions_of(orders: Sequence[tuple[str, ...]]) -> list[frozenset]:
    """The coalitions the sampled estimator needs for ``orders`` (each once, smallest first)."""
    needed = {frozenset(order[:k]) for order in orders for k in range(len(order) + 1)}
    return sorted(needed, key=lambda c: (len(c), sorted(c)))


def sampled(
    orders: Sequence[tuple[str, ...]], values: Mapping[frozenset, np.ndarray]
) -> dict[str, np.ndarray]:
    """Shapley values estimated as the mean marginal change over the sampled ``orders``.

    The estimate adds up exactly like the exact values, whatever the sample:
    along each ordering the marginal changes sum to ``value(all) - value(none)``.
    """
    totals: dict[str, np.ndarray] = {}
    for order in orders:
        before = frozenset()
        for factor in order:
            after = before | {factor}
            totals[factor] = totals.get(factor, 0.0) + (np.asarray(values[after]) - values[before])
            before = after
    return {factor: np.asarray(total, dtype=float) / len(orders) for factor, total in totals.items()}


def plan(factors: Sequence[str], orderings_count: int, seed: int) -> tuple[list[frozenset], Callable]:
    """The coalitions to run and the function that turns their values into Shapley values.

    Exact for up to :data:`MAX_EXACT_FACTORS` factors, sampled orderings above.
    """
    if len(factors) <= MAX_EXACT_FACTORS:
        return all_coalitions(factors), lambda values: exact(factors, values)
    orders = orderings(factors, orderings_count, seed)
    return coalitions_of(orders), lambda values: sampled(orders, values)
