"""The 2022-2024 forecast fixed in the repository, and its scoring against figures it has not seen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibration import holdout
from sim.cli import main
from sim.data import ORIGINS, wdi
from sim.errors import InputError

SHIPPED = Path(__file__).resolve().parents[1] / "calibration" / "runs" / "cal-2021"


def _points() -> pd.DataFrame:
    """Two forecast points: TJ share 30 (band 27-36), KG USD 3e9 (band 2.9e9-3.1e9)."""
    base = {"window": "cal-2021", "fit_until": "2021-12", "horizon": 1, "year": 2022}
    return pd.DataFrame([
        {**base, "origin": "TJ", "measure": "share", "forecast": 30.0, "model": 25.0, "naive": 33.0,
         "model_q05": 27.0, "model_q95": 36.0, "backtest_q05": 24.0, "backtest_q95": 40.0,
         "naive_q05": 20.0, "naive_q95": 40.0},
        {**base, "origin": "KG", "measure": "usd", "forecast": 3.0e9, "model": 2.0e9, "naive": 4.0e9,
         "model_q05": 2.9e9, "model_q95": 3.1e9, "backtest_q05": 2.5e9, "backtest_q95": 3.5e9,
         "naive_q05": 3.0e9, "naive_q95": 5.0e9},
    ])  # fmt: skip


def _observed(tmp_path, rows: str, name: str = "observed.csv") -> Path:
    path = tmp_path / name
    path.write_text("origin,year,measure,observed\n" + rows)
    return path


def test_scores_by_hand(tmp_path):
    # recorded: TJ 32 (forecast off by 2/32, naive by 1/32), KG 3.2e9 (forecast 0.2/3.2, naive 0.8/3.2)
    observed = holdout.read_observed(
        _observed(tmp_path, "TJ,2022,share,32\nKG,2022,usd,3.2e9\nUZ,2030,share,9\n")
    )
    table, pooled = holdout.score(_points(), observed)
    table = table.set_index("origin")
    assert table.loc["TJ", "forecast_mape"] == pytest.approx(2 / 32)
    assert table.loc["TJ", "naive_mape"] == pytest.approx(1 / 32) and not table.loc["TJ", "beats_naive"]
    assert table.loc["KG", "beats_naive"] and table.loc["KG", "coverage"] == 0.0
    assert pooled["points"] == 2 and pooled["coverage"] == 0.5 and pooled["backtest_coverage"] == 1.0
    # interval score of the TJ band 27-36 holding 32: its width over the recorded value
    assert table.loc["TJ", "interval_score"] == pytest.approx(9 / 32)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("TJ,2022,share,-1\n", "observed must be a number > 0"),
        ("TJ,2022,percent,30\n", "measure 'percent'; allowed: share, usd"),
        ("XX,2022,share,30\n", "origin 'XX'; allowed: TJ, KG, UZ"),
        ("TJ,2031,share,30\n", "no row matches the forecast"),
    ],
)
def test_bad_recorded_figures_stop_with_one_message(tmp_path, capsys, rows, message):
    path = _observed(tmp_path, rows)
    out = tmp_path / "scores.csv"
    with pytest.raises(SystemExit) as done:
        main(["validate", "--holdout", str(path), "--out", str(out)])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_missing_column_and_missing_file(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("origin,year,value\nTJ,2022,30\n")
    with pytest.raises(InputError, match="missing column 'measure'"):
        holdout.read_observed(path)
    with pytest.raises(InputError, match="file not found"):
        holdout.read_observed(tmp_path / "absent.csv")


def test_shipped_forecast_covers_every_origin_year_and_measure():
    points = holdout.read_forecast(SHIPPED / holdout.FORECAST)
    assert len(points) == len(ORIGINS) * len(holdout.YEARS) * 2
    assert set(points["year"]) == set(holdout.YEARS) and set(points["origin"]) == set(ORIGINS)
    assert (points["backtest_q05"] <= points["forecast"]).all() and (
        points["forecast"] <= points["backtest_q95"]
    ).all()
    # the shipped band adds the rolling error to the in-sample one: never narrower
    assert (
        points["backtest_q95"] - points["backtest_q05"] >= points["model_q95"] - points["model_q05"] - 1e-9
    ).all()
    wide = points.pivot_table(index=["origin", "year"], columns="measure", values="forecast")
    for (origin, year), row in wide.iterrows():  # USD is the share times the year's GDP (a driver)
        assert row["usd"] == pytest.approx(row["share"] * wdi("ny_gdp_mktp_cd", origin)[year] / 100, rel=1e-5)


def test_forecast_is_reproducible_and_moves_members_by_their_own_bias():
    first = holdout.forecast_points(SHIPPED, count=2, seed=5, households=300, years=(2022,))
    again = holdout.forecast_points(SHIPPED, count=2, seed=5, households=300, years=(2022,))
    pd.testing.assert_frame_equal(first, again)
    from calibration.ensemble_check import member_shares

    shares, structural = member_shares(SHIPPED, (2022,), 2, 5, 300)
    bias = np.asarray(structural[("remittances_gdp_pct", "TJ")].bias)
    tj = first[(first["origin"] == "TJ") & (first["measure"] == "share")].iloc[0]
    assert tj["forecast"] == pytest.approx(
        np.median(shares["remit_gdp_pct:TJ:2022"].to_numpy() * np.exp(bias))
    )
    assert tj["model"] == pytest.approx(np.median(shares["remit_gdp_pct:TJ:2022"].to_numpy()))
