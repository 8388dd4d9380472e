"""The scenario set: every file loads and runs, each policy moves its indicators the
expected way against the baseline (ensembles with common random numbers), and bad
scenario files fail with a clear message."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.compare import compare_ensembles
from sim.ensemble import Ensemble, member_bands, run_ensemble
from sim.errors import InputError
from sim.months import format_month, parse_month

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
FILES = sorted(SCENARIOS.glob("*.toml"))
SEEDS, HOUSEHOLDS, ROOT_SEED = 3, 3000, 11
LAST = "2028-12"  # the shared baseline ensemble runs to here


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Small runs on one numba thread: a 3,000-household run is a single block, and on a
    shared machine a parallel loop waiting for busy cores is several times slower."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)


def _last_own_change(path: Path) -> int:
    """The latest month a file's own events or driver changes start."""
    raw = tomllib.loads(path.read_text())
    months = [parse_month(e.get("date", e.get("from")), "") for e in raw.get("events", [])]
    months += [parse_month(d["from"], "") for d in raw.get("drivers", [])]
    return max(months)


# ---- every file -------------------------------------------------------------


def test_scenario_set_is_complete():
    names = {p.stem for p in FILES}
    expected = {"baseline", "eaeu_tajikistan", "eaeu_uzbekistan", "ban_amnesty", "kazakhstan_open",
                "information_campaign", "remittance_cost_cut", "reintegration", "rouble_shock",
                "border_closure"}  # fmt: skip
    assert expected <= names


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_scenario_loads_and_runs(path):
    scenario = sim.load_scenario(path)
    assert scenario.title and scenario.end >= scenario.start
    text = path.read_text()
    assert text.startswith("#"), "a scenario file begins with its comment block"
    head = text.split("[scenario]")[0].lower()
    assert "question" in head and "lever" in head and "source" in head
    if path != BASELINE:
        assert scenario.lineage[0] == str(BASELINE.resolve())
        assert scenario.end == parse_month("2030-12", "")
    until = format_month(min(scenario.end, _last_own_change(path) + 3))
    frame = sim.run(scenario, households=1500, seed=1, until=until).frame
    assert frame["date"].max() == pd.Timestamp(f"{until}-01")
    assert set(frame["origin"]) == {"TJ", "KG", "UZ"}
    numbers = frame[["migrants_ru", "migrants_kz", "banned", "remittances_usd"]].to_numpy()
    assert np.isfinite(numbers).all() and (numbers >= 0).all()


def test_every_change_carries_a_note():
    for path in FILES:
        raw = tomllib.loads(path.read_text())
        for table in (*raw.get("events", []), *raw.get("drivers", [])):
            assert table.get("note"), f"{path.name}: {table} has no note"


def test_baseline_history_does_not_depend_on_the_driver_path():
    """Through 2025-12 the low, central and high paths give the same numbers; after, they part."""
    base = sim.load_scenario(BASELINE)
    assert format_month(base.end) == "2030-12" and base.driver_path == "central"
    low = sim.run(base.with_driver_path("low"), households=2000, seed=4, until="2026-12").frame
    high = sim.run(base.with_driver_path("high"), households=2000, seed=4, until="2026-12").frame
    history = low["date"] < "2026-01-01"
    pd.testing.assert_frame_equal(low[history], high[history])
    late = low["date"] >= "2026-06-01"
    assert (low.loc[late, "remittances_usd"].sum()) < (high.loc[late, "remittances_usd"].sum())


def test_baseline_closes_and_reopens_borders_per_origin_and_lifts_2021_bans():
    frame = sim.run(BASELINE, households=3000, seed=2, until="2021-12").frame
    in_window = frame["date"].between("2020-04-01", "2021-03-01")
    tj_uz = frame["origin"].isin(["TJ", "UZ"])
    assert frame.loc[in_window & tj_uz, "departures_ru"].sum() == 0
    assert frame.loc[in_window, "departures_kz"].sum() == 0
    kg = frame["origin"] == "KG"
    assert frame.loc[kg & frame["date"].between("2020-04-01", "2020-09-01"), "departures_ru"].sum() == 0
    assert frame.loc[kg & frame["date"].between("2020-10-01", "2021-03-01"), "departures_ru"].sum() > 0
    assert frame.loc[frame["date"] >= "2021-04-01", "departures_ru"].sum() > 0
    # no removals from Russia while Decrees 274 and 364 freeze stays (2020-04 to 2021-09): no new bans
    frozen = frame[frame["date"].between("2020-04-01", "2021-09-01")]
    for _, rows in frozen.groupby("origin"):
        banned = rows["banned"].to_numpy()  # scaled persons: the weight grows with population
        assert (np.diff(banned) <= 0.005 * banned[:-1]).all()
    for origin in ("TJ", "UZ"):
        rows = frame[frame["origin"] == origin].set_index("date")["banned"]
        assert rows["2021-08-01"] < rows["2021-07-01"]


