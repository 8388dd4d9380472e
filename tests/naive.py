"""A plain-Python oracle of one month of the household model, written from ``docs/model.md``.

The engines (numba and mesa) run the same compiled ``household_rule``, so
comparing them cannot catch a mistake in the rule itself. This module
restates the month as the model document describes it (section 3, "Process
overview and scheduling", and sections 7.1-7.10), one member at a time,
with Python integers and floats and no numba, and the test compares it with
the compiled kernels state for state and counter for counter
(``tests/test_oracle.py``).

Only two things are taken from ``sim.kernels``: the column and counter
indices (the layout of the month row and of the counters) and the constants
of the counter-based random numbers (a draw is a hash of seed, step,
household, member and stream; the hash is re-implemented here on Python
integers). Everything the rule *does* is written out again below, without
the kernel's fast path for members at home who do not reconsider.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim import kernels as k

MASK = (1 << 64) - 1


def _u64(value) -> int:
    return int(value) & MASK


def _mix(z: int) -> int:
    """The 64-bit finaliser of SplitMix64 (the kernels' ``_mix``)."""
    z = ((z ^ (z >> 30)) * _u64(k._M1)) & MASK
    z = ((z ^ (z >> 27)) * _u64(k._M2)) & MASK
    return z ^ (z >> 31)


class Draws:
    """The random numbers of one household in one month: ``uniform(member, stream)``."""

    def __init__(self, seed: int, step: int, household: int):
        z = _mix((_u64(seed) + _u64(k._GOLDEN)) & MASK)
        z = _mix(z ^ ((_u64(step) * _u64(k._K_STEP)) & MASK))
        self.key = _mix(z ^ ((_u64(household) * _u64(k._K_HH)) & MASK))

    def _hash(self, member: int, stream: int) -> int:
        salt = (_u64(member) * _u64(k._K_MEMBER) + _u64(stream) * _u64(k._K_STREAM)) & MASK
        return _mix(self.key ^ salt)

    def uniform(self, member: int, stream: int) -> float:
        """53 random bits in [0, 1)."""
        return (self._hash(member, stream) >> 11) / 2.0**53

    def pair(self, member: int, stream: int) -> tuple[float, float]:
        """Two uniforms of 32 bits each from one hash: the revisit draw and the job draw."""
        z = self._hash(member, stream)
        return (z >> 32) / 2.0**32, (z & 0xFFFFFFFF) / 2.0**32


@dataclass
class Member:
    loc: int
    irregular: int
    ban_until: int
    ban_known: int
    sex: int
    age: int
    returned: int

    def banned(self, step: int) -> bool:
        return self.ban_until > step


def job_chance_home(r: np.ndarray, returnee: int) -> float:
    """7.9: the chance of paid work at home; reintegration support raises it for a recent returnee."""
    base = r[k.P_JOB_HOME]
    return base + returnee * (r[k.REINTEGRATION] * (1.0 - base))


def utilities(r, skill, member: Member, others_abroad, share_ru, share_kz, aware, returnee):
    """7.1: utilities of home, Russia and Kazakhstan (log expected monthly income plus shifts)."""
    beta = r[k.BETA_INCOME]
    skill_factor = 0.8 + 0.4 * skill
    u_home = beta * math.log(job_chance_home(r, returnee) * r[k.W_HOME_USD] + 10.0)

    p_irregular = r[k.P_IRREGULAR_RU] * (1.0 - r[k.EAEU])
    earn_ru = r[k.P_JOB_RU] * (r[k.W_RU_USD] * r[k.WAGE_RATIO] * skill_factor)
    earn_ru = earn_ru * (1.0 - p_irregular * r[k.IRREGULAR_PENALTY])
    earn_ru = earn_ru - (1.0 - p_irregular) * r[k.FEE_RU_USD]
    if member.loc != k.RUSSIA:
        earn_ru = earn_ru - r[k.MOVE_COST_RU] / r[k.STAY_MONTHS]
    u_ru = beta * math.log(max(earn_ru, 1.0)) + r[k.ASC_RU] + r[k.BETA_NETWORK] * share_ru
    u_ru = u_ru - r[k.RISK_AVERSION] * p_irregular * r[k.HAZARD_RU] * r[k.BAN_MONTHS]

    legal_kz = r[k.EAEU] > 0.5 or (aware * r[k.PERMIT_KZ]) > 0.5
    wage_kz = r[k.W_KZ_USD] * r[k.WAGE_RATIO] * skill_factor
    if legal_kz:
        earn_kz = r[k.P_JOB_KZ] * wage_kz - r[k.FEE_KZ_USD]
    else:
        earn_kz = r[k.P_JOB_KZ] * wage_kz * (1.0 - r[k.IRREGULAR_PENALTY])
    if member.loc != k.KAZAKHSTAN:
        earn_kz = earn_kz - r[k.MOVE_COST_KZ] / r[k.STAY_MONTHS]
    u_kz = beta * math.log(max(earn_kz, 1.0)) + r[k.ASC_KZ] + r[k.BETA_NETWORK] * share_kz

    shift = -r[k.EXTRA_MEMBER] * others_abroad
    shift += r[k.FEMALE_SHIFT] if member.sex == 1 else 0.0
    shift += {0: 0.0, 1: r[k.AGE_SHIFT_MID], 2: r[k.AGE_SHIFT_OLD]}[member.age]
    return u_home, u_ru + shift, u_kz + shift


def logit(u_home, u_ru, u_kz, ru_open, kz_open):
    """7.2: multinomial logit over the open options."""
    top = max([u_home] + ([u_ru] if ru_open else []) + ([u_kz] if kz_open else []))
    weights = [math.exp(u_home - top), math.exp(u_ru - top) if ru_open else 0.0,
               math.exp(u_kz - top) if kz_open else 0.0]  # fmt: skip
    total = weights[0] + weights[1] + weights[2]
    return weights[0] / total, weights[1] / total, weights[2] / total


def household_month(
    i: int, step: int, seed: int, month: np.ndarray, s: dict, cells: np.ndarray, *, draws=Draws
) -> int:
    """One month of household ``i`` (section 3 of docs/model.md); returns its next network flags.

    ``s`` holds the state arrays by name (changed in place); ``cells`` is the
    ``(n_cells, N_INDICATORS)`` counter table (added to). ``draws(seed, step,
    household)`` makes the household's random numbers (:class:`Draws`, or
    :class:`TracedDraws` to record every comparison with a threshold).
    """
    r = month[int(s["origin"][i])]
    rng = draws(seed, step, i)
    degree = int(s["indptr"][i + 1] - s["indptr"][i])
    share_ru = s["contacts"][i, 0] / degree if degree else 0.0
    share_kz = s["contacts"][i, 1] / degree if degree else 0.0
    campaign = r[k.CAMPAIGN]

    if s["aware"][i] == 0:  # 7.8: contacts in Kazakhstan or a campaign tell of legal work there
        p_aware = 1.0 - (1.0 - r[k.AWARE_CONTACT] * share_kz) * (1.0 - campaign)
        if rng.uniform(0, k.S_AWARE) < p_aware:
            s["aware"][i] = 1

    members = [Member(*(int(s[name][i, m]) for name in ("m_loc", "m_irregular", "m_ban_until", "m_ban_known",
                                                        "m_sex", "m_age", "m_returned")))
               for m in range(int(s["n_members"][i]))]  # fmt: skip
    abroad = sum(m.loc != k.HOME for m in members)
    skill = s["skill"][i] / 255.0
    income = r[k.OTHER_INCOME] * int(s["size"][i])
    remitted = 0
    flags = 0
    base = int(s["cell_base"][i])
    for slot, m in enumerate(members):
        cell = base + m.sex + int(r[k.AGE_STRIDE]) * m.age  # age groups only in a run split by them
        revisit_draw, job_draw = rng.pair(slot, k.S_REVISIT)
        banned = m.banned(step)
        if banned and r[k.AMNESTY] > 0.0 and rng.uniform(slot, k.S_AMNESTY) < r[k.AMNESTY]:  # 7.5
            m.ban_until, banned = k.NO_BAN, False
        if banned and m.ban_known == 0 and campaign > 0.0 and rng.uniform(slot, k.S_BANCHECK) < campaign:
            m.ban_known = 1

        removed = False  # 7.4 and 7.7: enforcement of irregular work
        if m.irregular == 1 and m.loc in (k.RUSSIA, k.KAZAKHSTAN):
            if r[k.EAEU] > 0.5 and rng.uniform(slot, k.S_REGULARISE) < r[k.P_REGULARISE]:
                m.irregular = 0
            elif m.loc == k.RUSSIA and rng.uniform(slot, k.REMOVAL_STREAM[0]) < r[k.HAZARD_RU]:
                m.ban_until = step + int(r[k.BAN_MONTHS])
                banned = True
                m.ban_known = 1 if rng.uniform(slot, k.S_KNOWN) < r[k.P_BAN_KNOWN] else 0
                removed = True
            elif m.loc == k.KAZAKHSTAN and rng.uniform(slot, k.REMOVAL_STREAM[1]) < r[k.HAZARD_KZ]:
                removed = True
            if removed:
                m.loc, m.irregular, m.returned = k.HOME, 0, step
                abroad -= 1
                cells[cell, k.RETURNS] += 1
                cells[cell, k.REMOVED] += 1

        returnee = int(m.loc == k.HOME and step - m.returned < r[k.RETURNEE_MONTHS])  # 7.10
        if not removed:
            if m.loc == k.HOME:
                p_revisit = r[k.P_REVISIT_HOME] * r[k.SEASON_DEPART]
            else:
                p_revisit = r[k.P_REVISIT_ABROAD] * r[k.SEASON_RETURN]
                closed = r[k.CLOSED_RU] if m.loc == k.RUSSIA else r[k.CLOSED_KZ]
                if closed > 0.5:
                    p_revisit *= r[k.CLOSURE_STAY]
            if revisit_draw < p_revisit:  # 7.1-7.3: reconsider, choose, carry out
                others = abroad - (m.loc != k.HOME)
                u = utilities(r, skill, m, others, share_ru, share_kz, int(s["aware"][i]), returnee)
                ru_open = m.loc == k.RUSSIA or (r[k.CLOSED_RU] < 0.5 and not (banned and m.ban_known == 1))
                kz_open = m.loc == k.KAZAKHSTAN or r[k.CLOSED_KZ] < 0.5
                p_home, p_ru, _ = logit(*u, ru_open, kz_open)
                pick = rng.uniform(slot, k.S_CHOICE)
                choice = k.HOME if pick < p_home else (k.RUSSIA if pick < p_home + p_ru else k.KAZAKHSTAN)
                if choice == m.loc:
                    pass
                elif m.loc != k.HOME:  # a return (a switch of destination leaves again later)
                    m.loc, m.irregular, m.returned = k.HOME, 0, step
                    abroad -= 1
                    returnee = 1
                    cells[cell, k.RETURNS] += 1
                elif choice == k.RUSSIA and banned:  # an unknown ban: turned back, fare lost
                    m.ban_until += int(r[k.BAN_EXTENSION])
                    m.ban_known = 1
                    income -= r[k.MOVE_COST_RU]
                    cells[cell, k.DENIED] += 1
                elif choice == k.RUSSIA:
                    p_irregular = r[k.P_IRREGULAR_RU] * (1.0 - r[k.EAEU])
                    m.loc, m.irregular = k.RUSSIA, int(rng.uniform(slot, k.S_IRREGULAR) < p_irregular)
                    abroad += 1
                    cells[cell, k.DEP_RU] += 1
                else:
                    legal = r[k.EAEU] > 0.5 or (s["aware"][i] == 1 and r[k.PERMIT_KZ] > 0.5)
                    m.loc, m.irregular = k.KAZAKHSTAN, 0 if legal else 1
                    abroad += 1
                    cells[cell, k.DEP_KZ] += 1

        skill_factor = 0.8 + 0.4 * skill  # 7.9: work and money
        if m.loc == k.RUSSIA:
            flags |= 1
            cells[cell, k.MIG_RU] += 1
            cells[cell, k.IRREG_RU] += m.irregular
            if job_draw < r[k.P_JOB_RU]:
                wage = r[k.W_RU_USD] * r[k.WAGE_RATIO] * skill_factor
                earn = wage * (1.0 - m.irregular * r[k.IRREGULAR_PENALTY])
                if m.irregular == 0:
                    earn -= r[k.FEE_RU_USD]
                cents = round(max(earn, 0.0) * r[k.REMIT_SHARE_RU] * (1.0 - r[k.COST_RU]) * 100.0)
                remitted += cents
                cells[cell, k.REMIT_CENTS] += cents
        elif m.loc == k.KAZAKHSTAN:
            flags |= 2
            cells[cell, k.MIG_KZ] += 1
            cells[cell, k.IRREG_KZ] += m.irregular
            if job_draw < r[k.P_JOB_KZ]:
                earn = r[k.W_KZ_USD] * r[k.WAGE_RATIO] * skill_factor
                earn = earn * (1.0 - r[k.IRREGULAR_PENALTY]) if m.irregular == 1 else earn - r[k.FEE_KZ_USD]
                cents = round(max(earn, 0.0) * r[k.REMIT_SHARE_KZ] * (1.0 - r[k.COST_KZ]) * 100.0)
                remitted += cents
                cells[cell, k.REMIT_CENTS] += cents
        else:
            employed = job_draw < job_chance_home(r, returnee)
            if employed:
                income += r[k.W_HOME_USD]
            isolated = degree > 0 and s["contacts"][i, 2] < r[k.VULNERABLE_SHARE] * degree
            if returnee == 1 and banned and not employed and isolated:  # 7.10
                cells[cell, k.VULNERABLE] += 1
        if m.banned(step):
            cells[cell, k.BANNED] += 1
            cells[cell, k.BANNED_UNAWARE] += m.ban_known == 0

    for slot, m in enumerate(members):
        s["m_loc"][i, slot], s["m_irregular"][i, slot] = m.loc, m.irregular
        s["m_ban_until"][i, slot], s["m_ban_known"][i, slot] = m.ban_until, m.ban_known
        s["m_returned"][i, slot] = m.returned
    income_cents = round(income * 100.0) + remitted
    cells[base, k.HOUSEHOLDS] += 1
    cells[base, k.PERSONS] += int(s["size"][i])
    cells[base, k.INCOME_CENTS] += income_cents
    cells[base, k.POOR_HOUSEHOLDS] += income_cents < r[k.POVERTY_LINE] * 100.0 * int(s["size"][i])
    cells[base, k.RECEIVING] += remitted > 0
    return flags


def month(step: int, seed: int, month_rows: np.ndarray, s: dict, n_cells: int, *, draws=Draws) -> np.ndarray:
    """Every household's month, then the network commit (section 3, steps 2-3); the month's counters."""
    cells = np.zeros((n_cells, k.N_INDICATORS), np.int64)
    n = len(s["origin"])
    flags_next = [household_month(i, step, seed, month_rows, s, cells, draws=draws) for i in range(n)]
    for i in range(n):  # contacts: neighbours with someone in Russia / Kazakhstan / anywhere abroad
        neighbours = s["neighbours"][s["indptr"][i] : s["indptr"][i + 1]]
        s["contacts"][i] = [sum(flags_next[j] & 1 > 0 for j in neighbours),
                            sum(flags_next[j] & 2 > 0 for j in neighbours),
                            sum(flags_next[j] > 0 for j in neighbours)]  # fmt: skip
    s["flags"][:] = flags_next
    return cells


# Instrumentation: which draws were compared with which thresholds, and how closely.


class Comparison(NamedTuple):
    """One comparison of a draw with a threshold, as the month made it."""

    household: int
    member: int
    stream: int
    part: int  # 0: the draw of ``uniform`` or the first of ``pair`` (revisit); 1: the second (job)
    draw: float
    threshold: float
    below: bool  # the outcome of ``draw < threshold``


class _TracedDraw(float):
    """A draw that logs every comparison it takes part in (its value and arithmetic are a float's)."""

    def _log(self, threshold, below) -> bool:
        where = self.where
        self.log.append(Comparison(*where, float(self), float(threshold), bool(below)))
        return bool(below)

    def __lt__(self, threshold):
        return self._log(threshold, float(self) < threshold)

    def __ge__(self, threshold):
        return not self._log(threshold, float(self) < threshold)

    def __gt__(self, threshold):
        return self._log(threshold, float(self) > threshold)

    def __le__(self, threshold):
        return not self._log(threshold, float(self) > threshold)


class TracedDraws(Draws):
    """:class:`Draws` whose numbers append a :class:`Comparison` to ``log`` whenever they are compared."""

    def __init__(self, seed: int, step: int, household: int, log: list):
        super().__init__(seed, step, household)
        self.household, self.log = household, log

    def _traced(self, value: float, member: int, stream: int, part: int) -> _TracedDraw:
        traced = _TracedDraw(value)
        traced.where, traced.log = (self.household, member, stream, part), self.log
        return traced

    def uniform(self, member: int, stream: int) -> float:
        return self._traced(super().uniform(member, stream), member, stream, 0)

    def pair(self, member: int, stream: int) -> tuple[float, float]:
        first, second = super().pair(member, stream)
        return self._traced(first, member, stream, 0), self._traced(second, member, stream, 1)


def traced_month(
    step: int, seed: int, month_rows: np.ndarray, s: dict, n_cells: int
) -> tuple[np.ndarray, list[Comparison]]:
    """:func:`month` (the same state changes and counters) and every draw-threshold comparison it made.

    The smallest ``abs(draw - threshold)`` in the log says how close the month
    came to a different outcome: a rule whose probabilities differ from these
    in the last bits can only disagree with the oracle where that distance is
    tiny.
    """
    log: list[Comparison] = []
    cells = month(step, seed, month_rows, s, n_cells, draws=lambda *key: TracedDraws(*key, log))
    return cells, log
