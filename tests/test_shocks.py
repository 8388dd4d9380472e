"""The shock diagnostics of calibration/shocks.py, worked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from calibration.shocks import observed_usd_change, year_changes


def test_year_changes_split_remittances_into_migrants_and_amounts():
    dates = pd.date_range("2014-01-01", "2015-12-01", freq="MS")
    frame = pd.DataFrame({
        "date": dates, "origin": "TJ",
        "remittances_usd": [100.0] * 12 + [60.0] * 12,
        "migrants_ru": [9.0] * 12 + [7.0] * 12,
        "migrants_kz": [1.0] * 24,
    })  # fmt: skip
    row = year_changes(frame, 2014, 2015).loc["TJ"]
    assert row["remittances"] == pytest.approx(-0.4)
    assert row["migrants"] == pytest.approx(-0.2)  # 10 abroad, then 8
    assert row["per_migrant"] == pytest.approx(0.6 / 0.8 - 1)
    assert (1 + row["remittances"]) == pytest.approx((1 + row["migrants"]) * (1 + row["per_migrant"]))


def test_observed_2009_fall_from_the_wdi_vintage():
    change = observed_usd_change(2008, 2009)
    # Tajikistan: USD 2.278 bn in 2008, 1.566 bn in 2009 (WDI 2025 vintage)
    assert change["TJ"] == pytest.approx(1565737000 / 2277503000 - 1, abs=1e-3)
    assert (change < 0).all()
