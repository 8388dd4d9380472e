"""Attribution: Shapley values worked by hand, coherent holds, and the identity on real runs."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim.attribution import attribute, banlaw, shapley
from sim.attribution.core import parse_window
from sim.attribution.holds import held_scenario, price_level
from sim.drivers import scenario_drivers
from sim.errors import InputError
from sim.indicators import AGE_GROUPS
from sim.model import resolve_scenario
from sim.months import parse_month

BASELINE = "scenarios/baseline.toml"


def _game(a: dict, pair: tuple[str, str], b: float):
    """v(S) = sum of a_i over S, plus b when both players of ``pair`` act."""
    return lambda s: sum(a[i] for i in s) + (b if set(pair) <= s else 0.0)


def test_exact_shapley_by_hand():
    """Additive parts go to their owner; an interaction of two players is split half and half."""
    v = _game({"x": 1.0, "y": 2.0, "z": -4.0}, ("x", "y"), 3.0)
    players = ["x", "y", "z"]
    values = {c: np.array(v(c)) for c in shapley.all_coalitions(players)}
    phi = shapley.exact(players, values)
    assert phi["x"] == pytest.approx(1.0 + 1.5)
    assert phi["y"] == pytest.approx(2.0 + 1.5)
    assert phi["z"] == pytest.approx(-4.0)
    assert sum(phi.values()) == pytest.approx(v(set(players)) - v(set()))


def test_symmetric_factors_get_equal_shares_whatever_the_order():
    """Two factors with the same toy effect (1 each, 2 more together) get 2 each; listing the factors in
    another order changes no value."""
    v = _game({"a": 1.0, "b": 1.0, "c": 0.5}, ("a", "b"), 2.0)
    phis = []
    for players in (["a", "b", "c"], ["c", "b", "a"], ["b", "c", "a"]):
        values = {c: np.array(v(c)) for c in shapley.all_coalitions(players)}
        phis.append(shapley.exact(players, values))
    assert phis[0]["a"] == pytest.approx(2.0) and phis[0]["b"] == pytest.approx(2.0)
    assert phis[0]["c"] == pytest.approx(0.5)
    first = {k: float(x) for k, x in phis[0].items()}
    for phi in phis[1:]:
        assert {k: float(x) for k, x in phi.items()} == pytest.approx(first)


def test_permuting_the_factors_of_an_attribution_changes_nothing():
    kw = {"seeds": 1, "households": 300, "indicators": ["remittances_usd"]}
    one = attribute(BASELINE, "2014", "2015", factors=["rouble", "entry_rules", "russian_economy"], **kw)
    other = attribute(BASELINE, "2014", "2015", factors=["russian_economy", "rouble", "entry_rules"], **kw)
    key = ["indicator", "origin", "group", "factor"]
    pd.testing.assert_frame_equal(one.table.sort_values(key).reset_index(drop=True),
                                  other.table.sort_values(key).reset_index(drop=True))  # fmt: skip


def test_sampled_shapley_matches_exact_at_six_factors():
    """The ordering estimator adds up exactly and lands within 5% of the scale of the exact values."""
    players = [f"f{i}" for i in range(6)]
    rng = np.random.default_rng(3)
    weights = {p: rng.normal(0, 1) for p in players}

    def v(s):  # additive, plus pairwise and three-way interactions
        pairs = sum(weights[a] * weights[b] for a, b in itertools.combinations(sorted(s), 2))
        return np.array(sum(weights[p] for p in s) + 0.5 * pairs + (2.0 if {"f0", "f1", "f2"} <= s else 0.0))

    exact = shapley.exact(players, {c: v(c) for c in shapley.all_coalitions(players)})
    orders = shapley.orderings(players, 400, seed=1)
    sampled = shapley.sampled(orders, {c: v(c) for c in shapley.coalitions_of(orders)})
    scale = max(abs(float(x)) for x in exact.values())
    for p in players:
        assert float(sampled[p]) == pytest.approx(float(exact[p]), abs=0.05 * scale)
    assert float(sum(sampled.values())) == pytest.approx(float(v(set(players)) - v(set())))
    # all 720 orderings give the exact values
    everything = list(itertools.permutations(players))
    assert len(everything) == math.factorial(6)
    full = shapley.sampled(everything, {c: v(c) for c in shapley.all_coalitions(players)})
    for p in players:
        assert float(full[p]) == pytest.approx(float(exact[p]))


def test_plan_switches_to_sampling_above_eight_factors():
    coalitions, _ = shapley.plan([f"f{i}" for i in range(8)], 10, seed=0)
    assert len(coalitions) == 2**8
    coalitions, _ = shapley.plan([f"f{i}" for i in range(10)], 10, seed=0)
    assert len(coalitions) < 2**10 and frozenset() in coalitions


def test_holding_the_rouble_keeps_the_real_rate_and_dollar_wages_move_with_real_wages():
    """Rouble held: roubles per dollar grow with Russian prices; both held: the dollar wage is constant."""
    scenario = resolve_scenario(BASELINE).with_end(parse_month("2016-12", "test"))
    hold = parse_month("2013-12", "test")
    t = np.arange(scenario.start, scenario.end + 1)
    later = parse_month("2015-12", "test") - scenario.start
    h = hold - scenario.start
    actual = scenario_drivers(scenario)
    rouble = scenario_drivers(held_scenario(scenario, {"rouble"}, hold))
    prices = price_level(t)
    assert rouble.rub_per_usd[later] / rouble.rub_per_usd[h] == pytest.approx(prices[later] / prices[h])
    assert rouble.rub_per_usd[later] < 0.7 * actual.rub_per_usd[later]  # the 2014-15 devaluation is gone
    np.testing.assert_array_equal(rouble.wage_ru_rub, actual.wage_ru_rub)
    np.testing.assert_array_equal(rouble.rub_per_usd[: h + 1], actual.rub_per_usd[: h + 1])
    both = scenario_drivers(held_scenario(scenario, {"rouble", "russian_economy"}, hold))
    usd = both.wage_ru_rub / both.rub_per_usd
    assert usd[h + 1 :] == pytest.approx(np.full(len(usd) - h - 1, usd[h]))
    assert (both.unemployment_ru_pct[h:] == both.unemployment_ru_pct[h]).all()


def test_held_events_leave_out_later_starts_and_keep_what_is_in_force():
    scenario = resolve_scenario(BASELINE)
    before_law = held_scenario(scenario, {"reentry_bans"}, parse_month("2013-06", "test"))
    assert "ban_law" not in [e.type for e in before_law.events]
    assert "amnesty" not in [e.type for e in before_law.events]
    during = held_scenario(scenario, {"border_closure"}, parse_month("2020-06", "test"))
    closures = [e for e in during.events if e.type == "border_closure"]
    assert closures and all(e.get("until") is None for e in closures)  # still closed, never reopened
    others = [e for e in during.events if e.type != "border_closure"]
    assert others == [e for e in scenario.events if e.type != "border_closure"]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    out = tmp_path_factory.mktemp("attribution")
    result = attribute(BASELINE, "2013", "2015", factors=["rouble", "reentry_bans", "eaeu"], seeds=2,
                       households=1500, out=out, by=["sex"])  # fmt: skip
    return result, out


def test_contributions_and_drift_add_up_to_the_change(small):
    result, _ = small
    table = result.table
    sums = table.groupby(["indicator", "origin", "group"]).agg(
        parts=("contribution", "sum"), total=("total_change", "first")
    )
    scale = sums["total"].abs().clip(lower=1.0)
    assert ((sums["parts"] - sums["total"]).abs() / scale).max() < 1e-9
    assert {"drift", "rouble", "reentry_bans", "eaeu"} <= set(table["factor"])
    share = table[table["indicator"] == "remittances_gdp_pct"]
    assert "gdp_denominator" in set(share["factor"]) and set(share["group"]) == {"all"}
    assert "measurement" not in set(table["factor"])  # the series is measured alike in 2013 and 2015
    assert set(table["group"]) == {"all", "sex=male", "sex=female"}
    assert (table["p05"] <= table["contribution"] + 1e-9).all() and (
        table["contribution"] <= table["p95"] + 1e-9
    ).all()


def test_who_was_hit_by_ban_status_and_age_splits_the_whole():
    """``--by status,age``: households with and without a banned member at the start of 2014, and
    members' age groups, split every factor's contribution (drift included) to the flows; the six
    groups add up to the whole."""
    result = attribute(BASELINE, "2014", "2015", factors=["rouble", "entry_rules"], seeds=2, households=1500,
                       by=["status", "age"], indicators=["remittances_usd", "migrants_ru"])  # fmt: skip
    table = result.table.set_index(["indicator", "origin", "factor", "group"])["contribution"]
    groups = {f"status={s};age={a}" for s in ("no_banned_member", "banned_member") for a in AGE_GROUPS}
    assert set(result.table["group"]) == {"all"} | groups
    parts = table.drop("all", level="group").groupby(level=["indicator", "origin", "factor"]).sum()
    whole = table.xs("all", level="group")
    assert np.allclose(parts.sort_index(), whole.sort_index(), rtol=1e-9, atol=1e-6)


def test_dask_workers_give_the_same_table(tmp_path):
    """Coalition and ban-law runs on a two-worker Dask cluster: the same numbers as in one process, and
    a rerun on Dask resumes from the files (runs nothing)."""
    kw = {"factors": ["rouble", "reentry_bans"], "seeds": 2, "households": 400,
          "indicators": ["remittances_usd", "migrants_ru"]}  # fmt: skip
    local = attribute(BASELINE, "2013", "2014", out=tmp_path / "local", **kw)
    seen = []
    dask = attribute(BASELINE, "2013", "2014", out=tmp_path / "dask", workers=2,
                     progress=lambda done, total: seen.append((done, total)), **kw)  # fmt: skip
    pd.testing.assert_frame_equal(local.table, dask.table)
    pd.testing.assert_frame_equal(local.ban_law, dask.ban_law)  # the law's 20 runs went to Dask too
    assert seen[-1] == (8, 8) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    files = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "dask" / "runs").iterdir()}
    attribute(BASELINE, "2013", "2014", out=tmp_path / "dask", workers=2, **kw)
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "dask" / "runs").iterdir()} == files


def test_a_change_of_measurement_is_its_own_row(tmp_path):
    """From 2016 to 2018 the Uzbek series changes source: ``measurement`` = R0 (1 / (r s) - 1), worked
    from the recorded share r before the unification and the series share s after; none elsewhere."""
    r, s = 0.8, 0.5
    base = resolve_scenario(BASELINE)
    scenario = replace(base, parameters=base.parameters.replace(uz_recorded_share=r, uz_series_share=s))
    result = attribute(scenario, "2016", "2018", factors=["rouble"], seeds=1, households=800, out=tmp_path,
                       indicators=["remittances_usd", "remittances_gdp_pct"])  # fmt: skip
    table = result.table.set_index(["indicator", "origin", "factor"])
    recorded_2016 = result.levels.loc[("t0", "UZ", "all"), "remittances_usd"]
    measurement = table.loc[("remittances_usd", "UZ", "measurement"), "contribution"]
    assert measurement == pytest.approx(recorded_2016 * (1 / (r * s) - 1), rel=1e-9)
    for origin in ("TJ", "KG"):
        assert table.loc[("remittances_usd", origin, "measurement"), "contribution"] == 0.0
    sums = result.table.groupby(["indicator", "origin"]).agg(parts=("contribution", "sum"),
                                                              total=("total_change", "first"))  # fmt: skip
    np.testing.assert_allclose(sums["parts"], sums["total"], rtol=1e-9, atol=1e-9)


def test_directions_of_the_2013_2015_causes(small):
    """The devaluation lowered dollar remittances everywhere; EAEU accession raised only Kyrgyz ones."""
    table = small[0].table.set_index(["indicator", "origin", "group", "factor"])["contribution"]
    for origin in ("TJ", "KG", "UZ"):
        assert table["remittances_usd", origin, "all", "rouble"] < 0
        assert table["migrants_ru", origin, "all", "reentry_bans"] < 0
    assert table["remittances_usd", "KG", "all", "eaeu"] > 0
    assert table["remittances_usd", "TJ", "all", "eaeu"] == 0.0
    female_male = (
        table["migrants_ru", "TJ", "sex=female", "reentry_bans"]
        + table["migrants_ru", "TJ", "sex=male", "reentry_bans"]
    )
    assert female_male == pytest.approx(table["migrants_ru", "TJ", "all", "reentry_bans"], rel=1e-9)


def test_the_ban_laws_total_effect_and_its_sensitivity(small):
    """Without the 2013 law more Tajiks work in Russia in 2015; five parameter settings are reported."""
    table = small[0].ban_law.set_index(["indicator", "origin", "setting"])
    settings = {label for label, _ in banlaw.settings()}
    assert set(table.index.get_level_values("setting")) == settings and len(settings) == 5
    assert table.loc[("migrants_ru", "TJ", "central"), "effect"] < 0
    assert table.loc[("remittances_usd", "TJ", "central"), "effect"] < 0
    lines = small[0].lines("en")
    assert any(
        line.startswith("The July 2013 ban law's total effect on Tajik remittances in 2015") for line in lines
    )


def test_outputs_resume_and_refuse_other_settings(small):
    result, out = small
    written = result.write(out)
    frame = pd.read_csv(out / "attribution.csv")
    assert list(frame.columns) == ["indicator", "origin", "group", "factor", "contribution", "p05", "p95",
                                   "total_change"]  # fmt: skip
    assert (out / "waterfall_remittances_usd_TJ.png").stat().st_size > 10_000
    assert "Tajik remittances fell" in (out / "summary_en.txt").read_text()
    assert "денежные переводы в Таджикистан" in (out / "summary_ru.txt").read_text(encoding="utf-8")
    assert len(written) == 4 + 4 * 3
    runs = {p: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    assert len(runs) == 2 * 2**3 + 2 * 5 * 2  # coalitions, then the ban law with and without, 5 settings
    again = attribute(BASELINE, "2013", "2015", factors=["rouble", "reentry_bans", "eaeu"], seeds=2,
                      households=1500, out=out, by=["sex"])  # fmt: skip
    assert {p: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == runs  # nothing run twice
    pd.testing.assert_frame_equal(again.table, result.table)
    with pytest.raises(InputError, match="other settings"):
        attribute(BASELINE, "2013", "2015", factors=["rouble"], seeds=2, households=1500, out=out)


def test_same_seed_same_numbers_without_a_folder(small):
    again = attribute(BASELINE, "2013", "2015", factors=["rouble", "reentry_bans", "eaeu"], seeds=2,
                      households=1500, by=["sex"])  # fmt: skip
    pd.testing.assert_frame_equal(again.table, small[0].table)


def test_factors_that_change_nothing_are_left_out():
    from sim.attribution.core import active_factors

    scenario = resolve_scenario(BASELINE)
    active = active_factors(scenario, parse_window("2013", "2015", scenario))
    assert {"rouble", "reentry_bans", "eaeu"} <= set(active)
    assert "border_closure" not in active  # the closures begin in 2020


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--from", "2015", "--to", "2013"], "must come after"),
        (["--from", "2013", "--to", "2015-06"], "two years"),
        (["--from", "2010", "--to", "2012"], "allowed periods"),
        (["--from", "2013", "--to", "2015", "--by", "colour"], "allowed: region, sex, status, age"),
        (["--from", "2013", "--to", "2015", "--factors", "weather"], "allowed: rouble"),
        (["--from", "2013", "--to", "2015", "--indicators", "happiness"], "allowed: migrants_ru"),
    ],
)
def test_bad_requests_are_one_line_and_status_2(tmp_path, args, words):
    out = tmp_path / "att"
    command = [sys.executable, "-c", "from sim.cli import main; main()", "attribute", BASELINE,
               "--out", str(out), *args]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (out / "attribution.csv").exists()


def test_every_factor_has_labels_and_a_row_in_the_docs():
    from pathlib import Path

    from sim.registry import FACTOR_LABELS, FACTORS

    doc = (Path(__file__).parents[1] / "docs" / "attribution.md").read_text()
    assert set(FACTOR_LABELS) == set(FACTORS)
    for factor in FACTORS:
        assert f"| `{factor}` |" in doc, f"docs/attribution.md has no row for {factor}"
