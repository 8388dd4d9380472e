"""The indicator registry: one entry per results column, and every consumer carries and combines them.

Small runs (400-600 households, a 6-month spin-up, a few months); the
combination rules are checked on hand-worked frames.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.indicators import INDICATORS, KINDS, REGISTRY, UNITS, Indicator, annual, combine_origins

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
KEYS = {"date", "origin", "region", "sex"}


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> tuple[Path, Path]:
    """The baseline with a 6-month spin-up, and the same with an amnesty in March 2010."""
    folder = tmp_path_factory.mktemp("indicators")
    short = folder / "short.toml"
    short.write_text(f'[scenario]\nname = "short"\nextends = "{BASELINE}"\nspinup_months = 6\n')
    amnesty = folder / "amnesty.toml"
    amnesty.write_text('[scenario]\nname = "amnesty"\nextends = "short.toml"\n[[events]]\ntype = "amnesty"\n'
                       'country = ["TJ", "UZ"]\ndate = "2010-03"\nshare = 0.5\nnote = "test"\n')  # fmt: skip
    return short, amnesty


@pytest.fixture(scope="module")
def small(scenarios):
    return sim.run(scenarios[0], households=600, seed=4, until="2010-06")


# ---- the registry and the results table --------------------------------------


def test_every_column_of_a_run_has_an_entry_and_every_entry_a_column(small):
    assert [c for c in small.frame.columns if c not in KEYS] == list(REGISTRY)
    by_cell = small.table(by=("region", "sex"))
    assert [c for c in by_cell.columns if c not in KEYS] == list(REGISTRY)
    assert INDICATORS == tuple(REGISTRY)
    household_level = {name for name, i in REGISTRY.items() if i.household_level}
    assert set(by_cell.columns[by_cell.isna().all()]) == household_level


def test_every_entry_has_labels_kind_unit_and_rules():
    cyrillic = re.compile("[а-яё]", re.IGNORECASE)
    for name, indicator in REGISTRY.items():
        assert indicator.name == name
        assert indicator.label_en and indicator.label_ru and cyrillic.search(indicator.label_ru), name
        assert indicator.kind in KINDS and indicator.unit in UNITS and indicator.source, name
        assert indicator.definition, name
        assert indicator.over_year == ("sum" if indicator.kind == "flow" else "mean"), name
        assert (indicator.across == "sum") == (indicator.kind != "rate"), name
        words = indicator.words()
        assert words.en and words.ru and words.ru_rose and words.ru_fell, name
    with pytest.raises(ValueError, match="rates combine"):
        Indicator(
            "odd", "rate", "share", "odd", "странный", "X / Y", counter=0, per=1, definition="odd"
        )  # no rule over origins
    with pytest.raises(ValueError, match="kind in"):
        Indicator("odd", "level", "persons", "odd", "странный", "X", counter=0, definition="odd")
    with pytest.raises(ValueError, match="definition"):
        Indicator("odd", "stock", "persons", "odd", "странный", "X", counter=0)


def test_households_split_by_ban_status_stay_in_their_group(scenarios):
    """``status_month``: the households with a member banned at its start, counted by hand from the
    state, form the ``banned_member`` group from that month on; the split only regroups the counts."""
    from sim.indicators import STATUSES
    from sim.model import MigrationModel

    law = scenarios[0].parent / "law.toml"  # the 2013 law from the first month: bans within months
    law.write_text(f'[scenario]\nname = "law"\nextends = "{scenarios[0].name}"\n[[events]]\n'
                   'type = "ban_law"\ndate = "2010-01"\nnote = "test"\n')  # fmt: skip
    model = MigrationModel(law, households=600, seed=4, until="2011-06", status_month="2011-01")
    while model.month_index < model.status_index:
        model.step()
    banned_now = int((model.state.m_ban_until > model.step_counter).any(axis=1).sum())
    assert banned_now > 0
    while model.running:
        model.step()
    split = model.results()
    from sim.kernels import HOUSEHOLDS

    half = split.cells.shape[1] // 2
    in_group = split.cells[:, half:, HOUSEHOLDS].sum(axis=1)
    assert (in_group[: model.status_index] == 0).all()
    assert (in_group[model.status_index :] == banned_now).all()  # fixed: nobody joins or leaves
    whole = sim.run(law, households=600, seed=4, until="2011-06")
    pd.testing.assert_frame_equal(split.frame, whole.frame)
    table = split.table(by=("status",))
    assert set(table["status"]) == set(STATUSES)
    with pytest.raises(sim.InputError, match="not split by ban status"):
        whole.table(by=("status",))


def test_members_counted_by_age_group_add_up_to_the_whole(scenarios):
    """``age_groups``: three cells per region and sex; the same numbers summed over them, and the
    household-level columns, counted once per household, have no breakdown by age."""
    from sim.indicators import AGE_GROUPS

    split = sim.run(scenarios[0], households=600, seed=4, until="2010-06", age_groups=True)
    whole = sim.run(scenarios[0], households=600, seed=4, until="2010-06")
    pd.testing.assert_frame_equal(split.frame, whole.frame)
    by_age = split.table(by=("age",))
    assert set(by_age["age"]) == set(AGE_GROUPS)
    summed = by_age.groupby(["date", "origin"], sort=False)["migrants_ru"].sum().to_numpy()
    assert np.allclose(summed, whole.frame["migrants_ru"].to_numpy())
    assert (by_age.groupby("age")["migrants_ru"].sum() > 0).all()
    assert by_age["households"].isna().all() and by_age["poverty_rate"].isna().all()
    with pytest.raises(sim.InputError, match="not split by age"):
        whole.table(by=("age",))


# ---- combining: hand-worked ---------------------------------------------------


def _two_origins() -> pd.DataFrame:
    """Two origins, one month: TJ GDP 100*12/0.10 = 12,000, KG 300*12/0.20 = 18,000."""
    return pd.DataFrame({
        "date": pd.Timestamp("2015-01-01"), "origin": ["TJ", "KG"], "migrants_ru": [10.0, 30.0],
        "remittances_usd": [100.0, 300.0], "remittances_gdp_pct": [10.0, 20.0],
        "poverty_rate": [0.5, 0.2], "receiving_share": [0.4, 0.1], "income_per_capita_usd": [50.0, 90.0],
        "households": [1000.0, 3000.0],
    })  # fmt: skip


def test_combining_origins_by_hand():
    row = combine_origins(_two_origins(), ["date"]).iloc[0]
    assert row["migrants_ru"] == 40.0 and row["remittances_usd"] == 400.0 and row["households"] == 4000.0
    assert row["remittances_gdp_pct"] == pytest.approx(100.0 * 400 * 12 / (12_000 + 18_000))  # 16%, not 15
    assert row["poverty_rate"] == pytest.approx((0.5 * 1000 + 0.2 * 3000) / 4000)  # 0.275, not 0.35
    assert row["receiving_share"] == pytest.approx((0.4 * 1000 + 0.1 * 3000) / 4000)
    assert row["income_per_capita_usd"] == pytest.approx((50 * 1000 + 90 * 3000) / 4000)


def test_combining_keeps_missing_breakdowns_missing():
    frame = _two_origins().assign(poverty_rate=np.nan, households=np.nan)
    row = combine_origins(frame, ["date"]).iloc[0]
    assert np.isnan(row["poverty_rate"]) and np.isnan(row["households"]) and row["migrants_ru"] == 40.0


def test_combining_a_year_by_hand():
    frame = pd.DataFrame({
        "date": pd.to_datetime(["2015-01-01", "2015-02-01", "2015-03-01"]), "origin": "TJ",
        "migrants_ru": [10.0, 20.0, 60.0], "departures_ru": [1.0, 2.0, 4.0], "poverty_rate": [0.1, 0.2, 0.6],
    })  # fmt: skip
    row = annual(frame).iloc[0]
    assert (row["year"], row["origin"], row["months"]) == (2015, "TJ", 3)
    assert row["migrants_ru"] == pytest.approx(30.0)  # a stock: the mean of the months
    assert row["departures_ru"] == pytest.approx(7.0)  # a flow: the year's total
    assert row["poverty_rate"] == pytest.approx(0.3)  # a rate: the mean


def test_a_year_of_shares_of_gdp_combines_like_its_months():
    """Origins then year, or year then origins: the same remittances as % of GDP (GDP fixed in a year)."""
    months = pd.concat([_two_origins().assign(date=pd.Timestamp(f"2015-0{m}-01"),
                                              remittances_usd=lambda f, m=m: f["remittances_usd"] * m,
                                              remittances_gdp_pct=lambda f, m=m: f["remittances_gdp_pct"] * m)
                        for m in (1, 2, 3)])  # fmt: skip
    first_origins = annual(combine_origins(months, ["date"]).assign(origin="all"))
    first_year = combine_origins(annual(months), ["year"])
    assert first_year["remittances_gdp_pct"].iloc[0] == pytest.approx(
        first_origins["remittances_gdp_pct"].iloc[0]
    )


def test_the_what_if_and_research_pages_combine_origins_by_the_same_rule(small):
    from dashboards.ensemble import INDICATORS as SHOWN
    from dashboards.ensemble import national
    from dashboards.research import run_series

    frame = small.frame.assign(run="reference", seed=1)
    rule = combine_origins(frame, ["run", "seed", "date"])
    pd.testing.assert_frame_equal(national(frame), rule[["run", "seed", "date", *SHOWN]])
    research = run_series(small.frame.assign(run_id=0), "poverty_rate")[0]
    np.testing.assert_array_equal(research.to_numpy(), rule["poverty_rate"].to_numpy())


# ---- consumers carry every indicator -----------------------------------------


def test_summarize_carries_every_indicator_for_every_origin_and_all(scenarios, tmp_path):
    from sim.batch import load_spec, run_batch, summarize

    short = scenarios[0]
    spec = tmp_path / "spec.toml"
    spec.write_text(f'[batch]\nscenarios = ["{short}"]\nseeds = 2\nseed = 3\nhouseholds = 400\n'
                    'until = "2010-03"\n')  # fmt: skip
    report = run_batch(load_spec(spec), tmp_path / "batch", workers=1)
    assert (report.done, report.failed) == (2, 0)
    table = pd.read_parquet(summarize(tmp_path / "batch")[0])
    for origin in ("TJ", "KG", "UZ", "all"):
        assert set(table.loc[table["origin"] == origin, "indicator"]) == set(REGISTRY), origin


def test_compare_carries_every_indicator_and_prints_rates_as_points(scenarios):
    from sim.compare import compare

    result = compare(*scenarios, seeds=2, households=400, seed=1, until="2010-06")
    assert set(result.differences["indicator"]) == set(REGISTRY)
    assert set(result.yearly(2010)["indicator"]) == set(REGISTRY)
    lines = result.summary_lines(2010, indicators=INDICATORS)
    assert any(re.match(r"poverty rate, Tajikistan, 2010: [+-]\d+\.\d\d points", line) for line in lines)
    assert len(lines) == 2 + 3 * len(REGISTRY)  # title, "only 6 months" note, 3 origins per indicator


def test_attribution_lines_print_shares_as_points_not_persons():
    from sim.attribution import report

    rows = [{"indicator": name, "origin": "TJ", "group": "all", "factor": "drift", "contribution": 0.05,
             "p05": 0.04, "p95": 0.06, "total_change": 0.05} for name in REGISTRY]  # fmt: skip
    table = pd.DataFrame(rows)
    line = report.sentence(table, "poverty_rate", "TJ", ("2013", "2015"), 0.4)
    assert line.startswith("From 2013 to 2015 Tajik poverty rate rose by 5.0 points;")
    assert "(4.0 to 6.0)" in line and "%)" not in line
    russian = report.sentence(table, "receiving_share", "TJ", ("2013", "2015"), 0.4, "ru")
    assert "вырос на 5,0 п. п." in russian
    for name in REGISTRY:  # every indicator has words in both languages
        for lang in ("en", "ru"):
            assert report.sentence(table, name, "TJ", ("2013", "2015"), 1.0, lang).endswith(".")


def test_dashboard_labels_come_from_the_registry():
    from dashboards import i18n

    try:
        for name, indicator in REGISTRY.items():
            for lang in ("en", "ru"):
                i18n.lang.set(lang)
                assert i18n.indicator_label(name).lower().startswith(indicator.label(lang).lower())
        i18n.lang.set("ru")
        assert i18n.indicator_label("poverty_rate") == "Уровень бедности, %"
    finally:
        i18n.lang.set("en")
    assert i18n.indicator_label("migrants_ru") == "Migrants in Russia"


def test_a_rate_without_its_weight_is_left_out_not_guessed():
    frame = _two_origins().drop(columns=["households", "remittances_usd"])
    out = combine_origins(frame, ["date"])
    assert list(out.columns) == ["date", "migrants_ru"]


def test_grades_match_the_grading_table_of_the_model_doc():
    """docs/model.md, "Grading": each row's columns carry the grade the registry declares."""
    text = (ROOT / "docs" / "model.md").read_text()
    table = text.split("### Grading", 1)[1].split("\n### ", 1)[0]
    words = {"target": "**target**", "partly observed": "partly observed", "assumption": "assumption-driven",
             "input": "input"}  # fmt: skip
    seen = set()
    for row in table.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        names = re.findall(r"`(\w+)`", cells[0]) if len(cells) > 1 else []
        for name in (n for n in names if n in REGISTRY):
            assert cells[1].startswith(words[REGISTRY[name].grade]), (name, cells[1])
            seen.add(name)
    assert seen == set(REGISTRY)
