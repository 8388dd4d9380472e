"""The ablation's rolling-origin scores (calibration/ablation.py): worked cases and equivalence of workers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import ablation, rolling
from calibration.targets import load_targets

WINDOW = rolling.WINDOWS[0]  # data to 2014-12, forecasts 2015-2017


def _remittance_values(factors: dict[str, list[float]]) -> pd.Series:
    """Every target row NaN except the remittance shares: observed times a factor per year from 2010."""
    targets = load_targets()
    values = pd.Series(np.nan, index=targets["id"])
    shares = targets[targets["series"].str.startswith("remit_gdp_pct:")]
    for row in shares.itertuples():
        origin, year = row.id.split(":")[1], int(row.id.split(":")[2])
        values[row.id] = row.observed * factors[origin][year - 2010]
    return values


def test_held_out_points_move_the_run_by_its_own_fitted_bias_and_carry_the_last_value():
    # TJ and UZ run 20% low in every year: their mean log residual is log(1.25), and the
    # corrected forecast lands on the observed value. KG is exact but for 2014, 0.5 lower in
    # logs: residuals 0, 0, 0, 0, 0.5 over 2010-2014, a bias of 0.1, so the held-out years,
    # exact in the run, are forecast exp(0.1) above the observed ones.
    low = [0.8] * 12
    kg = [1.0, 1.0, 1.0, 1.0, float(np.exp(-0.5))] + [1.0] * 7
    points = ablation.held_out_points(_remittance_values({"TJ": low, "UZ": low, "KG": kg}), WINDOW)
    observed = rolling.observed_remittances().set_index(["origin", "year"])

    assert set(points["year"]) == {2015, 2016, 2017}
    assert len(points) == 3 * 3 * 2  # origins x years x (share, usd)
    shares = points[points["measure"] == "share"].set_index(["origin", "year"])
    ratio = shares["forecast"] / shares["observed"]
    # targets.csv rounds the observed values to about six digits
    assert ratio.loc[["TJ", "UZ"]].to_numpy() == pytest.approx(1.0, rel=1e-5)
    assert ratio.loc["KG"].to_numpy() == pytest.approx(np.exp(0.1), rel=1e-5)
    for origin in ("TJ", "KG", "UZ"):
        assert (shares.loc[origin, "naive"] == observed.loc[(origin, 2014), "share"]).all()
    usd = points[points["measure"] == "usd"].set_index(["origin", "year"])
    gdp = observed.loc[usd.index, "gdp"].to_numpy() / 100.0
    assert usd["forecast"].to_numpy() == pytest.approx(shares.loc[usd.index, "forecast"].to_numpy() * gdp)


def test_rolling_summary_counts_cells_beating_the_naive_forecast_and_pools_errors():
    rows = []
    for variant, error in (("a", 0.1), ("b", 0.3)):
        for window in ("w1", "w2"):
            for year in (1, 2):  # two points per cell; naive misses by 20% everywhere
                rows.append({"variant": variant, "window": window, "origin": "TJ", "year": year,
                             "measure": "share", "observed": 10.0, "forecast": 10.0 * (1 + error),
                             "naive": 8.0, "distance": 0.5 if window == "w1" else 0.25})  # fmt: skip
    summary = ablation.rolling_summary(pd.DataFrame(rows)).set_index("variant")

    assert summary.loc["a", "cells_beating_naive"] == 2 and summary.loc["b", "cells_beating_naive"] == 0
    assert (summary["cells"] == 2).all()
    assert summary.loc["a", "forecast_mape"] == pytest.approx(0.1)
    assert summary.loc["b", "forecast_mape"] == pytest.approx(0.3)
    assert summary["naive_mape"].to_numpy() == pytest.approx(0.2)
    assert summary["distance_sum"].to_numpy() == pytest.approx(0.75)


def test_rolling_refits_do_not_depend_on_the_number_of_workers():
    variants = ["all mechanisms", "no EAEU premium"]
    args = dict(max_evaluations=3, households=300, variants=variants, windows=[0])
    serial = ablation.rolling_points(workers=1, **args)
    parallel = ablation.rolling_points(workers=2, **args)

    assert len(serial) == 2 * 3 * 3 * 2
    pd.testing.assert_frame_equal(serial, parallel)
