"""The kernel's layout comes from one declaration (``sim/layout.py``), and a destination is data.

The last test compiles the household rule with a third destination added
to the destination table only, and checks by hand that members go there,
are counted there and send its wage home: no kernel branch names a
destination.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from tinyworld import TinyWorld, kernels_from_source

from sim import kernels as k
from sim import layout
from sim.layout import DESTINATIONS, STATE, Destination, generate


def test_the_kernel_file_is_what_the_declaration_generates():
    source = layout.KERNELS.read_text()
    assert generate(source) == source, "sim/kernels.py is stale: run python -m sim.layout"


def test_columns_and_counters_are_numbered_once_without_gaps():
    columns = [name for name, _ in layout.COLUMNS] + [c for d in DESTINATIONS for c in d.columns]
    assert sorted(getattr(k, name) for name in columns) == list(range(k.N_COLUMNS))
    counters = [name for name, _ in layout.COUNTERS] + [c for d in DESTINATIONS for c in d.counters]
    assert sorted(getattr(k, name) for name in counters) == list(range(k.N_INDICATORS))
    for d, dest in enumerate(DESTINATIONS):
        assert len(dest.columns) == len(layout.DEST_COLUMNS)
        assert len(dest.counters) == len(layout.DEST_COUNTERS)
        assert getattr(k, dest.location_name) == d + 1
        assert getattr(k, dest.columns[k.F_WAGE]) == k.DEST_BASE + d * k.N_DEST_FIELDS + k.F_WAGE
    streams = [v for name, v in vars(k).items() if name.startswith("S_")]
    assert len(set(streams) | set(k.REMOVAL_STREAM)) == len(streams) + len(DESTINATIONS)


def test_state_arrays_are_checked_against_their_declaration():
    world = TinyWorld(3)
    assert {a.name for a in STATE} <= set(world.__dataclass_fields__)
    fields = {f.name: getattr(world, f.name) for f in dataclasses.fields(world)}
    swapped = {**fields, "m_ban_until": fields["m_ban_known"], "m_ban_known": fields["m_ban_until"]}
    with pytest.raises(ValueError, match="m_ban_until: int8"):
        type(world).__mro__[1](**swapped)


THIRD = Destination(
    "XX", "ELSEWHERE",
    tuple(f"{field}_XX" for field, _ in layout.DEST_COLUMNS),
    tuple(f"{field}_XX" for field, _ in layout.DEST_COUNTERS),
    removal_stream=max(d.removal_stream for d in DESTINATIONS) + 1, bans=False, eaeu=False,
    tells_of_permits=False,
)  # fmt: skip


@pytest.fixture(scope="module")
def three():
    """The kernels module generated with a third destination (compiled without numba's cache)."""
    source = generate(layout.KERNELS.read_text(), (*DESTINATIONS, THIRD))
    return kernels_from_source(source, "kernels_with_three_destinations")


def test_a_third_destination_is_a_table_entry(three):
    n, members = 2, 2
    world = TinyWorld(n, members=members, edges=[(0, 1)])
    arrays = {a.name: getattr(world, a.name) for a in STATE}
    arrays["contacts"] = np.zeros((n, three.N_DEST + 1), np.int16)
    row = np.zeros(three.N_COLUMNS)
    for name in ("W_HOME_USD", "BETA_INCOME", "P_JOB_HOME", "STAY_MONTHS", "WAGE_RATIO", "SEASON_DEPART"):
        row[getattr(three, name)] = {"W_HOME_USD": 200.0, "P_JOB_HOME": 0.5, "STAY_MONTHS": 10.0,
                                     "WAGE_RATIO": 0.5}.get(name, 1.0)  # fmt: skip
    row[three.P_REVISIT_HOME] = 1.0  # everyone reconsiders
    for dest in (*DESTINATIONS, THIRD):
        row[getattr(three, f"P_JOB_{dest.code}")] = 1.0
        row[getattr(three, f"ASC_{dest.code}")] = -50.0
    row[three.WAGE_XX], row[three.FEE_XX], row[three.ASC_XX] = 1000.0, 30.0, 50.0
    row[three.REMIT_SHARE_XX], row[three.COST_XX], row[three.PERMIT_XX] = 0.5, 0.1, 1.0
    month = np.repeat(row[None, :], 3, axis=0)
    acc = np.zeros((2, three.N_INDICATORS), np.int64)
    work = three.work_array()
    for i in range(n):
        three.household_rule(i, 100, 7, month, *(arrays[a.name] for a in STATE), acc, work)
    at = world.m_loc[:, :members]
    assert (at == three.ELSEWHERE).all()
    assert acc[:, three.DEP_XX].sum() == n * members and acc[:, three.MIG_XX].sum() == n * members
    assert acc[:, three.IRREG_XX].sum() == 0  # aware of its permit: legal
    assert (world.flags_next == 1 << len(DESTINATIONS)).all()
    # skill 0: 1000 * 0.5 * 0.8 - 30 = 370 USD earned, half sent, 10% lost in transfer
    assert acc[:, three.REMIT_CENTS].sum() == n * members * round(370 * 0.5 * 0.9 * 100)
    three.count_contacts(world.flags_next, world.indptr, world.neighbours, arrays["contacts"])
    others = [0] * len(DESTINATIONS)
    assert arrays["contacts"].tolist() == [[*others, 1, 1], [*others, 1, 1]]
    u = np.zeros(three.N_DEST + 1)
    u[-1] = math.log(2.0)  # twice home's weight; destination 1 closed
    opened = [True] * (three.N_DEST + 1)
    opened[1] = False
    probabilities = three.option_probabilities(u, opened)
    weights = np.array([1.0, 0.0, *[1.0] * (three.N_DEST - 2), 2.0])
    assert probabilities.tolist() == pytest.approx((weights / weights.sum()).tolist())
