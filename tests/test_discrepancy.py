"""The structural-error term, its bands and the rolling-origin scores, on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import discrepancy, rolling
from sim.ensemble import drifted_spread, member_bands


def _targets(points: dict[str, list[tuple[str, float]]]) -> pd.DataFrame:
    rows = []
    for series, values in points.items():
        target, origin = series.split(":")
        for date, observed in values:
            rows.append({"id": f"{series}:{date}", "target": target, "origin": origin, "series": series,
                         "date": date, "observed": observed, "kind": "level", "weight": 1.0})  # fmt: skip
    return pd.DataFrame(rows)


def test_bias_and_spread_per_particle_and_pooled_sigma_for_short_series():
    targets = _targets({
        "remit_gdp_pct:TJ": [("2010", 10.0), ("2011", 10.0), ("2012", 10.0), ("2016", 10.0)],
        "remit_gdp_pct:KG": [("2010", 20.0)],
    })  # fmt: skip
    # particle A: residuals log(obs / sim) = -0.1, 0.2, 0.2 (mean 0.1, variance 0.03)
    # particle B: residuals 0.3, 0.3, 0.3 (mean 0.3, variance 0); weights 3:1
    a = {"remit_gdp_pct:TJ:2010": 10 * np.exp(0.1), "remit_gdp_pct:TJ:2011": 10 * np.exp(-0.2),
         "remit_gdp_pct:TJ:2012": 10 * np.exp(-0.2), "remit_gdp_pct:TJ:2016": 99.0,
         "remit_gdp_pct:KG:2010": 20 * np.exp(0.4)}  # fmt: skip
    b = {**{k: 10 * np.exp(-0.3) for k in a if ":TJ:201" in k}, "remit_gdp_pct:TJ:2016": 99.0,
         "remit_gdp_pct:KG:2010": 20 * np.exp(0.4)}  # fmt: skip
    particles = pd.DataFrame([{"weight": 3.0, **a}, {"weight": 1.0, **b}])
    table = discrepancy.estimate(particles, targets, fit_until="2014-12")  # 2016 is held out
    tj = table.loc["remit_gdp_pct:TJ"]
    assert tj["bias"] == pytest.approx(0.75 * 0.1 + 0.25 * 0.3)
    assert tj["sigma"] == pytest.approx(np.sqrt(0.75 * 0.03 * (1 + 1 / 3)))
    assert tj["points"] == 3 and not tj["pooled"]
    own = discrepancy.particle_bias(particles, targets, fit_until="2014-12")
    assert own["remit_gdp_pct:TJ"].tolist() == pytest.approx([0.1, 0.3])
    # KG has one row: it borrows the RMS residual of the target's median and has no bias
    kg = table.loc["remit_gdp_pct:KG"]
    assert kg["pooled"] and kg["bias"] == 0.0
    median_residuals = [-0.1, 0.2, 0.2, -0.4]  # the median particle is A (weight 3 of 4)
    assert kg["sigma"] == pytest.approx(np.sqrt(np.mean(np.square(median_residuals))))


def test_each_particle_moves_by_its_own_bias():
    targets = _targets({"remit_gdp_pct:TJ": [("2010", 10.0), ("2011", 10.0), ("2012", 10.0), ("2015", 10.0)]})
    # particle A runs at half the observed level, B at double; each is off by the same factor in 2015
    rows = [{"weight": 0.5, **{f"remit_gdp_pct:TJ:{y}": f * 10.0 for y in (2010, 2011, 2012)},
             "remit_gdp_pct:TJ:2015": f * 20.0} for f in (0.5, 2.0)]  # fmt: skip
    particles = pd.DataFrame(rows)
    own = discrepancy.particle_bias(particles, targets, fit_until="2014-12")
    moved = discrepancy.predictive_quantiles(particles, targets, None, bias=own, draws=2000)
    bare = discrepancy.predictive_quantiles(particles, targets, None, draws=2000)
    key = "remit_gdp_pct:TJ:2015"
    # both particles forecast 20 once moved; bare, they straddle it at 10 and 40
    assert moved.loc[key, "q05"] == pytest.approx(20.0) and moved.loc[key, "q95"] == pytest.approx(20.0)
    assert bare.loc[key, "q05"] == pytest.approx(10.0) and bare.loc[key, "q95"] == pytest.approx(40.0)
    # a table's one bias applies where no particle's own is given
    table = pd.DataFrame({"target": ["remit_gdp_pct"], "bias": [np.log(2.0)], "sigma": [0.0],
                          "points": [3], "pooled": [False]},
                         index=pd.Index(["remit_gdp_pct:TJ"], name="series"))  # fmt: skip
    shared = discrepancy.predictive_quantiles(particles.iloc[:1], targets, table, draws=100)
    assert shared.loc[key, "q50"] == pytest.approx(20.0)


def test_structural_error_widens_levels_around_the_posterior():
    targets = _targets({"remit_gdp_pct:TJ": [("2010", 10.0)]})
    rng = np.random.default_rng(0)
    particles = pd.DataFrame({"weight": np.full(200, 1 / 200),
                              "remit_gdp_pct:TJ:2010": rng.normal(10, 0.5, 200)})  # fmt: skip
    sigma = pd.DataFrame(
        {"target": ["remit_gdp_pct"], "sigma": [0.2], "points": [5], "pooled": [False]},
        index=pd.Index(["remit_gdp_pct:TJ"], name="series"),
    )  # fmt: skip  (no bias column)
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


def test_ensemble_structural_bias_moves_the_band_not_the_mean(tmp_path):
    from sim.ensemble import StructuralError, read_discrepancy

    members = pd.DataFrame({"member": [0, 1, 2], "date": pd.Timestamp("2015-01-01"), "origin": "TJ",
                            "remittances_usd": [100.0, 100.0, 100.0]})  # fmt: skip
    table = member_bands(members, structural={("remittances_usd", "TJ"): StructuralError(np.log(1.5), 0.0)})
    assert table["mean"].iloc[0] == pytest.approx(100.0)
    assert table["p05"].iloc[0] == pytest.approx(150.0) and table["p95"].iloc[0] == pytest.approx(150.0)
    pd.DataFrame({"series": ["remit_gdp_pct:TJ"], "sigma": [0.2]}).to_csv(tmp_path / "discrepancy.csv")
    assert read_discrepancy(tmp_path / "posterior.parquet")[("remittances_usd", "TJ")] == StructuralError(
        0.0, 0.2
    )


def test_ensemble_band_widens_after_the_fit_by_the_drift(tmp_path):
    from sim.ensemble import StructuralError, read_discrepancy

    error = StructuralError(0.0, 0.3, drift=0.4, fit_end="2021-12")
    # up to the fit's last month the spread is sigma; a year after it sqrt(0.3^2 + 0.4^2) = 0.5
    dates = pd.to_datetime(["2021-06-01", "2022-12-01", "2025-12-01"])
    assert error.sigma_at(dates) == pytest.approx([0.3, 0.5, np.sqrt(0.09 + 4 * 0.16)])
    assert error.sigma_at([2022]) == pytest.approx([0.5])  # a year means its December
    members = pd.DataFrame({"member": np.repeat([0, 1, 2], 2), "origin": "TJ", "remittances_usd": 100.0,
                            "date": list(pd.to_datetime(["2021-12-01", "2022-12-01"])) * 3})  # fmt: skip
    table = member_bands(members, structural={("remittances_usd", "TJ"): error}).set_index("date")
    ratio = np.log(table["p95"] / 100.0)  # the 95th percentile of the 64 normal quantiles x 3 members
    assert ratio.loc["2022-12-01"] / ratio.loc["2021-12-01"] == pytest.approx(0.5 / 0.3, rel=1e-6)
    # the table's drift counts from the calibration's fit_until
    pd.DataFrame({"series": ["remit_gdp_pct:TJ"], "sigma": [0.3], "drift": [0.4]}).to_csv(
        tmp_path / "discrepancy.csv"
    )
    (tmp_path / "settings.json").write_text('{"fit_until": "2021-12"}')
    assert read_discrepancy(tmp_path / "posterior.parquet")[("remittances_usd", "TJ")] == error


def test_rolling_forecast_error_is_recorded_beside_the_in_sample_spread(tmp_path):
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
        table = discrepancy.record_forecast_error(tmp_path, tmp_path / "points.csv")
    assert table.loc["remit_gdp_pct:TJ", "sigma_forecast"] == pytest.approx(0.4)  # RMS of +-0.4
    assert table.loc["remit_gdp_pct:TJ", "sigma"] == pytest.approx(0.3)  # the bands keep the fit's own
    assert table.loc["banned:TJ", "sigma"] == pytest.approx(0.1)
    # a table written before 4 Dec 2026 (sigma combined with the rolling error) gets its own spread back
    old = table.assign(
        sigma_in_sample=table["sigma"], sigma=np.hypot(table["sigma"], table["sigma_forecast"])
    )
    old.to_csv(tmp_path / "discrepancy.csv")
    again = discrepancy.record_forecast_error(tmp_path, tmp_path / "points.csv")
    assert again.loc["remit_gdp_pct:TJ", "sigma"] == pytest.approx(0.3) and "sigma_in_sample" not in again


def test_drift_by_hand_and_the_band_widens_only_after_the_fit():
    # one particle, residuals 0, 0.1, 0, 0.1 a year apart: changes +0.1, -0.1, +0.1, whose sample
    # variance (ddof 1) is (2 * (0.1 - 0.1/3)^2 + (-0.1 - 0.1/3)^2) / 2 = 0.04 / 3
    r = np.array([[0.0, 0.1, 0.0, 0.1]])
    assert discrepancy.drift(r) == pytest.approx(np.sqrt(0.04 / 3))
    # the same changes two years apart are half the variance a year
    assert discrepancy.drift(r, years=np.array([0.0, 2.0, 4.0, 6.0])) == pytest.approx(np.sqrt(0.02 / 3))
    assert discrepancy.horizon_years("2016", "2014-12") == 2.0
    assert discrepancy.horizon_years("2013-06", "2014-12") == 0.0
    assert drifted_spread(0.3, 0.4, 1.0) == pytest.approx(0.5)

    targets = _targets({"remit_gdp_pct:TJ": [("2014", 10.0), ("2017", 10.0)]})
    particles = pd.DataFrame({"weight": [1.0], **{f"remit_gdp_pct:TJ:{y}": [10.0] for y in (2014, 2017)}})
    table = pd.DataFrame({"target": ["remit_gdp_pct"], "bias": [0.0], "sigma": [0.1], "drift": [0.2]},
                         index=pd.Index(["remit_gdp_pct:TJ"], name="series"))  # fmt: skip
    bands = discrepancy.predictive_quantiles(particles, targets, table, draws=40000, fit_until="2014-12")
    flat = discrepancy.predictive_quantiles(particles, targets, table, draws=40000)

    # in sample the spread is sigma; three years out sqrt(0.1^2 + 3 * 0.2^2) = 0.361
    def log_half_width(table, year):
        return np.log(table.loc[f"remit_gdp_pct:TJ:{year}", "q95"] / 10) / rolling.Z90

    assert log_half_width(bands, 2014) == pytest.approx(0.1, rel=0.05)
    assert log_half_width(bands, 2017) == pytest.approx(0.361, rel=0.05)
    assert log_half_width(flat, 2017) == pytest.approx(0.1, rel=0.05)
