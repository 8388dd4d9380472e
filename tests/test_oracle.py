"""The compiled household rule against the plain-Python oracle of ``tests/naive.py``.

Engine equivalence (numba against mesa) runs one compiled rule under two
schedulers, so it cannot catch a mistake in the rule. Here a few hundred
households of the baseline are advanced month by month twice from the same
state: by the kernels (``MigrationModel``'s own step) and by the oracle,
which restates the month from ``docs/model.md``. Every state array and every
indicator counter must be equal, month after month. A second case bends the
month rows (campaigns, amnesties, closures, EAEU regularisation, Kazakh
removals, frequent reconsidering) so that every branch of the rule runs; the
test checks that each counter was reached.
"""

from __future__ import annotations

import numpy as np
import pytest
from naive import month as oracle_month

from sim import kernels as k
from sim.model import MigrationModel

STATE = ("aware", "contacts", "flags", "m_loc", "m_irregular", "m_ban_until", "m_ban_known", "m_returned")
FIXED = ("origin", "cell_base", "size", "n_members", "skill", "m_sex", "m_age", "indptr", "neighbours")


def snapshot(model: MigrationModel) -> dict:
    return {name: getattr(model.state, name).copy() for name in (*STATE, *FIXED)}


def bend(rows: np.ndarray, month: int) -> np.ndarray:
    """The month rows with every rarely used branch switched on in turn (the same for both sides)."""
    rows = rows.copy()
    rows[:, k.P_REVISIT_HOME] = 0.35
    rows[:, k.P_REVISIT_ABROAD] = 0.25
    rows[:, k.CAMPAIGN] = 0.2 if month % 3 == 0 else 0.0
    rows[:, k.AMNESTY] = 0.3 if month % 4 == 1 else 0.0
    rows[:, k.CLOSED_RU] = 1.0 if month % 5 == 2 else 0.0
    rows[:, k.CLOSED_KZ] = 1.0 if month % 7 == 3 else 0.0
    rows[:, k.CLOSURE_STAY] = 0.3
    rows[1, k.EAEU] = 1.0  # Kyrgyzstan in the EAEU: regularisation
    rows[:, k.P_REGULARISE] = 0.2
    rows[:, k.HAZARD_RU] = 0.08
    rows[:, k.HAZARD_KZ] = 0.05
    rows[:, k.P_BAN_KNOWN] = 0.5
    rows[:, k.REINTEGRATION] = 0.4
    rows[:, k.AWARE_CONTACT] = 0.5
    rows[:, k.VULNERABLE_SHARE] = 0.6
    rows[:, k.RISK_AVERSION] = 0.3
    rows[:, k.P_JOB_RU] = 0.8
    return rows


@pytest.mark.parametrize(
    ("bent", "splits"),
    [(False, {}), (True, {}), (True, {"age_groups": True, "status_month": "2013-03"})],
    ids=["baseline months", "every branch", "cells split by age and ban status"],
)
def test_kernel_month_equals_the_plain_python_oracle(bent, splits):
    model = MigrationModel(households=300, seed=11, until="2016-12", **splits)
    while model.month_index < 40:  # into 2013: bans, the rouble, Kyrgyz accession ahead
        model.step()
    n_cells = model.block_counters.shape[1]
    reached = np.zeros(k.N_INDICATORS, np.int64)
    for month in range(18):
        state = snapshot(model)
        step, seed = model.step_counter, model.seed_value
        rows = model.timeline.table[step]
        if bent:
            rows = bend(rows, month)
            model.timeline.table[step] = rows
        counters = oracle_month(step, seed, rows, state, n_cells)
        model.step()
        for name in STATE:
            mine = getattr(model.state, name)
            where = np.argwhere(mine != state[name])[:5].tolist()
            assert np.array_equal(mine, state[name]), f"month {month}: {name} differs at {where}"
        assert np.array_equal(model._latest, counters), f"month {month}: counters differ"
        reached += counters.sum(axis=0)
    if bent:
        assert (reached > 0).all(), [n for n, c in zip(range(k.N_INDICATORS), reached, strict=True) if c == 0]
