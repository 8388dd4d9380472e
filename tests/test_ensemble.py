"""Ensembles (seeds, summaries, the posterior seam) and comparisons (common random
numbers, differences, summary lines, chart, CLI)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.compare import compare, compare_ensembles
from sim.ensemble import POSTERIOR_AND_SEED, SEED_ONLY, member_bands, member_seeds, run_ensemble
from sim.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"
SMALL = dict(households=1500, until="2011-06")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small runs on one numba thread (one block; a parallel loop only waits on a busy machine)."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)


@pytest.fixture(scope="module")
def early_amnesty(tmp_path_factory) -> Path:
    """A test-only scenario: the baseline with an amnesty of all bans in 2010-07."""
    path = tmp_path_factory.mktemp("scenarios") / "early_amnesty.toml"
    path.write_text(
        f'[scenario]\nname = "early_amnesty"\nextends = "{BASELINE}"\n\n'
        '[[events]]\ntype = "amnesty"\ncountry = "all"\ndate = "2010-07"\nshare = 0.9\n'
    )
    return path


@pytest.fixture(scope="module")
def comparison(early_amnesty):
    return compare(BASELINE, early_amnesty, seeds=3, seed=5, **SMALL)


# ---- seeds -----------------------------------------------------------------------


def test_member_seeds_follow_seedsequence_spawn():
    seeds = member_seeds(42, 4)
    children = np.random.SeedSequence(42).spawn(4)
    assert seeds == tuple(int(c.generate_state(1)[0]) for c in children)
    assert len(set(seeds)) == 4
    assert member_seeds(42, 6)[:4] == seeds  # adding members keeps the first ones
    assert member_seeds(43, 4) != seeds


@pytest.mark.parametrize("root, count", [(-1, 3), (0, 0), (0, 10_000), (1.5, 3)])
def test_bad_seed_settings_fail(root, count):
    with pytest.raises(InputError, match="allowed"):
        member_seeds(root, count)


# ---- summaries --------------------------------------------------------------------


def test_summary_by_hand():
    members = pd.DataFrame(
        {
            "member": [0, 1, 2, 0, 1, 2],
            "date": pd.to_datetime(["2020-01-01"] * 3 + ["2020-02-01"] * 3),
            "origin": ["TJ"] * 6,
            "banned": [1.0, 2.0, 3.0, 10.0, 10.0, 40.0],
        }
    )
    table = member_bands(members).set_index("date")
    assert list(table.columns) == ["origin", "indicator", "mean", "p05", "p95"]
    jan, feb = table.loc["2020-01-01"], table.loc["2020-02-01"]
    # linear interpolation between ordered members: p05 = x0 + 0.1 (x1 - x0), p95 = x1 + 0.9 (x2 - x1)
    assert (jan["mean"], jan["p05"], jan["p95"]) == pytest.approx((2.0, 1.1, 2.9))
    assert (feb["mean"], feb["p05"], feb["p95"]) == pytest.approx((20.0, 10.0, 37.0))


def test_ensemble_tables_and_band_kind():
    ens = run_ensemble(BASELINE, seeds=3, seed=7, **SMALL)
    assert ens.band_kind == SEED_ONLY
    assert ens.seeds == member_seeds(7, 3)
    assert sorted(ens.members["member"].unique()) == [0, 1, 2]
    assert list(ens.members["seed"].unique()) == list(ens.seeds)
    months = ens.members["date"].nunique()
    assert months == 18 and len(ens.members) == 3 * months * 3
    assert {"migrants_ru", "banned", "remittances_usd", "poverty_rate"} <= set(ens.summary["indicator"])
    ok = ens.summary.dropna()
    assert (ok["p05"] <= ok["mean"] + 1e-6).all() and (ok["mean"] <= ok["p95"] + 1e-6).all()
    wide = ens.wide()
    assert len(wide) == months * 3 and "migrants_ru_p95" in wide.columns
    assert ens.metadata["ensemble"]["member_seeds"] == list(ens.seeds)
    assert ens.metadata["ensemble"]["band_kind"] == SEED_ONLY


def test_same_root_seed_same_summary_different_root_different():
    first = run_ensemble(BASELINE, seeds=2, seed=3, **SMALL)
    again = run_ensemble(BASELINE, seeds=2, seed=3, **SMALL)
    other = run_ensemble(BASELINE, seeds=2, seed=4, **SMALL)
    pd.testing.assert_frame_equal(first.summary, again.summary)
    pd.testing.assert_frame_equal(first.members, again.members)
    assert not first.summary["mean"].equals(other.summary["mean"])


def test_parameter_draws_are_used_member_by_member():
    from sim.params import SPECS

    draws = [{"beta_income": SPECS["beta_income"].default}, {"beta_income": 2.5}]
    ens = run_ensemble(BASELINE, seeds=2, seed=3, parameter_draws=draws, **SMALL)
    plain = run_ensemble(BASELINE, seeds=2, seed=3, **SMALL)
    assert ens.band_kind == POSTERIOR_AND_SEED
    assert ens.metadata["ensemble"]["parameter_draws"] == draws
    columns = ["migrants_ru", "banned"]
    first = ens.members["member"] == 0
    # draw 0 is the default value: member 0 is unchanged; draw 1 changes member 1
    pd.testing.assert_frame_equal(ens.members.loc[first, columns], plain.members.loc[first, columns])
    assert not ens.members.loc[~first, columns].equals(plain.members.loc[~first, columns])


def test_progress_counts_up_to_its_total_over_all_members():
    calls = []
    run_ensemble(BASELINE, seeds=3, seed=1, households=300, until="2010-06",
                 progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    done = [d for d, _ in calls]
    assert len({t for _, t in calls}) == 1 and done[-1] == calls[-1][1]
    assert all(b > a for a, b in zip(done, done[1:], strict=False))


def test_bad_parameter_draws_fail():
    with pytest.raises(InputError, match="1 draws for 2 members"):
        run_ensemble(BASELINE, seeds=2, parameter_draws=[{}], **SMALL)
    with pytest.raises(InputError, match=r"parameter_draws\[0\].*beta_income = 99"):
        run_ensemble(BASELINE, seeds=1, parameter_draws=[{"beta_income": 99}], **SMALL)


# ---- comparison -------------------------------------------------------------------


def test_common_random_numbers_make_the_past_identical(comparison):
    assert comparison.first_difference == pd.Timestamp("2010-07-01")
    diff = comparison.differences
    before = diff[diff["date"] < "2010-07-01"]
    assert len(before) > 0 and (before[["mean", "p05", "p95"]].fillna(0) == 0).all().all()
    banned = diff[(diff["indicator"] == "banned") & (diff["date"] == "2010-08-01")]
    assert (banned["mean"] < 0).all() and (banned["p95"] <= 0).all()
    assert list(diff.columns) == ["date", "origin", "indicator", "base_mean", "other_mean", "mean",
                                  "p05", "p95"]  # fmt: skip
    row = banned.iloc[0]
    assert row["mean"] == pytest.approx(row["other_mean"] - row["base_mean"], rel=1e-9, abs=1e-6)


def test_a_scenario_against_itself_differs_nowhere():
    ens = run_ensemble(BASELINE, seeds=2, seed=1, **SMALL)
    result = compare_ensembles(ens, ens)
    assert result.first_difference is None
    assert (result.differences[["mean", "p05", "p95"]].fillna(0) == 0).all().all()


def test_different_seeds_are_refused():
    a = run_ensemble(BASELINE, seeds=1, seed=1, households=300, until="2010-03")
    b = run_ensemble(BASELINE, seeds=1, seed=2, households=300, until="2010-03")
    with pytest.raises(InputError, match="different member seeds"):
        compare_ensembles(a, b)


def test_summary_lines(comparison):
    lines = comparison.summary_lines(2011)
    assert "early_amnesty minus baseline, 2011" in lines[0] and "seed noise only" in lines[0]
    assert any("covers only 6 months" in line for line in lines)
    number = r"[-+]?[\d,]+"
    pattern = re.compile(rf"^banned migrants, Tajikistan, 2011: -[\d,]+ \(5-95% band {number} to {number}\)$")
    assert any(pattern.match(line) for line in lines), lines
    assert any(line.startswith("remittances received, USD, Uzbekistan, 2011: ") for line in lines)
    yearly = comparison.yearly(2011)
    tj = yearly[(yearly["indicator"] == "banned") & (yearly["origin"] == "TJ")].iloc[0]
    assert tj["months"] == 6 and tj["mean"] < 0
    with pytest.raises(InputError, match="--year 2030"):
        comparison.summary_lines(2030)


def test_yearly_flows_are_sums_and_stocks_are_means(comparison):
    yearly = comparison.yearly(2010)
    monthly = comparison.differences[comparison.differences["date"].dt.year == 2010]
    for indicator, how in (("removals", "sum"), ("banned", "mean")):
        want = monthly[(monthly["indicator"] == indicator) & (monthly["origin"] == "UZ")]["mean"].agg(how)
        got = yearly[(yearly["indicator"] == indicator) & (yearly["origin"] == "UZ")]["mean"].iloc[0]
        assert got == pytest.approx(want, rel=1e-9, abs=1e-6)


def test_chart_and_table_are_written(comparison, tmp_path):
    png = comparison.chart(tmp_path / "cmp.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = comparison.write(tmp_path / "cmp.csv")
    back = pd.read_csv(table)
    assert len(back) == len(comparison.differences)
    assert (tmp_path / "cmp.csv.json").exists()


# ---- command line -----------------------------------------------------------------


def _cli(args, capsys):
    from sim.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


def test_cli_compare_writes_table_chart_and_summary(early_amnesty, tmp_path, capsys):
    out = tmp_path / "diff.parquet"
    args = ["compare", str(BASELINE), str(early_amnesty), "--seeds", "2", "--households", "1200",
            "--until", "2010-12", "--out", str(out)]  # fmt: skip
    code, stdout, _ = _cli(args, capsys)
    assert code == 0
    assert out.exists() and out.with_suffix(".png").exists()
    from sim.results import read_metadata

    meta = read_metadata(out)
    assert meta["comparison"]["first_difference"] == "2010-07"
    assert meta["ensemble"]["member_seeds"] == list(member_seeds(0, 2))
    assert "banned migrants, Tajikistan, 2010:" in stdout


def test_cli_ensemble_writes_summary(tmp_path, capsys):
    out = tmp_path / "ens.csv"
    code, stdout, _ = _cli(["ensemble", str(BASELINE), "--seeds", "2", "-n", "1200", "--until", "2010-12",
                            "--out", str(out)], capsys)  # fmt: skip
    assert code == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["date", "origin", "indicator", "mean", "p05", "p95"]
    assert "band: seed noise only" in stdout and out.with_suffix(".png").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seeds", "0"], "--seeds 0; allowed"),
        (["--households", "2"], "--households 2; allowed"),
        (["--until", "2040-01"], "--until 2040-01: outside the common horizon"),
        (["--until", "2011-13"], "expected YYYY-MM"),
        (["--year", "2031"], "--year 2031: outside the horizon"),
        (["--out", "x.xlsx"], "unknown format '.xlsx'"),
    ],
)
def test_cli_compare_rejects_bad_input_before_work(early_amnesty, args, message, capsys):
    code, stdout, stderr = _cli(["compare", str(BASELINE), str(early_amnesty), *args], capsys)
    assert code == 2
    assert message in stderr and stderr.startswith("migsim: error:") and stderr.count("\n") == 1
    assert stdout == ""


def test_cli_missing_scenario_exits_2(capsys):
    code, _, stderr = _cli(["ensemble", "no/such/scenario.toml", "--seeds", "2"], capsys)
    assert code == 2 and "scenario file not found" in stderr


def test_scenarios_with_different_starts_are_refused(tmp_path, capsys):
    later = tmp_path / "later.toml"
    later.write_text(f'[scenario]\nextends = "{BASELINE}"\nstart = "2012-01"\n')
    code, _, stderr = _cli(["compare", str(BASELINE), str(later), "--seeds", "2"], capsys)
    assert code == 2 and "need the same start and spin-up" in stderr


def _posterior(path: Path, weights) -> Path:
    frame = pd.DataFrame({"generation": 3, "beta_income": [0.5, 0.9, 1.4], "asc_ru_tj": [-2.0, -1.5, -1.0],
                          "weight": weights, "distance": 0.2})  # fmt: skip
    frame.to_parquet(path)
    return path


def test_posterior_draws_follow_the_weights_and_the_seed(tmp_path):
    from sim.ensemble import posterior_draws

    only_second = _posterior(tmp_path / "one.parquet", [0.0, 1.0, 0.0])
    assert posterior_draws(only_second, 4, seed=1) == [{"beta_income": 0.9, "asc_ru_tj": -1.5}] * 4
    spread = _posterior(tmp_path / "spread.parquet", [0.2, 0.3, 0.5])
    draws = posterior_draws(spread, 200, seed=1)
    assert draws == posterior_draws(spread, 200, seed=1)
    share = np.mean([d["beta_income"] == 1.4 for d in draws])
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / 200)
    with pytest.raises(InputError, match="file not found"):
        posterior_draws(tmp_path / "missing.parquet", 2)


def test_ensemble_cli_with_a_posterior_labels_its_band(tmp_path, capsys):
    from sim.cli import main
    from sim.results import read_metadata

    posterior = _posterior(tmp_path / "posterior.parquet", [0.2, 0.3, 0.5])
    out = tmp_path / "ens.parquet"
    with pytest.raises(SystemExit) as done:
        main(["ensemble", str(BASELINE), "--seeds", "2", "-n", "300", "--until", "2010-04",
              "--posterior", str(posterior), "--out", str(out)])  # fmt: skip
    assert done.value.code in (0, None)
    meta = read_metadata(out)
    assert meta["ensemble"]["band_kind"] == POSTERIOR_AND_SEED
    assert len(meta["ensemble"]["parameter_draws"]) == 2


def test_run_rejects_annual_with_a_posterior(tmp_path, capsys):
    from sim.cli import main

    posterior = _posterior(tmp_path / "posterior.parquet", [0.2, 0.3, 0.5])
    out = tmp_path / "run.parquet"
    with pytest.raises(SystemExit) as done:
        main(
            ["run", str(BASELINE), "-n", "300", "--annual", "--posterior", str(posterior), "--out", str(out)]
        )
    assert done.value.code == 2 and not out.exists()
    assert "--annual with --posterior" in capsys.readouterr().err
