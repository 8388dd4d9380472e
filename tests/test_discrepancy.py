"""The structural-error term, its bands and the rolling-origin scores, on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import discrepancy, rolling
from sim.ensemble import member_bands


def _targets(points: dict[str, list[tuple[str, float]]]) -> pd.DataFrame:
    rows = []
    for series, values in points.items():
        target, origin = series.split(":")
        for date, observed in values:
            rows.append({"id": f"{series}:{date}", "target": target, "origin": origin, "series": series,
                         "date": date, "observed": observed, "kind": "level", "weight": 1.0})  # fmt: skip
    return pd.DataFrame(rows)


def test_sigma_is_the_rms_log_residual_and_pooled_for_short_series():
    targets = _targets({
        "remit_gdp_pct:TJ": [("2010", 10.0), ("2011", 10.0), ("2012", 10.0), ("2016", 10.0)],
        "remit_gdp_pct:KG": [("2010", 20.0)],
    })  # fmt: skip
    # one particle: simulated exp(r) * observed with residuals log(obs / sim) = -0.1, 0.2, -0.2
    sim_values = {"remit_gdp_pct:TJ:2010": 10 * np.exp(0.1), "remit_gdp_pct:TJ:2011": 10 * np.exp(-0.2),
                  "remit_gdp_pct:TJ:2012": 10 * np.exp(0.2), "remit_gdp_pct:TJ:2016": 99.0,
                  "remit_gdp_pct:KG:2010": 20 * np.exp(0.4)}  # fmt: skip
    particles = pd.DataFrame([{"weight": 1.0, **sim_values}])
    sigma = discrepancy.estimate(particles, targets, fit_until="2014-12")  # 2016 is held out
    tj = np.sqrt((0.1**2 + 0.2**2 + 0.2**2) / 3)
    assert sigma.loc["remit_gdp_pct:TJ", "sigma"] == pytest.approx(tj)
    assert sigma.loc["remit_gdp_pct:TJ", "points"] == 3 and not sigma.loc["remit_gdp_pct:TJ", "pooled"]
    pooled = np.sqrt((0.1**2 + 0.2**2 + 0.2**2 + 0.4**2) / 4)
    assert sigma.loc["remit_gdp_pct:KG", "sigma"] == pytest.approx(pooled)
    assert sigma.loc["remit_gdp_pct:KG", "pooled"]


def test_structural_error_widens_levels_around_the_posterior():
    targets = _targets({"remit_gdp_pct:TJ": [("2010", 10.0)]})
    rng = np.random.default_rng(0)
    particles = pd.DataFrame({"weight": np.full(200, 1 / 200),
                              "remit_gdp_pct:TJ:2010": rng.normal(10, 0.5, 200)})  # fmt: skip
    sigma = pd.DataFrame({"target": ["remit_gdp_pct"], "sigma": [0.2], "points": [5], "pooled": [False]},
                         index=pd.Index(["remit_gdp_pct:TJ"], name="series"))  # fmt: skip
    bare = discrepancy.predictive_quantiles(particles, targets, None, draws=20000)
    wide = discrepancy.predictive_quantiles(particles, targets, sigma, draws=20000)
    key = "remit_gdp_pct:TJ:2010"
    assert bare.loc[key, "q50"] == pytest.approx(10, abs=0.1)
    assert wide.loc[key, "q50"] == pytest.approx(10, abs=0.15)
    # a 0.2 log-sd error alone gives a 90% band of about exp(+-0.329): 7.2 to 13.9 around 10
    assert wide.loc[key, "q05"] < 7.6 and wide.loc[key, "q95"] > 13.3
    assert bare.loc[key, "q05"] > 9.0 and bare.loc[key, "q95"] < 11.0


def test_interval_score_by_hand():
    # inside: the width over the observed value; outside: plus 2/alpha times the miss
    score = discrepancy.interval_score(np.array([8.0, 8.0]), np.array([12.0, 12.0]), np.array([10.0, 13.0]))
    assert score == pytest.approx([4 / 10, (4 + 20 * 1) / 13])


def test_naive_band_by_hand():
    history = pd.Series([100.0, 110.0, 121.0, 133.1], index=[2010, 2011, 2012, 2013])
    last, low, high = rolling.naive_band(history, horizon=2)
    assert last == 133.1 and low == pytest.approx(133.1) and high == pytest.approx(133.1)  # no variation
    history = pd.Series([100.0, 110.0, 100.0], index=[2010, 2011, 2012])
    sd = np.std(np.diff(np.log([100.0, 110.0, 100.0])), ddof=1)
    last, low, high = rolling.naive_band(history, horizon=4)
    assert high == pytest.approx(100 * np.exp(rolling.Z90 * sd * 2)) and low * high == pytest.approx(100**2)


def test_summary_counts_wins_and_coverage():
    points = pd.DataFrame({
        "window": ["cal-2014"] * 2, "origin": ["TJ"] * 2, "measure": ["share"] * 2, "observed": [10.0, 20.0],
        "model": [11.0, 19.0], "model_q05": [9.0, 21.0], "model_q95": [12.0, 25.0],
        "naive": [15.0, 15.0], "naive_q05": [5.0, 5.0], "naive_q95": [25.0, 25.0],
        "backtest_q05": [5.0, 5.0], "backtest_q95": [25.0, 25.0], "fit_until": ["2014-12"] * 2,
        "year": [2015, 2016],
    })  # fmt: skip
    row = rolling.summarize(points).iloc[0]
    assert row["points"] == 2 and row["model_mape"] == pytest.approx(0.075)
    assert row["naive_mape"] == pytest.approx((0.5 + 0.25) / 2) and row["beats_naive"]
    assert row["coverage"] == 0.5 and row["naive_coverage"] == 1.0 and row["backtest_coverage"] == 1.0
    assert "in sample" in row["note"]


def test_backtest_sigma_uses_only_earlier_windows_and_years_the_window_saw():
    points = pd.DataFrame({
        "fit_until": ["2014-12", "2014-12", "2014-12", "2016-12"], "year": [2015, 2016, 2017, 2017],
        "origin": ["TJ"] * 4, "measure": ["share"] * 4, "observed": [10.0, 10.0, 10.0, 10.0],
        "model": [10 * np.exp(-0.1), 10 * np.exp(0.3), 99.0, 99.0],
    })  # fmt: skip
    assert rolling.backtest_sigma(points, "2014-12") == {}
    # the 2016 window sees the 2014 window's 2015 and 2016 forecasts, not its 2017 one
    assert rolling.backtest_sigma(points, "2016-12")["TJ"] == pytest.approx(np.sqrt((0.1**2 + 0.3**2) / 2))


def test_ensemble_structural_error_widens_only_the_named_levels():
    members = pd.DataFrame({
        "member": np.repeat([0, 1, 2], 2), "date": pd.Timestamp("2015-01-01"),
        "origin": ["TJ", "KG"] * 3, "remittances_usd": [100.0, 50.0, 102.0, 51.0, 98.0, 49.0],
        "migrants_ru": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0],
    })  # fmt: skip
    plain = member_bands(members).set_index(["origin", "indicator"])
    wide = member_bands(members, structural={("remittances_usd", "TJ"): 0.2})
    wide = wide.set_index(["origin", "indicator"])
    assert wide.loc[("TJ", "remittances_usd"), "mean"] == plain.loc[("TJ", "remittances_usd"), "mean"]
    assert wide.loc[("TJ", "remittances_usd"), "p95"] > 1.3 * plain.loc[("TJ", "remittances_usd"), "p95"]
    for key in (("KG", "remittances_usd"), ("TJ", "migrants_ru")):
        assert wide.loc[key, "p05"] == plain.loc[key, "p05"] and wide.loc[key, "p95"] == plain.loc[key, "p95"]


def test_forecast_error_widens_the_shipped_discrepancy(tmp_path):
    pd.DataFrame(
        {
            "series": ["remit_gdp_pct:TJ", "banned:TJ"],
            "target": ["remit_gdp_pct", "banned"],
            "sigma": [0.3, 0.1],
            "points": [12, 1],
            "pooled": [False, True],
        }
    ).to_csv(  # fmt: skip
        tmp_path / "discrepancy.csv", index=False
    )
    pd.DataFrame(
        {
            "measure": ["share", "share", "usd"],
            "origin": ["TJ"] * 3,
            "observed": [10.0, 10.0, 1.0],
            "model": [10 * np.exp(0.4), 10 * np.exp(-0.4), 5.0],
        }
    ).to_csv(  # fmt: skip
        tmp_path / "points.csv", index=False
    )
    for _ in range(2):  # running it twice gives the same table
        table = discrepancy.add_forecast_error(tmp_path, tmp_path / "points.csv")
    assert table.loc["remit_gdp_pct:TJ", "sigma_forecast"] == pytest.approx(0.4)
    assert table.loc["remit_gdp_pct:TJ", "sigma"] == pytest.approx(0.5)  # hypot(0.3, 0.4)
    assert table.loc["banned:TJ", "sigma"] == pytest.approx(0.1)
