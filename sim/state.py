"""Household state: one struct of equal-length arrays with fixed dtypes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.kernels import MAX_MEMBERS, N_DEST, NEVER, NO_BAN, count_contacts
from sim.layout import STATE
from sim.network import Network
from sim.population import Population


@dataclass
class HouseholdState:
    """Everything the household rule reads and writes, one row per household.

    Attributes
    ----------
    origin : ndarray(int8, (n,))
    cell_base : ndarray(int16, (n,))
        ``2 * region``: the household's indicator cell for men (women: +1).
    size, n_members : ndarray(int8, (n,))
    skill : ndarray(uint8, (n,))
    aware : ndarray(int8, (n,))
        Knows that legal work in Kazakhstan is possible.
    contacts : ndarray(int16, (n, N_DEST + 1))
        Contacts with a member at each destination, then anywhere abroad (last month).
    flags, flags_next : ndarray(int8, (n,))
        Bit d: a member at destination d (0 Russia, 1 Kazakhstan). ``flags`` is
        what contacts see; ``flags_next`` what the rule wrote this month.
    m_loc, m_irregular, m_ban_known, m_sex, m_age : ndarray(int8, (n, MAX_MEMBERS))
    m_ban_until, m_returned : ndarray(int16, (n, MAX_MEMBERS))
        Step until which a ban stands (-1 none); step of the last return.
    indptr : ndarray(int64, (n + 1,)), neighbours : ndarray(int32, (2 * edges,))
        The contact network in CSR form.
    changed : ndarray(int32, (n,))
        Scratch list of the households whose flags changed this month.
    """

    origin: np.ndarray
    cell_base: np.ndarray
    size: np.ndarray
    n_members: np.ndarray
    skill: np.ndarray
    aware: np.ndarray
    contacts: np.ndarray
    flags: np.ndarray
    flags_next: np.ndarray
    m_loc: np.ndarray
    m_irregular: np.ndarray
    m_ban_until: np.ndarray
    m_ban_known: np.ndarray
    m_sex: np.ndarray
    m_age: np.ndarray
    m_returned: np.ndarray
    indptr: np.ndarray
    neighbours: np.ndarray
    changed: np.ndarray

    @classmethod
    def initial(cls, population: Population, network: Network, initial_aware: float, seed: int):
        """Everyone at home, no bans; a share of households aware of Kazakh permits."""
        n = population.n
        rng = np.random.default_rng(np.random.SeedSequence([seed, 4]))
        shape = (n, MAX_MEMBERS)
        state = cls(
            origin=population.origin,
            cell_base=(2 * population.region).astype(np.int16),
            size=population.size,
            n_members=population.n_members,
            skill=population.skill,
            aware=(rng.random(n) < initial_aware).astype(np.int8),
            contacts=np.zeros((n, N_DEST + 1), dtype=np.int16),
            flags=np.zeros(n, dtype=np.int8),
            flags_next=np.zeros(n, dtype=np.int8),
            m_loc=np.zeros(shape, dtype=np.int8),
            m_irregular=np.zeros(shape, dtype=np.int8),
            m_ban_until=np.full(shape, NO_BAN, dtype=np.int16),
            m_ban_known=np.zeros(shape, dtype=np.int8),
            m_sex=population.m_sex,
            m_age=population.m_age,
            m_returned=np.full(shape, NEVER, dtype=np.int16),
            indptr=network.indptr,
            neighbours=network.neighbours,
            changed=np.zeros(n, dtype=np.int32),
        )
        count_contacts(state.flags, state.indptr, state.neighbours, state.contacts)
        return state

    @property
    def n(self) -> int:
        return len(self.origin)

    def __post_init__(self) -> None:
        check_state(self)

    def rule_args(self) -> tuple:
        """The state arrays in the order :func:`sim.kernels.household_rule` takes them (:data:`STATE`)."""
        return tuple(getattr(self, array.name) for array in STATE)

    def nbytes(self) -> int:
        """Memory held by the state, network included."""
        return sum(getattr(self, name).nbytes for name in self.__dataclass_fields__)


def check_state(state) -> None:
    """Refuse state arrays whose dtype or shape differ from their declaration in :data:`STATE`.

    The kernels take the arrays positionally, in the order of the declaration;
    this check catches an array of the wrong kind before numba compiles for it.
    """
    n = len(state.origin)
    shapes = {"n": (n,), "n+1": (n + 1,), "n,members": (n, MAX_MEMBERS), "n,contacts": (n, N_DEST + 1)}
    for array in STATE:
        value = getattr(state, array.name)
        if value.dtype != np.dtype(array.dtype) or value.shape != shapes[array.shape]:
            raise ValueError(
                f"state array {array.name}: {value.dtype} {value.shape}; declared "
                f"{array.dtype} {shapes[array.shape]} (sim/layout.py)"
            )
