"""Directions the historical baseline must show, and the scaling to the real population."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.population import households_2010


def annual(results):
    return results.table(annual_totals=True).set_index(["year", "origin"])


def test_tajik_remittances_fall_with_the_rouble(baseline_small):
    yearly = annual(baseline_small)
    assert yearly.loc[(2015, "TJ"), "remittances_usd"] < 0.8 * yearly.loc[(2013, "TJ"), "remittances_usd"]


def test_kyrgyz_irregular_share_falls_after_eaeu_accession(baseline_small):
    frame = baseline_small.frame.set_index("date")
    kg = frame[frame["origin"] == "KG"]
    share = kg["irregular_ru"] / kg["migrants_ru"]
    before = share["2015-01":"2015-07"].mean()
    after = share["2016-01":"2016-12"].mean()
    assert after < 0.5 * before


def test_border_closure_stops_departures_to_russia(baseline_small):
    frame = baseline_small.frame.set_index("date")
    closed = frame.loc["2020-03":"2020-12"]
    assert (closed.loc[closed["origin"] != "KG", "departures_ru"] == 0).all()
    kg = frame[frame["origin"] == "KG"]
    assert (kg.loc["2020-03":"2020-09", "departures_ru"] == 0).all()  # flights resumed 21 Sep 2020
    assert (frame.loc["2019-03":"2019-12", "departures_ru"] > 0).all()


def test_results_are_scaled_to_the_real_population(baseline_small):
    frame = baseline_small.frame
    first = frame[frame["date"] == pd.Timestamp("2010-01-01")].set_index("origin")["households"]
    for code, real in households_2010().items():
        # January 2010 is half a year before the 2010 mid-year count
        assert abs(first[code] / real - 1) < 0.03


def test_stocks_are_of_the_order_of_the_first_observed_counts(baseline_small):
    """The spin-up state, checked against the Russian counts of October 2013."""
    frame = baseline_small.frame.set_index(["date", "origin"])
    observed = {"UZ": 2_621_843, "TJ": 1_193_589, "KG": 671_716}
    for code, count in observed.items():
        simulated = frame.loc[(pd.Timestamp("2013-10-01"), code), "migrants_ru"]
        assert 0.5 * count < simulated < 1.6 * count


def test_breakdowns_add_up(baseline_small):
    by_origin = baseline_small.frame.groupby("origin")["migrants_ru"].sum()
    by_region = baseline_small.table(by=("region",)).groupby("origin")["migrants_ru"].sum()
    by_sex = baseline_small.table(by=("sex",))
    pd.testing.assert_series_equal(by_origin, by_region, check_exact=False, rtol=1e-12)
    assert abs(by_sex["migrants_ru"].sum() / by_origin.sum() - 1) < 1e-12
    men = by_sex[by_sex["sex"] == "male"]["departures_ru"].sum()
    assert men / by_sex["departures_ru"].sum() > 0.75  # most migrants are men
    assert by_sex["poverty_rate"].isna().all()  # household-level: not by sex


def test_annual_aggregates(baseline_small):
    frame = baseline_small.frame
    yearly = baseline_small.table(annual_totals=True).set_index(["year", "origin"])
    tj_2012 = frame[(frame["origin"] == "TJ") & (frame["date"].dt.year == 2012)]
    row = yearly.loc[(2012, "TJ")]
    assert row["departures_ru"] == pytest.approx(tj_2012["departures_ru"].sum(), rel=1e-12)
    assert row["migrants_ru"] == pytest.approx(tj_2012["migrants_ru"].mean(), rel=1e-12)
    assert yearly.loc[(2012, "TJ"), "months"] == 12
