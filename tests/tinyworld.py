"""Hand-built tiny worlds for the household rule: a few households, one month row."""

from __future__ import annotations

import types

import numpy as np

from sim import kernels as k
from sim.kernels import MAX_MEMBERS, NEVER, NO_BAN
from sim.network import _pack_csr
from sim.state import HouseholdState


def month_row(**columns: float) -> np.ndarray:
    """A month matrix (3 origins) with simple round numbers, overridden by ``columns``."""
    row = np.zeros(k.N_COLUMNS)
    defaults = {
        k.W_RU_USD: 1000.0, k.W_KZ_USD: 600.0, k.W_HOME_USD: 200.0,
        k.FEE_RU_USD: 50.0, k.FEE_KZ_USD: 20.0, k.PERMIT_KZ: 1.0, k.EAEU: 0.0, k.P_IRREGULAR_KZ: 1.0,
        k.HAZARD_RU: 0.0, k.BAN_MONTHS: 60.0, k.COST_RU: 0.02, k.COST_KZ: 0.03,
        k.SEASON_DEPART: 1.0, k.SEASON_RETURN: 1.0, k.ASC_RU: -1.0, k.ASC_KZ: -2.0,
        k.P_JOB_HOME: 0.5, k.REMIT_SHARE_RU: 0.5, k.REMIT_SHARE_KZ: 0.5,
        k.BETA_INCOME: 1.0, k.BETA_NETWORK: 2.0,
        k.EXTRA_MEMBER: 1.0, k.FEMALE_SHIFT: -2.0, k.AGE_SHIFT_MID: -0.5, k.AGE_SHIFT_OLD: -1.0,
        k.P_REVISIT_HOME: 0.0, k.P_REVISIT_ABROAD: 0.0, k.CLOSURE_STAY: 1.0, k.P_JOB_RU: 1.0, k.P_JOB_KZ: 1.0,
        k.WAGE_RATIO: 0.5, k.IRREGULAR_PENALTY: 0.2, k.P_IRREGULAR_RU: 0.5, k.HAZARD_KZ: 0.0,
        k.MOVE_COST_RU: 300.0, k.MOVE_COST_KZ: 100.0, k.STAY_MONTHS: 10.0, k.RISK_AVERSION: 0.0,
        k.P_BAN_KNOWN: 0.0, k.BAN_EXTENSION: 12.0, k.AWARE_CONTACT: 0.0, k.POVERTY_LINE: 60.0,
        k.OTHER_INCOME: 0.0, k.VULNERABLE_SHARE: 0.2, k.RETURNEE_MONTHS: 12.0, k.P_REGULARISE: 0.0,
    }  # fmt: skip
    for column, value in defaults.items():
        row[column] = value
    for name, value in columns.items():
        row[getattr(k, name)] = value
    return np.repeat(row[None, :], 3, axis=0)


class TinyWorld(HouseholdState):
    """``n`` households of origin TJ, region 0, one member each unless changed."""

    def __init__(self, n: int, members: int = 1, edges: list[tuple[int, int]] | None = None):
        shape = (n, MAX_MEMBERS)
        edges = edges or []
        src = np.array([a for a, _ in edges], dtype=np.int64)
        dst = np.array([b for _, b in edges], dtype=np.int64)
        indptr, neighbours = _pack_csr(n, src, dst)
        super().__init__(
            origin=np.zeros(n, np.int8),
            cell_base=np.zeros(n, np.int16),
            size=np.full(n, 4, np.int8),
            n_members=np.full(n, members, np.int8),
            skill=np.zeros(n, np.uint8),  # skill factor 0.8
            aware=np.ones(n, np.int8),
            contacts=np.zeros((n, k.N_DEST + 1), np.int16),
            flags=np.zeros(n, np.int8),
            flags_next=np.zeros(n, np.int8),
            m_loc=np.zeros(shape, np.int8),
            m_irregular=np.zeros(shape, np.int8),
            m_ban_until=np.full(shape, NO_BAN, np.int16),
            m_ban_known=np.zeros(shape, np.int8),
            m_sex=np.zeros(shape, np.int8),
            m_age=np.zeros(shape, np.int8),
            m_returned=np.full(shape, NEVER, np.int16),
            indptr=indptr,
            neighbours=neighbours,
            changed=np.zeros(n, np.int32),
        )
        self.acc = np.zeros((1, 2, k.N_INDICATORS), np.int64)
        self.work = k.work_array()

    def commit(self, parts: int) -> None:
        k.commit_network(self.flags, self.flags_next, self.indptr, self.neighbours, self.contacts,
                         self.changed, parts)  # fmt: skip

    def step(self, month: np.ndarray, step: int = 100, seed: int = 7) -> np.ndarray:
        """One month for every household; returns the counters summed over cells."""
        self.acc[:] = 0
        for i in range(self.n):
            k.household_rule(i, step, seed, month, *self.rule_args(), self.acc[0], self.work)
        self.commit(parts=2)
        return self.acc[0].sum(axis=0)


def step_all(world: TinyWorld, month: np.ndarray, step: int = 100, seed: int = 7) -> np.ndarray:
    """One month through the parallel kernel; returns the counters summed over blocks and cells."""
    n_blocks = (world.n + k.BLOCK - 1) // k.BLOCK
    acc = np.zeros((n_blocks, 2, k.N_INDICATORS), np.int64)
    k.step_households(step, seed, month, *world.rule_args(), acc)
    world.commit(parts=3)
    return acc.sum(axis=(0, 1))


def kernels_from_source(source: str, name: str) -> types.ModuleType:
    """A variant of ``sim/kernels.py`` (its text, edited) run as a fresh module, compiled without the cache.

    numba's cache is keyed by the kernel file, so a variant must not use it.
    """
    module = types.ModuleType(name)
    exec(compile(source.replace("cache=True", "cache=False"), f"<{name}>", "exec"), module.__dict__)
    return module