# ---- directions against the baseline, common random numbers ------------------


@pytest.fixture(scope="module")
def base_ensemble() -> Ensemble:
    return run_ensemble(BASELINE, seeds=SEEDS, seed=ROOT_SEED, households=HOUSEHOLDS, until=LAST)


def _versus_base(base: Ensemble, name: str, until: str):
    members = base.members[base.members["date"] <= f"{until}-01"].reset_index(drop=True)
    cut = Ensemble(members, member_bands(members), base.seeds, base.band_kind, base.metadata)
    other = run_ensemble(SCENARIOS / f"{name}.toml", seeds=SEEDS, seed=ROOT_SEED,
                         households=HOUSEHOLDS, until=until)  # fmt: skip
    return compare_ensembles(cut, other)


def _member_totals(members: pd.DataFrame, column: str, origins, start: str, end: str | None = None):
    rows = members[members["origin"].isin(origins) & (members["date"] >= f"{start}-01")]
    if end is not None:
        rows = rows[rows["date"] <= f"{end}-01"]
    return rows.groupby("member")[column].sum().to_numpy()


def _change(comparison, column, origins, start, end=None):
    """Per-member change (other - base) of a column summed over months and origins."""
    base = _member_totals(comparison.base.members, column, origins, start, end)
    other = _member_totals(comparison.other.members, column, origins, start, end)
    return other - base, base


def test_results_identical_until_the_event(base_ensemble):
    comparison = _versus_base(base_ensemble, "ban_amnesty", "2025-03")
    assert comparison.first_difference == pd.Timestamp("2025-01-01")
    before = comparison.differences[comparison.differences["date"] < "2025-01-01"]
    assert (before[["mean", "p05", "p95"]].fillna(0) == 0).all().all()


def test_amnesty_lowers_bans_and_raises_migrants_in_russia(base_ensemble):
    comparison = _versus_base(base_ensemble, "ban_amnesty", "2026-12")
    for origin in ("TJ", "UZ"):
        banned, _ = _change(comparison, "banned", [origin], "2025-01")
        migrants, _ = _change(comparison, "migrants_ru", [origin], "2025-01")
        assert (banned < 0).all(), (origin, banned)
        assert (migrants > 0).all(), (origin, migrants)


def test_tajik_eaeu_accession_lowers_the_irregular_share(base_ensemble):
    comparison = _versus_base(base_ensemble, "eaeu_tajikistan", "2028-06")

    def share(members):
        irregular = _member_totals(members, "irregular_ru", ["TJ"], "2027-02")
        return irregular / _member_totals(members, "migrants_ru", ["TJ"], "2027-02")

    before, after = share(comparison.base.members), share(comparison.other.members)
    assert (after < before).all(), (before, after)
    assert after.mean() < 0.5 * before.mean()


def test_kazakhstan_opening_raises_migrants_in_kazakhstan(base_ensemble):
    comparison = _versus_base(base_ensemble, "kazakhstan_open", "2026-12")
    change, _ = _change(comparison, "migrants_kz", ["TJ", "KG", "UZ"], "2025-01")
    assert (change > 0).all(), change


def test_information_campaign_lowers_denials_and_raises_kazakhstan(base_ensemble):
    comparison = _versus_base(base_ensemble, "information_campaign", "2026-12")
    denied, base_denied = _change(comparison, "denied_entry", ["TJ", "KG", "UZ"], "2025-01")
    kz, _ = _change(comparison, "migrants_kz", ["TJ", "KG", "UZ"], "2025-01")
    assert base_denied.sum() > 0, "the baseline must have denials for the test to mean anything"
    assert (denied < 0).all(), denied
    assert (kz > 0).all(), kz


def test_remittance_cost_cut_raises_remittances(base_ensemble):
    comparison = _versus_base(base_ensemble, "remittance_cost_cut", "2025-12")
    for origin in ("TJ", "KG", "UZ"):
        change, base = _change(comparison, "remittances_usd", [origin], "2025-01")
        assert (change > 0).all(), (origin, change)
        # choices ignore the cost: money received rises by about (1 - c/2) / (1 - c) - 1
        assert (change / base < 0.02).all()


def test_reintegration_lowers_vulnerable_returnees(base_ensemble):
    comparison = _versus_base(base_ensemble, "reintegration", "2026-12")
    change, base = _change(comparison, "vulnerable_returnees", ["TJ", "KG", "UZ"], "2025-01")
    assert base.sum() > 0
    assert (change < 0).all(), change


def test_rouble_shock_lowers_remittances_in_dollars(base_ensemble):
    comparison = _versus_base(base_ensemble, "rouble_shock", "2025-12")
    for origin in ("TJ", "KG", "UZ"):
        change, _ = _change(comparison, "remittances_usd", [origin], "2025-01")
        assert (change < 0).all(), (origin, change)


