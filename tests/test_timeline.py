"""Driver interpolation and the month table, with hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import kernels as k
from sim.drivers import interpolate_yearly
from sim.timeline import compile_timeline, remittance_smoothing


def test_yearly_points_sit_in_july_and_interpolate_log_linearly():
    months = np.array([2010 * 12 + 6, 2011 * 12 + 0, 2011 * 12 + 6, 2012 * 12 + 6])
    values = interpolate_yearly({2010: 100.0, 2011: 400.0}, months)
    assert values[0] == pytest.approx(100.0) and values[2] == pytest.approx(400.0)
    assert values[1] == pytest.approx(200.0)  # half-way in logs: sqrt(100 * 400)
    assert values[3] == pytest.approx(400.0)  # held flat after the last point


def test_step_series_change_in_january():
    months = np.array([2014 * 12 + 11, 2015 * 12 + 0])
    assert interpolate_yearly({2010: 1.0, 2015: 4.0}, months, step=True).tolist() == [1.0, 4.0]


def test_remittance_smoothing_by_hand():
    wage = np.array([100.0] * 30 + [50.0] * 30)
    factor = remittance_smoothing(wage, 0.5)
    assert factor[29] == 1.0
    assert factor[30] == pytest.approx(math.sqrt(2))  # reference 100, wage 50
    assert factor[31] == pytest.approx(math.sqrt((23 * 100 + 50) / 24 / 50))
    assert factor[-1] == 1.0  # after 24 months the reference has caught up
    assert (remittance_smoothing(wage, 0.0) == 1.0).all()


def test_slow_remittance_adjustment_by_hand():
    """A quarter of the gap to the target is closed each month."""
    wage = np.array([100.0] * 30 + [50.0] * 30)
    target = remittance_smoothing(wage, 0.5)
    slow = remittance_smoothing(wage, 0.5, adjustment=0.25)
    assert slow[29] == 1.0
    assert slow[30] == pytest.approx(1.0 + 0.25 * (math.sqrt(2) - 1.0))
    assert slow[31] == pytest.approx(slow[30] + 0.25 * (target[31] - slow[30]))
    assert (slow[30:34] < target[30:34]).all()  # lags on the way up
    assert slow[-1] > target[-1] == 1.0  # and on the way back down
    assert (remittance_smoothing(wage, 0.5, adjustment=1.0) == target).all()


def test_events_apply_from_the_step_of_their_month(baseline_path):
    import sim

    timeline = compile_timeline(sim.load_scenario(baseline_path))
    spin = timeline.spinup_months
    month = {m: spin + (m - timeline.start) for m in range(timeline.start, timeline.start + 140)}
    kg = 1
    assert timeline.table[month[2015 * 12 + 6], kg, k.EAEU] == 0.0  # July 2015
    assert timeline.table[month[2015 * 12 + 7], kg, k.EAEU] == 1.0  # August 2015
    law = timeline.table[:, 0, k.HAZARD_RU]
    assert law[month[2013 * 12 + 5]] < law[month[2013 * 12 + 6]]  # the July 2013 law
    assert timeline.table[month[2020 * 12 + 2], 0, k.CLOSED_RU] == 1.0  # March 2020
    assert timeline.table[month[2020 * 12 + 2], 0, k.HAZARD_RU] == 0.0  # no removals while closed
