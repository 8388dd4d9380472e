"""Synthetic households of Tajikistan, Kyrgyzstan and Uzbekistan.

Household counts per origin (2010) come from the Tajik 2010 census and, where
no count is published, from population divided by an average household size
(Kyrgyzstan: an assumption; Uzbekistan: the size distribution of its
statistics office). Regions take households in proportion to their population.
``n`` simulated households are split over origins and regions in proportion
(largest remainder); each simulated household of an origin stands for
``real households / simulated households`` real ones, a weight that grows with
the origin's population over the run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim import data
from sim.data import ORIGIN_NAMES, ORIGINS
from sim.errors import InputError
from sim.kernels import MAX_MEMBERS

# Assumptions (docs/model.md lists them with the rest).
KG_HOUSEHOLD_SIZE = 4.2  # persons per household, Kyrgyzstan (no figure in the shared data)
UZ_SIZE_6PLUS_MEAN = 7.0  # mean size of the "6 or more" class, Uzbekistan
WORKING_AGE_SHARE = 0.55  # share of household members aged 18-59
AGE_GROUP_SHARES = (0.45, 0.35, 0.20)  # 18-29, 30-44, 45-59 among working-age members
REGION_YEARS = {"TJ": 2010, "KG": 2009, "UZ": 2022}  # nearest published regional split


def _uz_size_shares() -> dict[int, float]:
    return {
        s: data.series(f"share_households_size_{s if s < 6 else '6plus'}", "Uzbekistan")[2023] / 100
        for s in range(1, 7)
    }


def mean_household_size() -> dict[str, float]:
    """Average persons per household by origin."""
    uz = _uz_size_shares()
    uz_mean = sum(s * share for s, share in uz.items() if s < 6) + UZ_SIZE_6PLUS_MEAN * uz[6]
    return {
        "TJ": data.series("avg_household_size", "Tajikistan")[2010],
        "KG": KG_HOUSEHOLD_SIZE,
        "UZ": uz_mean / sum(uz.values()),
    }


@functools.cache
def households_2010() -> dict[str, float]:
    """Real households per origin in 2010."""
    sizes = mean_household_size()
    out = {"TJ": data.series("households_number", "Tajikistan")[2010]}
    for code in ("KG", "UZ"):
        out[code] = data.series("population_total", ORIGIN_NAMES[code])[2010] / sizes[code]
    return out


@functools.cache
def regions() -> pd.DataFrame:
    """One row per region: ``origin``, ``region`` (name), ``share`` of its origin's households."""
    frame = data.observed()
    rows = []
    for code in ORIGINS:
        name = ORIGIN_NAMES[code]
        sel = frame[
            (frame["indicator"] == "population_region")
            & frame["country"].str.startswith(f"{name} (")
            & (frame["year"] == str(REGION_YEARS[code]))
        ]
        seen = set()
        for country, value in zip(sel["country"], sel["value"], strict=True):
            region = country[len(name) + 2 : -1]
            if region not in seen:
                seen.add(region)
                rows.append((code, region, float(value)))
    table = pd.DataFrame(rows, columns=["origin", "region", "population"])
    if table.empty:
        raise InputError(f"{data.OBSERVED_CSV}: no population_region rows")
    table["share"] = table["population"] / table.groupby("origin")["population"].transform("sum")
    return table


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    exact = total * np.asarray(weights, dtype=np.float64) / np.sum(weights)
    counts = np.floor(exact).astype(np.int64)
    short = total - counts.sum()
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


@dataclass(frozen=True)
class Population:
    """Households sorted by origin and region, with their working-age members.

    Attributes
    ----------
    origin : ndarray(int8, (n,))
        Index into :data:`sim.data.ORIGINS`.
    region : ndarray(int16, (n,))
        Row of :func:`regions`.
    size, n_members : ndarray(int8, (n,))
        Persons; working-age members held in the member slots (1-4).
    skill : ndarray(uint8, (n,))
    m_sex, m_age : ndarray(int8, (n, MAX_MEMBERS))
        0 male / 1 female; age group 0-2. Unused slots are 0.
    households_per_origin : ndarray(int64, (3,))
        Simulated households of each origin.
    """

    origin: np.ndarray
    region: np.ndarray
    size: np.ndarray
    n_members: np.ndarray
    skill: np.ndarray
    m_sex: np.ndarray
    m_age: np.ndarray
    households_per_origin: np.ndarray

    @property
    def n(self) -> int:
        return len(self.origin)


def categorical(rng: np.random.Generator, p: np.ndarray, count: int) -> np.ndarray:
    """``count`` draws of category indices with probabilities ``p`` (int8)."""
    edges = np.cumsum(p / p.sum())
    edges[-1] = 1.0
    return np.searchsorted(edges, rng.random(count), side="right").astype(np.int8)


def _sizes(code: str, count: int, rng: np.random.Generator) -> np.ndarray:
    if code == "UZ":
        shares = _uz_size_shares()
        p = np.array([shares[s] for s in range(1, 7)])
        size = 1 + categorical(rng, p, count)
        extra = rng.poisson(UZ_SIZE_6PLUS_MEAN - 6, size=count)
        return np.where(size == 6, size + extra, size)
    mean = mean_household_size()[code]
    return 1 + rng.poisson(mean - 1, size=count)


def synthesize(n_households: int, seed: int) -> Population:
    """Draw ``n_households`` households, proportional over origins and regions."""
    if n_households < 3:
        raise InputError(f"households = {n_households}: need at least 3 (one per origin)")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    table = regions()
    real = households_2010()
    per_origin = allocate(n_households, np.array([real[c] for c in ORIGINS]))
    region_counts = np.zeros(len(table), dtype=np.int64)
    for o, code in enumerate(ORIGINS):
        idx = np.flatnonzero(table["origin"].to_numpy() == code)
        region_counts[idx] = allocate(int(per_origin[o]), table["share"].to_numpy()[idx])
    region = np.repeat(np.arange(len(table), dtype=np.int16), region_counts)
    origin = np.repeat(np.arange(3, dtype=np.int8), per_origin)

    size = np.concatenate([_sizes(c, int(per_origin[o]), rng) for o, c in enumerate(ORIGINS)])
    size = np.clip(size, 1, 30).astype(np.int8)
    working = rng.binomial(size, WORKING_AGE_SHARE)
    n_members = np.clip(working, 1, MAX_MEMBERS).astype(np.int8)
    m_sex = rng.integers(0, 2, size=(n_households, MAX_MEMBERS), dtype=np.int8)
    m_age = categorical(rng, np.array(AGE_GROUP_SHARES), n_households * MAX_MEMBERS)
    m_age = m_age.reshape(n_households, MAX_MEMBERS)
    unused = np.arange(MAX_MEMBERS)[None, :] >= n_members[:, None]
    m_sex[unused] = 0
    m_age[unused] = 0
    skill = rng.integers(0, 256, size=n_households, dtype=np.uint8)
    return Population(origin, region, size, n_members, skill, m_sex, m_age, per_origin)


def real_households(population: np.ndarray) -> np.ndarray:
    """Real households per month and origin: the 2010 count grown with population.

    Parameters
    ----------
    population : ndarray(float64, (n_months, 3))
        Monthly population by origin.
    """
    base = np.array([households_2010()[c] for c in ORIGINS])
    pop_2010 = np.array(
        [data.series("population_total", ORIGIN_NAMES[c])[2010] for c in ORIGINS], dtype=float
    )
    return base[None, :] * population / pop_2010[None, :]