def test_border_closure_stops_departures_while_closed(base_ensemble):
    comparison = _versus_base(base_ensemble, "border_closure", "2026-09")
    other, base = comparison.other.members, comparison.base.members
    closed = (other["date"] >= "2025-03-01") & (other["date"] <= "2026-03-01")
    assert (other.loc[closed, "departures_ru"] == 0).all()
    assert (other.loc[closed, "departures_kz"] == 0).all()
    assert base.loc[closed, "departures_ru"].sum() > 0
    assert other.loc[other["date"] >= "2026-04-01", "departures_ru"].sum() > 0


# ---- bad scenario files --------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _child(path: Path, event: str) -> Path:
    """A scenario extending the baseline with one event (TOML lines)."""
    return _write(path, f'[scenario]\nextends = "{BASELINE}"\n\n[[events]]\n{event}\n')


def test_a_scenario_that_extends_itself_fails(tmp_path):
    path = _write(tmp_path / "loop.toml", '[scenario]\nextends = "loop.toml"\n')
    with pytest.raises(InputError, match=r"loop\.toml.*extends itself"):
        sim.load_scenario(path)


def test_a_cycle_of_two_files_fails(tmp_path):
    _write(tmp_path / "a.toml", '[scenario]\nextends = "b.toml"\n')
    _write(tmp_path / "b.toml", '[scenario]\nextends = "a.toml"\n')
    with pytest.raises(InputError, match="extends itself"):
        sim.load_scenario(tmp_path / "a.toml")


def test_a_missing_parent_fails(tmp_path):
    path = _write(tmp_path / "orphan.toml", '[scenario]\nextends = "nowhere.toml"\n')
    with pytest.raises(InputError, match=r"orphan\.toml.*extends 'nowhere\.toml', which does not exist"):
        sim.load_scenario(path)


def test_an_event_before_the_start_fails(tmp_path):
    path = _child(tmp_path / "early.toml", 'type = "amnesty"\ncountry = "TJ"\ndate = "2005-01"\nshare = 0.5')
    message = r"early\.toml.*events\[0\]\.date: 2005-01 is before the scenario start 2010-01"
    with pytest.raises(InputError, match=message):
        sim.load_scenario(path)


@pytest.mark.parametrize("share", [1.5, -0.1])
def test_a_share_outside_0_1_fails(tmp_path, share):
    event = f'type = "amnesty"\ncountry = "UZ"\ndate = "2025-01"\nshare = {share}'
    path = _child(tmp_path / "share.toml", event)
    message = r"share\.toml.*events\[0\]\.share: .* out of range; allowed \[0\.0, 1\.0\]"
    with pytest.raises(InputError, match=message):
        sim.load_scenario(path)


def test_unknown_keys_and_event_types_fail(tmp_path):
    path = _child(tmp_path / "typo.toml", 'type = "amnesty"\ncountry = "UZ"\ndate = "2025-01"\nshares = 0.5')
    with pytest.raises(InputError, match=r"unknown key 'shares'; allowed: .*share"):
        sim.load_scenario(path)
    path = _child(tmp_path / "kind.toml", 'type = "visa_regime"\nfrom = "2025-01"')
    with pytest.raises(InputError, match=r"unknown event 'visa_regime'; allowed: ban_law"):
        sim.load_scenario(path)


def test_bad_scenario_on_the_command_line_exits_2(tmp_path, capsys):
    from sim.cli import main

    path = _write(tmp_path / "loop.toml", '[scenario]\nextends = "loop.toml"\n')
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", str(BASELINE), str(path), "--seeds", "2", "-n", "100"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "migsim: error:" in err and "extends itself" in err


def test_an_event_after_the_horizon_is_warned_about(tmp_path):
    path = tmp_path / "late.toml"
    path.write_text(
        f'[scenario]\nextends = "{BASELINE.resolve()}"\nend = "2012-12"\n'
        '[[events]]\ntype = "amnesty"\ncountry = "TJ"\ndate = "2015-01"\nshare = 0.5\nnote = "late"\n'
    )
    with pytest.warns(UserWarning, match=r"events\[0\] \(amnesty\) starts 2015-01, after the scenario's end"):
        sim.load_scenario(path)


@pytest.mark.parametrize(
    "table, words",
    [
        (
            'variable = "rub_per_usd"\nfrom = "2020-01"\nuntil = "2019-01"\nmultiply = 1.1',
            "before its 'from'",
        ),
        ('variable = "rub_per_usd"\nfrom = "1800-01"\nmultiply = 1.1', "1900"),
    ],
)
def test_driver_months_are_checked_like_event_months(tmp_path, table, words):
    path = tmp_path / "bad.toml"
    path.write_text(f'[scenario]\nextends = "{BASELINE.resolve()}"\n[[drivers]]\n{table}\nnote = "x"\n')
    with pytest.raises(InputError, match=words):
        sim.load_scenario(path)
