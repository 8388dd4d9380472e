"""History to 2025: drivers from the data, the new mechanisms, events and driver paths."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import sim
from sim import data
from sim import kernels as k
from sim.drivers import base_drivers, history_end, hold_changes
from sim.errors import InputError
from sim.months import format_month, parse_month
from sim.params import SPECS, Parameters
from sim.registry import DRIVER_SPECS, EVENT_TYPES, FACTORS
from sim.scenario import load_scenario
from sim.timeline import (
    UZ_OWN_SERIES,
    UZ_UNIFICATION,
    compile_timeline,
    labour_demand_index,
    recorded_share,
    russian_job_chance,
)

BASELINE = "scenarios/baseline.toml"


def month(text: str) -> int:
    return parse_month(text, "test")


def test_every_driver_and_event_type_names_a_known_factor():
    for spec in (*DRIVER_SPECS.values(), *EVENT_TYPES.values()):
        assert spec.factor in FACTORS, f"{spec.name}: factor {spec.factor!r} is not in FACTORS"


def test_every_event_type_changes_the_month_table():
    """An event of each type, alone, changes the compiled table (no type is silently ignored)."""
    base = load_scenario(BASELINE)
    bare = replace(base, events=(), end=month("2016-12"))
    plain = compile_timeline(bare).table
    examples = {
        "ban_law": {"date": month("2012-01")},
        "eaeu_accession": {"country": "TJ", "date": month("2012-01")},
        "amnesty": {"country": ("TJ",), "date": month("2012-01"), "share": 0.5},
        "border_closure": {"destination": "RU", "from": month("2012-01")},
        "removal_moratorium": {"from": month("2012-01")},
        "enforcement": {"country": ("TJ",), "from": month("2012-01"), "hazard_multiplier": 2.0},
        "entry_regime": {"country": ("all",), "from": month("2012-01"), "hazard_multiplier": 2.0},
        "kz_permits": {"from": month("2012-01")},
        "information_campaign": {"country": ("all",), "from": month("2012-01"), "intensity": 0.1},
        "transfer_cost": {"corridor": "all", "from": month("2012-01"), "multiply": 2.0},
        "reintegration": {"country": ("all",), "from": month("2012-01"), "coverage": 0.5},
    }
    assert set(examples) == set(EVENT_TYPES)
    for kind, fields in examples.items():
        event = sim.scenario.Event(kind, tuple(fields.items()))
        table = compile_timeline(replace(bare, events=(event,))).table
        assert not np.array_equal(table, plain), kind


def test_drivers_follow_the_shipped_series():
    start = month("2010-01")
    drivers = base_drivers(start, month("2025-12") - start + 1)
    monthly = data.rub_per_usd_monthly()
    for text in ("2016-03", "2020-04", "2022-06"):
        assert drivers.rub_per_usd[month(text) - start] == pytest.approx(monthly[month(text)])
    assert drivers.wage_ru_rub[month("2024-07") - start] == pytest.approx(89069.3)
    assert drivers.unemployment_ru_pct[month("2013-07") - start] == pytest.approx(5.5)
    assert drivers.gdp_usd[month("2016-05") - start, 2] == pytest.approx(
        data.wdi("ny_gdp_mktp_cd", "UZ")[2016]
    )
    assert format_month(history_end()) == "2025-12"


def test_job_chance_by_hand():
    # logit(0.5) = 0; one unit of the index with elasticity 1 gives logistic(1) = 0.731059
    rate = np.array([5.5, 5.5 / np.e])
    assert russian_job_chance(rate, 0.5, 1.0) == pytest.approx([0.5, 1 / (1 + np.exp(-1))])
    assert labour_demand_index(np.array([5.5]))[0] == 0.0
    rates = np.linspace(1.0, 12.0, 50)
    chance = russian_job_chance(rates, 0.85, 2.0)
    assert (np.diff(chance) < 0).all() and (chance > 0).all() and (chance < 1).all()
    assert (russian_job_chance(rates, 0.85, 0.0) == 0.85).all()


def test_eaeu_premium_raises_only_members_wages():
    scenario = load_scenario(BASELINE).with_end(month("2016-12"))
    plain = compile_timeline(scenario, Parameters({"eaeu_wage_premium": 0.0})).table
    lifted = compile_timeline(scenario, Parameters({"eaeu_wage_premium": 0.25})).table
    t = scenario.spinup_months + month("2016-01") - scenario.start
    before = scenario.spinup_months + month("2015-07") - scenario.start
    kg, tj = 1, 0
    assert lifted[t, kg, k.W_RU_USD] == pytest.approx(1.25 * plain[t, kg, k.W_RU_USD])
    assert lifted[t, tj, k.W_RU_USD] == plain[t, tj, k.W_RU_USD]
    assert lifted[before, kg, k.W_RU_USD] == plain[before, kg, k.W_RU_USD]


def test_uzbek_recorded_share_is_measurement_not_behaviour():
    """Halving the recorded share halves recorded Uzbek remittances before September 2017 and
    changes nothing else: not household income, not other origins, not later months."""
    full = sim.run(BASELINE, households=600, seed=3, until="2018-06", uz_recorded_share=1.0).frame
    half = sim.run(BASELINE, households=600, seed=3, until="2018-06", uz_recorded_share=0.5).frame
    cut = format_month(UZ_UNIFICATION) + "-01"
    uz_before = (full["origin"] == "UZ") & (full["date"] < cut)
    np.testing.assert_allclose(
        half.loc[uz_before, "remittances_usd"], 0.5 * full.loc[uz_before, "remittances_usd"]
    )
    rest = ~uz_before
    np.testing.assert_array_equal(half.loc[rest, "remittances_usd"], full.loc[rest, "remittances_usd"])
    np.testing.assert_array_equal(half["income_per_capita_usd"], full["income_per_capita_usd"])
    np.testing.assert_array_equal(half["migrants_ru"], full["migrants_ru"])


def test_uzbek_series_share_scales_the_official_series_from_2017():
    """From January 2017 the official Uzbek series is the central bank's own: the model's amount over
    ``uz_series_share``. A share of 0.5 doubles recorded Uzbek remittances from 2017-01 (January-August
    2017 keep the recorded share of the informal years as well) and changes nothing before or elsewhere."""
    kw = {"households": 600, "seed": 3, "until": "2018-06", "uz_recorded_share": 0.8}
    full = sim.run(BASELINE, uz_series_share=1.0, **kw).frame
    half = sim.run(BASELINE, uz_series_share=0.5, **kw).frame
    uz_after = (full["origin"] == "UZ") & (full["date"] >= format_month(UZ_OWN_SERIES) + "-01")
    np.testing.assert_allclose(
        half.loc[uz_after, "remittances_usd"], 2 * full.loc[uz_after, "remittances_usd"]
    )
    rest = ~uz_after
    np.testing.assert_array_equal(half.loc[rest, "remittances_usd"], full.loc[rest, "remittances_usd"])
    np.testing.assert_array_equal(half["migrants_ru"], full["migrants_ru"])
    months = np.array([UZ_OWN_SERIES - 1, UZ_OWN_SERIES, UZ_UNIFICATION])
    share = recorded_share(months, Parameters({"uz_recorded_share": 0.8, "uz_series_share": 0.5}))
    np.testing.assert_allclose(share[:, 2], [0.8, 0.8 / 0.5, 1 / 0.5])
    np.testing.assert_array_equal(share[:, :2], 1.0)


def test_enforcement_and_moratorium_set_the_hazard():
    scenario = load_scenario(BASELINE).with_end(month("2025-12"))
    table = compile_timeline(scenario).table
    p = scenario.parameters

    def hazard(text: str, origin: int) -> float:
        return table[scenario.spinup_months + month(text) - scenario.start, origin, k.HAZARD_RU]

    assert hazard("2020-06", 1) == 0.0 and hazard("2021-09", 0) == 0.0  # Decrees 274 and 364
    assert hazard("2021-10", 0) == pytest.approx(p.hazard_ru_after_law)
    assert hazard("2024-06", 0) == pytest.approx(1.5 * p.hazard_ru_after_law)  # after Crocus, TJ only
    assert hazard("2024-06", 2) == pytest.approx(p.hazard_ru_after_law)
    assert hazard("2025-06", 2) == pytest.approx(1.5 * p.hazard_ru_after_law)  # the 2025 regime


def test_held_drivers_stay_at_their_month():
    scenario = load_scenario(BASELINE).with_end(month("2016-12"))
    held = replace(scenario, drivers=scenario.drivers + hold_changes(scenario, month("2015-03")))
    drivers = compile_timeline(held).drivers
    after = slice(month("2015-04") - scenario.start, None)
    at = month("2015-03") - scenario.start
    for name in drivers.series_names():
        series = getattr(drivers, name)
        assert (series[after] == series[at]).all(), name


def test_driver_paths_are_validated_and_recorded(tmp_path):
    with pytest.raises(InputError, match="low, central, high"):
        load_scenario(BASELINE).with_driver_path("optimistic")
    bad = tmp_path / "bad.toml"
    parent = sim.scenario.scenario_dir() / "baseline.toml"
    bad.write_text(
        f'[scenario]\nextends = "{parent}"\n'
        '[[drivers]]\nvariable = "rub_per_usd"\npath = "best"\nfrom = "2027-01"\nmultiply = 1.1\n'
    )
    with pytest.raises(InputError, match="path"):
        load_scenario(bad)
    low = load_scenario(BASELINE).with_driver_path("low")
    assert low.describe()["driver_path"] == "low"


def test_calibrated_parameters_declare_their_prior_inside_the_range():
    calibrated = [s for s in SPECS.values() if s.calibrated]
    assert {"demand_elasticity", "eaeu_wage_premium", "uz_recorded_share"} <= {s.name for s in calibrated}
    for spec in calibrated:
        low, high = spec.prior
        assert spec.low <= low < high <= spec.high and spec.prior_source, spec.name


def test_the_parameter_table_of_the_docs_is_up_to_date():
    from sim.params_doc import MODEL_DOC, current_table, table_lines

    text = MODEL_DOC.read_text(encoding="utf-8")
    start, end = current_table(text)
    assert text.splitlines()[start:end] == table_lines(), "run: python -m sim.params_doc"


def test_the_indicator_table_of_the_docs_is_the_registry():
    from sim.params_doc import INDICATOR_HEADER, MODEL_DOC, current_table, indicator_lines

    text = MODEL_DOC.read_text(encoding="utf-8")
    start, end = current_table(text, INDICATOR_HEADER)
    assert text.splitlines()[start:end] == indicator_lines(), "run: python -m sim.params_doc"


@pytest.mark.parametrize(
    "variable, value", [("wage_ru_rub", 1e15), ("rub_per_usd", 1e-9), ("wage_kz_kzt", 1e15)]
)
def test_drivers_that_would_overflow_money_are_refused(tmp_path, variable, value):
    path = tmp_path / "extreme.toml"
    path.write_text(f'[scenario]\nextends = "{sim.scenario.scenario_dir() / "baseline.toml"}"\n'
                    f'[[drivers]]\nvariable = "{variable}"\nfrom = "2012-01"\nvalue = {value}\n')  # fmt: skip
    with pytest.raises(InputError, match="USD a month in 2012-01; allowed 0 to 1,000,000"):
        sim.run(path, households=30, seed=1, until="2012-03")


def test_money_at_the_extremes_of_the_levers_does_not_wrap():
    """The largest wage lever with the strongest rouble lever: every counter stays positive and finite."""
    frame = sim.run(BASELINE, households=3000, seed=1, until="2011-12", wage_ru_multiplier=20.0,
                    rub_per_usd_multiplier=0.05).frame  # fmt: skip
    assert (frame["remittances_usd"] >= 0).all() and np.isfinite(frame["remittances_usd"]).all()
    assert frame["remittances_usd"].max() > 1e9  # the lever did raise them
