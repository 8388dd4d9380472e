"""Each member of a posterior ensemble carries its own particle's bias: from calibration to bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration import discrepancy, ensemble_check
from calibration.rolling import Window, observed_remittances
from sim.ensemble import (
    StructuralError,
    member_bands,
    posterior_ensemble,
    posterior_rows,
    read_discrepancy,
    structural_band,
)
from sim.errors import InputError

LOG2 = np.log(2.0)


def _write_run(tmp_path, biases: list[float]) -> None:
    """A run directory: a posterior of len(biases) particles, its discrepancy and particle biases."""
    n = len(biases)
    pd.DataFrame({"generation": 1, "beta_income": np.linspace(0.5, 1.5, n), "weight": 1.0 / n,
                  "distance": 0.1}).to_parquet(tmp_path / "posterior.parquet")  # fmt: skip
    pd.DataFrame({"series": ["remit_gdp_pct:TJ"], "bias": [0.1], "sigma": [0.2]}).to_csv(
        tmp_path / "discrepancy.csv"
    )
    pd.DataFrame({"remit_gdp_pct:TJ": biases}).rename_axis("particle").to_csv(tmp_path / "particle_bias.csv")


def test_members_read_their_own_particles_bias(tmp_path):
    _write_run(tmp_path, [0.5, -0.5, 0.0])
    posterior = tmp_path / "posterior.parquet"
    shared = read_discrepancy(posterior)[("remittances_gdp_pct", "TJ")]
    assert shared[:2] == (0.1, 0.2)
    own = read_discrepancy(posterior, rows=[1, 0, 1])[("remittances_usd", "TJ")]
    assert own[:2] == ((-0.5, 0.5, -0.5), 0.2)
    draws, structural = posterior_ensemble(posterior, 6, seed=3)
    rows = posterior_rows(posterior, 6, seed=3)
    assert [d["beta_income"] for d in draws] == pytest.approx(np.linspace(0.5, 1.5, 3)[rows])
    assert structural[("remittances_gdp_pct", "TJ")].bias == pytest.approx(np.array([0.5, -0.5, 0.0])[rows])
    with pytest.raises(InputError, match="particle_bias.csv: 3 particles"):
        read_discrepancy(posterior, rows=[0, 3])


def test_per_member_bias_by_hand():
    # two members at 10 and 40; moved by x2 and /2 they both stand at 20, so the band closes on it
    values = np.array([[10.0], [40.0]])
    low, high = structural_band(values, 0.0, (LOG2, -LOG2))
    assert (low[0], high[0]) == pytest.approx((20.0, 20.0))
    # one bias for both (x2): 20 and 80
    low, high = structural_band(values, 0.0, LOG2)
    assert (low[0], high[0]) == pytest.approx((20.0, 80.0))
    members = pd.DataFrame({"member": [0, 1], "date": pd.Timestamp("2016-01-01"), "origin": "TJ",
                            "remittances_usd": [10.0, 40.0]})  # fmt: skip
    table = member_bands(members, structural={("remittances_usd", "TJ"): StructuralError((LOG2, -LOG2), 0.0)})
    assert table["mean"].iloc[0] == pytest.approx(25.0)  # the model's mean, unmoved
    assert (table["p05"].iloc[0], table["p95"].iloc[0]) == pytest.approx((20.0, 20.0))


def test_remittance_weighted_error_averages_member_by_member():
    from dashboards.ensemble import weighted_error

    errors = {"TJ": StructuralError((0.2, 0.4), 0.1), "KG": StructuralError(0.0, 0.3)}
    total = weighted_error(errors, {"TJ": 1.0, "KG": 1.0})
    assert total.bias == pytest.approx((0.1, 0.2)) and total.sigma == pytest.approx(0.2)
    record = {"bias": [0.1, 0.2], "sigma": 0.2, "drift": 0.0, "fit_end": None}
    assert StructuralError((0.1, 0.2), 0.2).record() == record
    assert StructuralError(0.0, 0.0).is_zero() and not StructuralError((0.0, 0.1), 0.0).is_zero()


def test_calibration_writes_the_biases_the_ensemble_reads(tmp_path):
    years = (2010, 2011, 2012)
    targets = pd.DataFrame([{"id": f"remit_gdp_pct:TJ:{y}", "target": "remit_gdp_pct", "origin": "TJ",
                             "series": "remit_gdp_pct:TJ", "date": str(y), "observed": 10.0, "kind": "level",
                             "weight": 1.0} for y in years])  # fmt: skip
    # particle 0 runs at half the observed level (bias log 2), particle 1 at double (bias -log 2)
    particles = pd.DataFrame([{"weight": 0.5, **{f"remit_gdp_pct:TJ:{y}": f * 10.0 for y in years}}
                              for f in (0.5, 2.0)])  # fmt: skip
    discrepancy.write_tables(tmp_path, particles, targets, "2012-12")
    pd.DataFrame({"generation": 1, "beta_income": [0.5, 1.5], "weight": 0.5}).to_parquet(
        tmp_path / "posterior.parquet"
    )
    rows = posterior_rows(tmp_path / "posterior.parquet", 4, seed=1)
    error = read_discrepancy(tmp_path / "posterior.parquet", rows)[("remittances_gdp_pct", "TJ")]
    assert error.bias == pytest.approx(np.where(rows == 0, LOG2, -LOG2))
    assert error.sigma == pytest.approx(0.0)


def test_ensemble_check_scores_each_form_by_hand():
    window = Window("2016-12", 2017)
    observed = observed_remittances().set_index(["origin", "year"])
    share = float(observed.loc[("TJ", 2017), "share"])
    # member 0 runs at half the recorded share, member 1 at double; their own biases undo that
    shares = pd.DataFrame({"remit_gdp_pct:TJ:2017": [share / 2, share * 2]})
    structural = {("remittances_gdp_pct", "TJ"): StructuralError((LOG2, -LOG2), 0.0)}
    points = ensemble_check.score(window, shares, structural, {"TJ": 0.0}).set_index("measure")
    tj = points.loc["share"]
    assert (tj["member"], tj["member_q05"], tj["member_q95"]) == pytest.approx((share, share, share))
    assert (tj["series"], tj["series_q05"], tj["series_q95"]) == pytest.approx(
        (1.25 * share, share / 2, 2 * share)
    )
    assert tj["naive"] == pytest.approx(float(observed.loc[("TJ", 2016), "share"]))
    gdp = float(observed.loc[("TJ", 2017), "gdp"])
    assert points.loc["usd", "member"] == pytest.approx(share * gdp / 100)
    summary = ensemble_check.summarize(points.loc[["share"]].reset_index()).set_index("form")
    assert summary.loc["member", "coverage"] == 1.0
    assert summary.loc["member", "mape"] < summary.loc["series", "mape"]
