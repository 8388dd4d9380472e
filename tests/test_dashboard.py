"""The dashboard's logic and pages, in-process (``solara.render``; no browser, no CDN)."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import tarfile
from pathlib import Path

import ipyvuetify as v
import numpy as np
import pandas as pd
import pytest

solara = pytest.importorskip("solara")

from pages import PATIENCE_S, rendered_text, texts, wait_until, with_class  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def find_slider(rc, start: str):
    return next(w for w in rc.find(v.Slider).widgets if str(w.label).startswith(start))


# --- levers and ensembles -------------------------------------------------------------------------


def test_levers_add_validated_events(baseline_path):
    import sim
    from dashboards.levers import Levers, apply_levers

    base = sim.load_scenario(baseline_path)
    out = apply_levers(base, Levers(eaeu=("TJ", "KG"), amnesty_share=0.5, campaign=0.2, rub_shock=1.5,
                                    rub_months=0))  # fmt: skip
    assert out.ok
    added = [e.type for e in out.scenario.events[len(base.events) :]]
    assert sorted(added) == ["amnesty", "eaeu_accession", "information_campaign"]  # KG is a member already
    assert out.notes["eaeu_KG"][0] == "already_member"
    assert out.scenario.drivers[-1].variable == "rub_per_usd" and out.scenario.drivers[-1].until is None
    assert apply_levers(base, Levers()).scenario == base  # neutral levers change nothing


def test_levers_report_problems_next_to_controls(baseline_path):
    import sim
    from dashboards.levers import Levers, apply_levers

    base = sim.load_scenario(baseline_path)
    dates = {"TJ": "2022-01", "KG": "2022-01", "UZ": "2009-12"}
    out = apply_levers(base, Levers(eaeu=("UZ",), eaeu_date=dates, campaign=0.1, campaign_from="2022-13"))
    assert out.scenario is None
    assert out.problems["eaeu_UZ"][0] == "before_start"
    assert out.problems["campaign"] == ("bad_month", {"value": "2022-13"})
    late = apply_levers(base.with_end(base.start + 23), Levers(reintegration=0.5, reint_from="2015-01"))
    assert late.ok and late.notes["reintegration"][0] == "after_end"


def synthetic_frame():
    """Two origins, two months, two seeds, both runs: hand-checkable numbers."""
    rows = []
    for run, extra in (("reference", 0.0), ("scenario", 10.0)):
        for seed in (1, 2):
            for date in pd.to_datetime(["2015-01-01", "2015-02-01"]):
                for origin, remit, pct, pov, hh in (("TJ", 100.0, 10.0, 0.5, 1000.0),
                                                    ("KG", 300.0, 20.0, 0.2, 3000.0)):  # fmt: skip
                    rows.append({"run": run, "seed": seed, "date": date, "origin": origin,
                                 "migrants_ru": 100.0 + extra + seed, "migrants_kz": 50.0, "banned": 5.0,
                                 "irregular_ru": 20.0, "returns": 1.0, "remittances_usd": remit,
                                 "remittances_gdp_pct": pct, "poverty_rate": pov,
                                 "households": hh})  # fmt: skip
    return pd.DataFrame(rows)


def test_national_recombines_rates():
    from dashboards.ensemble import national

    out = national(synthetic_frame())
    row = out.iloc[0]
    assert row["migrants_ru"] == pytest.approx(2 * (100.0 + 1))
    # GDP: TJ 100*12/0.10 = 12,000; KG 300*12/0.20 = 18,000; remittances 400*12 = 4,800 -> 16%
    assert row["remittances_gdp_pct"] == pytest.approx(16.0)
    assert row["poverty_rate"] == pytest.approx((0.5 * 1000 + 0.2 * 3000) / 4000)
    only_tj = national(synthetic_frame(), "TJ")
    assert only_tj["remittances_gdp_pct"].iloc[0] == pytest.approx(10.0)


def test_headline_differences_in_words(english):
    from dashboards.ensemble import headline, national
    from dashboards.whatif import describe

    table = headline(national(synthetic_frame()), 2015).set_index("indicator")
    assert table.loc["migrants_ru", "difference"] == pytest.approx(20.0)  # 10 more in each of two origins
    assert table.loc["migrants_ru", "relative"] == pytest.approx(20.0 / 203.0)
    assert table.loc["banned", "difference"] == 0
    words = describe(table.reset_index().iloc[0], 2015)
    assert words.startswith("Migrants in Russia: 20 more") and "(+9.9%)" in words
    low, high = table.loc["migrants_ru", ["low", "high"]]
    assert words.endswith(f"; between +{low:,.0f} and +{high:,.0f} across the members (5-95%).")
    assert (low, high) == (20.0, 20.0)  # both members: 10 more in each of two origins
    assert "about the same" in describe(table.reset_index().iloc[2], 2015)
    with pytest.raises(ValueError):
        headline(national(synthetic_frame()), 1999)


def test_one_band_definition_worked_by_hand():
    """sim.ensemble.band: 5th and 95th percentiles, linear between members; the what-if page uses it."""
    from sim.ensemble import band, structural_band

    low, high = band(np.array([[0.0, 5.0], [10.0, 5.0], [20.0, 5.0]]))  # three members, two points
    assert low.tolist() == pytest.approx([1.0, 5.0]) and high.tolist() == pytest.approx([19.0, 5.0])
    same = structural_band(np.array([[0.0, 5.0], [10.0, 5.0], [20.0, 5.0]]), 0.0)  # each member x64
    assert same[0].tolist() == pytest.approx([0.0, 5.0]) and same[1].tolist() == pytest.approx([20.0, 5.0])
    wider = structural_band(np.array([[5.0], [5.0], [5.0]]), 0.2)  # log-normal error around 5
    assert wider[0][0] == pytest.approx(5.0 * np.exp(-1.6449 * 0.2), rel=0.02)


# --- pages ----------------------------------------------------------------------------------------


def test_whatif_run_produces_table_and_downloads(kernel_context, english, monkeypatch):
    from dashboards import whatif

    monkeypatch.setattr(whatif, "HOUSEHOLDS", 1500)
    box, rc = solara.render(whatif.Page(), handle_error=False)
    find_slider(rc, "Last year").v_model = 2011
    rc.find(v.Checkbox, label="Tajikistan").widget.v_model = True
    date = next(w for w in rc.find(v.TextField).widgets if w.label.startswith("Month") and not w.disabled)
    date.v_model = "2010-13"
    date.fire_event("focusout", None)
    alerts = [str(w.children) for w in rc.find(v.Alert).widgets]
    assert any("'2010-13' is not a month" in a for a in alerts)
    run = rc.find(v.Btn, children=["Run"])
    assert run.widget.disabled  # a bad month blocks the run, shown next to its control
    date.v_model = "2010-06"
    date.fire_event("focusout", None)
    assert not run.widget.disabled
    run.widget.click()
    rc.find(v.Html, class_="headline-line").wait_for(timeout=PATIENCE_S)
    rc.find(v.Btn, children=["Run"], disabled=False).wait_for(timeout=PATIENCE_S)  # the task has finished
    lines = texts(rc, "headline-line")
    assert len(lines) == 6
    # Tajikistan in the EAEU changes things
    assert any(" more " in line or " fewer " in line for line in lines)
    labels = [str(w.children[-1]) for w in rc.find(v.Btn).widgets if w.children]
    assert "Table (CSV)" in labels and "Chart (PNG)" in labels
    toggles = rc.find(v.BtnToggle).widgets
    country = next(w for w in toggles if w.children[0].children == ["All three"])  # all / TJ / KG / UZ
    country.v_model = 1
    title = "In 2011, the scenario against the baseline (Tajikistan)"
    rc.find(v.Html, class_="headline-title", children=[title]).wait_for(timeout=PATIENCE_S)
    assert texts(rc, "headline-line") != lines
    expected = "Results for: the baseline with the levers set at the time, against the baseline"
    assert texts(rc, "results-for") == [expected]
    assert not rc.find(v.Alert, class_="stale-note").widgets
    find_slider(rc, "Last year").v_model = 2012  # an input changes: the results are marked as stale
    rc.find(v.Alert, class_="stale-note").wait_for(timeout=PATIENCE_S)
    (greyed,) = with_class(box, "stale-results")
    assert "opacity:0.45" in greyed.style_
    find_slider(rc, "Last year").v_model = 2011  # back to what they ran with
    rc.find(v.Alert, class_="stale-note").wait_for("detached", timeout=PATIENCE_S)
    rc.close()


def test_whatif_csv_holds_every_year_in_the_sessions_language(english):
    from dashboards import ensemble, whatif
    from dashboards.i18n import lang

    dates = pd.date_range("2010-01-01", periods=24, freq="MS")
    rows = []
    for run, bump in (("reference", 0.0), ("scenario", 1000.0)):
        for seed in (1, 2):
            values = {name: 100.0 + bump + seed for name in ensemble.INDICATORS}
            rows.append(pd.DataFrame({"run": run, "seed": seed, "date": dates, **values}))
    series = pd.concat(rows, ignore_index=True)
    table = ensemble.headline_years(series)
    assert sorted(set(table["year"])) == [2010, 2011]
    english_csv = whatif.table_csv(table, "Tajikistan").splitlines()
    assert next(csv.reader(english_csv[:1])) == ["Country", "Year", "Indicator", "Baseline", "Scenario",
                                                 "Difference", "Difference, 5th percentile over members",
                                                 "Difference, 95th percentile over members"]  # fmt: skip
    assert english_csv[1].startswith("Tajikistan,2010,Migrants in Russia,101.50,1101.50,1000.00")
    assert "e+" not in "\n".join(english_csv)  # no scientific notation
    lang.set("ru")
    russian = whatif.table_csv(table, "Таджикистан").splitlines()
    assert russian[0].startswith("Страна;Год;Показатель;Базовый;Сценарий;Разница")
    assert russian[1].startswith("Таджикистан;2010;Мигранты в России;101,50;1101,50;1000,00")

    annual = ensemble.yearly(series)  # the chart's yearly view: stocks averaged over full years
    assert len(annual) == 2 * 2 * 2 and annual["migrants_ru"].tolist()[0] == 101.0


def test_workshop_steps_resets_and_keeps_the_last_run(kernel_context, english):
    from dashboards import app, workshop
    from dashboards.village import WorkshopModel

    box, rc = solara.render(app.Layout(children=[workshop.Page()]), handle_error=False)
    # the village is built in a thread (compiling on a cold cache) and the page's threads redraw it:
    # wait for each change to show (readiness), never for a fixed time
    rc.find(v.Html, class_="month-counter", children=["Month 0"]).wait_for(timeout=PATIENCE_S)
    for n in (1, 2):  # the page redraws when the step's state change reaches it
        rc.find(v.Btn, children=["Step"]).widget.click()
        rc.find(v.Html, class_="month-counter", children=[f"Month {n}"]).wait_for(timeout=PATIENCE_S)
    assert texts(rc, "shares-now")[0].startswith("Month 2:")

    label = rc.find(v.Html, class_="slider-label", children=["Pull: wages in Russia (x): x1"])
    label.assert_single()
    slider = rc.find(v.Slider, label="").widgets[SLIDER_INDEX["wage_ru_multiplier"]]
    slider.v_model = 3.0
    x3 = "Pull: wages in Russia (x): x3"
    rc.find(v.Html, class_="slider-label", children=[x3]).wait_for(timeout=PATIENCE_S)
    rc.find(v.Html, class_="pending-note").wait_for(timeout=PATIENCE_S)
    rc.find(v.Btn, children=["Reset"]).widget.click()
    rc.find(v.Html, class_="month-counter", children=["Month 0"]).wait_for(timeout=PATIENCE_S)
    markdown = [getattr(w.template, "template", w.template) for w in rc.find(v.VuetifyTemplate).widgets]
    assert any("in Russia x3," in text for text in markdown)
    assert not rc.find(v.Html, class_="pending-note").widgets
    # the run before Reset stays on the shares chart, explained
    dashed = "Dashed: the run before the last Reset, to compare with."
    rc.find(v.Html, children=[dashed]).wait_for(timeout=PATIENCE_S)

    rc.find(v.Select, label="Household").widget.v_model = 299  # an Uzbek household (origins in order)
    wait_until(lambda: workshop.selected.value == 299, timeout=PATIENCE_S)
    origins = next(w for w in rc.find(v.BtnToggle).widgets if w.children[0].children == ["All three"])
    origins.v_model = 1  # one village: Tajikistan's households only, and its shares
    village = WorkshopModel(wage_ru_multiplier=3.0)  # the village on the page, built again
    tajik = np.flatnonzero(village.state.origin == 0).tolist()
    assert 0 < len(tajik) < 300
    wait_until(lambda: rc.find(v.Select, label="Household").widget.items == tajik, timeout=PATIENCE_S)
    assert workshop.selected.value in tajik  # the household up close (and its ring in the picture) follows
    rc.close()


def test_workshop_says_it_is_preparing_until_the_village_is_built(kernel_context, english, monkeypatch):
    import threading

    from dashboards import workshop

    release = threading.Event()
    build = workshop.build_village

    def slow_build(settings):
        release.wait(timeout=60)
        return build(settings)

    monkeypatch.setattr(workshop, "build_village", slow_build)
    box, rc = solara.render(workshop.Page(), handle_error=False)
    rc.find(v.Html, class_="workshop-preparing").wait_for(timeout=PATIENCE_S)
    assert rc.find(v.Btn, children=["Step"]).widget.disabled
    release.set()
    rc.find(v.Html, class_="month-counter", children=["Month 0"]).wait_for(timeout=PATIENCE_S)
    assert not rc.find(v.Html, class_="workshop-preparing").widgets
    assert not rc.find(v.Btn, children=["Step"]).widget.disabled
    rc.close()


SLIDER_INDEX = {"households": 0, "seed": 1, "p_job_home": 2, "wage_home_multiplier": 3,
                "wage_ru_multiplier": 4}  # fmt: skip


def test_workshop_sliders_follow_the_model_defaults():
    from dashboards.village import WorkshopModel
    from dashboards.workshop import SLIDERS, default_settings

    settings = default_settings()
    assert [s.name for s in SLIDERS][: len(SLIDER_INDEX)] == list(SLIDER_INDEX)
    model = WorkshopModel(**settings)  # every slider is a keyword, every default inside its range
    assert model.state.n == settings["households"]
    for spec in SLIDERS:
        assert spec.low <= settings[spec.name] <= spec.high, spec.name


def test_workshop_world_is_stationary_and_levers_pull():
    from dashboards.village import WorkshopModel
    from sim import kernels as k

    model = WorkshopModel(households=120, seed=2)
    table = np.delete(model.timeline.table, k.STEP_IN_YEAR, axis=2)
    assert np.array_equal(table[0], table[-1]) and np.array_equal(table[0], table[37])
    richer = WorkshopModel(households=120, seed=2, wage_ru_multiplier=3.0)
    here, there = model.explain(0)["people"][0], richer.explain(0)["people"][0]
    assert sum(here["p"]) == pytest.approx(1.0)
    assert there["p"][1] > here["p"][1]  # higher Russian wages pull towards Russia
    assert there["pay"][1] == pytest.approx(3 * here["pay"][1])


def test_research_lists_only_folders_under_root(kernel_context, english, tmp_path, monkeypatch):
    from dashboards import research

    root = tmp_path / "results"
    (root / "batch" / "results").mkdir(parents=True)
    pd.DataFrame({"run_id": [0], "beta_network": [1.0]}).to_parquet(root / "batch" / "runs.parquet")
    (root / "calib" / "deep" / "deeper").mkdir(parents=True)
    pd.DataFrame({"name": ["x"], "value": [1.5]}).to_csv(root / "calib" / "validation.csv", index=False)
    (tmp_path / "secret").mkdir()
    (root / "link").symlink_to(tmp_path / "secret")
    assert research.list_folders(root) == [".", "batch", "calib", "calib/deep"]
    for bad in ("..", "../secret", "link", "/etc", "calib/deep/deeper"):
        with pytest.raises(PermissionError):
            research.resolve_choice(root, bad)

    monkeypatch.setenv(research.ENV_RESULTS, str(root))
    box, rc = solara.render(research.Page(), handle_error=False)
    select = rc.find(v.Select, label="Folder").widget
    items = list(select.items)
    assert items[:4] == [".", "batch", "calib", "calib/deep"]
    assert items[4:] == [research.SHIPPED + name for name in research.list_folders(research.SHIPPED_ROOT)[1:]]
    select.v_model = "calib"
    assert texts(rc, "table-caption")[0].startswith("validation.csv: 1 rows")
    rc.close()


def test_research_opens_on_the_shipped_calibration_when_results_are_empty(kernel_context, english, tmp_path,
                                                                         monkeypatch):  # fmt: skip
    from dashboards import research

    monkeypatch.setenv(research.ENV_RESULTS, str(tmp_path / "nothing-yet"))
    box, rc = solara.render(research.Page(), handle_error=False)
    assert rc.find(v.Select, label="Folder").widget.v_model == "migsim/calibration/runs/cal-2021"
    rc.find(v.Html, class_="shipped-note").assert_single()
    assert any(caption.startswith("posterior.parquet") for caption in texts(rc, "table-caption"))
    rc.close()
    for bad in ("..", "../../sim", "x", "cal-2021/../.."):
        with pytest.raises(PermissionError):
            research.resolve_choice(tmp_path, research.SHIPPED + bad)


def test_research_colours_by_scenario_and_rounds_tables(english):
    from dashboards import research
    from dashboards.i18n import lang

    runs = pd.DataFrame({"run_id": [0, 1, 2, 3], "scenario": ["baseline", "baseline", "amnesty", "amnesty"],
                         "point": [0, 1, 0, 1], "replicate": 0, "seed": [5, 5, 5, 5],
                         "beta_network": [1.5, 2.5, 1.5, 2.5], "status": "done", "error": ""})  # fmt: skip
    columns = research.design_columns(runs, "run_id")
    assert columns == ["scenario", "beta_network", "point", "replicate", "seed"]
    assert research.default_colour(runs, columns) == "scenario"
    assert research.default_colour(runs[runs.scenario == "baseline"], columns) == "beta_network"

    table = pd.DataFrame({"model": [3543849.63, 0.0123456, 27.3149, float("nan")], "n": [1, 2, 3, 4]})
    shown = research.display_table(table)
    assert shown["model"].tolist() == ["3,543,850", "0.01235", "27.31", ""]
    assert shown["n"].tolist() == [1, 2, 3, 4]  # integers as they are
    lang.set("ru")
    assert research.display_table(table)["model"].tolist()[:2] == ["3\u00a0543\u00a0850", "0,01235"]


def test_language_switch_changes_labels(kernel_context, english):
    from dashboards import whatif

    box, rc = solara.render(whatif.Page(), handle_error=False)
    rc.find(v.Btn, children=["Run"]).assert_single()
    switch = rc.find(v.BtnToggle).widget
    switch.v_model = 1  # the second choice, Русский
    rc.find(v.Btn, children=["Запустить"]).assert_single()
    assert rc.find(v.Checkbox, label="Таджикистан").widgets
    switch.v_model = 0
    rc.find(v.Btn, children=["Run"]).assert_single()
    rc.close()


def test_every_label_exists_in_both_languages():
    from dashboards.i18n import TEXT

    used = set()
    for path in (ROOT / "dashboards").glob("*.py"):
        used |= set(re.findall(r'\bt\(\s*"([a-zA-Z_]+)"', path.read_text()))
    missing = sorted(key for key in used if key not in TEXT)
    assert not missing
    for key, entry in TEXT.items():
        assert set(entry) == {"en", "ru"}, key
        fields = [set(re.findall(r"{(\w*)}", entry[lang])) for lang in ("en", "ru")]
        assert fields[0] == fields[1], key


# --- assets and the command line --------------------------------------------------------------------


def fake_npm(calls):
    """An ``npm pack`` stand-in: writes a tarball with a ``package/`` folder."""

    class Done:
        returncode = 0
        stderr = ""

    def run(cmd, cwd, capture_output, text):
        spec = cmd[2]
        calls.append(spec)
        name = re.sub(r"[@/]", "-", spec.strip("@")) + ".tgz"
        with tarfile.open(Path(cwd) / name, "w:gz") as archive:
            data = f"// {spec}".encode()
            info = tarfile.TarInfo("package/dist/main.js")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        done = Done()
        done.stdout = f"{name}\n"
        return done

    return run


def test_assets_fill_cache_once(tmp_path):
    from dashboards import assets

    calls = []
    report = assets.fill_cache(tmp_path, npm="npm", run=fake_npm(calls))
    assert [s for s, status in report if status == "fetched"] == list(assets.SPECS)
    assert (tmp_path / "@widgetti/solara-vuetify-app@10.1.1/dist/main.js").read_text().endswith("10.1.1")
    assert (tmp_path / "vega@5/dist/main.js").exists() and assets.missing(tmp_path) == []
    again = assets.fill_cache(tmp_path, npm="npm", run=fake_npm(calls))
    assert {status for _, status in again} == {"present"} and len(calls) == len(assets.SPECS)


def test_assets_without_npm_says_what_to_do(tmp_path, monkeypatch):
    from dashboards import assets
    from sim.errors import InputError

    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(InputError, match="npm is not installed"):
        assets.fill_cache(tmp_path / "cache")


def test_dashboard_command_checks_port_and_assets(tmp_path, capsys):
    from sim.cli import main

    cases = (
        (["dashboard", "--port", "0"], "--port 0"),
        (["dashboard", "--assets-dir", str(tmp_path)], "run `migsim assets` first"),
    )
    for argv, message in cases:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert message in capsys.readouterr().err


def test_server_environment(tmp_path):
    from dashboards.server import command, environment, thread_safe_layer

    env = environment(tmp_path / "res", tmp_path / "cache", base={"NUMBA_THREADING_LAYER": "workqueue"})
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str((tmp_path / "cache").resolve())
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env.get("NUMBA_THREADING_LAYER") == thread_safe_layer()  # never workqueue for a server
    assert env["MIGSIM_RESULTS"] == str((tmp_path / "res").resolve())
    assert env["SOLARA_THEME_SHOW_BANNER"] == "False"
    assert env["MIGSIM_WARM_UP"] == "1"  # the server warms the what-if baseline; tests importing app do not
    assert command("127.0.0.1", 9999)[-5:] == ["--production", "--host", "127.0.0.1", "--port", "9999"]


def test_research_reads_only_regular_files_inside_the_folder(tmp_path):
    """Links to files outside, /dev/zero and a FIFO are neither listed nor read (issue 15)."""
    import os

    import pandas as pd

    from dashboards.research import folder_files, is_safe

    folder = tmp_path / "runs"
    folder.mkdir()
    pd.DataFrame({"a": [1, 2]}).to_csv(folder / "good.csv", index=False)
    (folder / "hosts.csv").symlink_to("/etc/hosts")
    (folder / "zero.csv").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.csv")
    (folder / "linked.parquet").symlink_to(tmp_path, target_is_directory=True)
    tables, images = folder_files(folder)
    assert [p.name for p in tables] == ["good.csv"] and images == []
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n")
    assert not is_safe(folder / "pipe.csv", folder) and not is_safe(outside, folder)


def test_the_table_year_is_the_first_full_year_of_the_change(baseline_path):
    import sim
    from dashboards.levers import NEXT_YEAR, Levers
    from dashboards.whatif import SCENARIO_DIR, first_full_year

    base = sim.load_scenario(baseline_path)
    assert first_full_year(base, base) is None
    assert first_full_year(sim.load_scenario(SCENARIO_DIR / "eaeu_uzbekistan.toml"), base) == 2027  # 2027-01
    assert first_full_year(sim.load_scenario(SCENARIO_DIR / "border_closure.toml"), base) == 2026  # 2025-03
    assert Levers().amnesty_date == NEXT_YEAR and int(NEXT_YEAR[:4]) > 2025  # levers default to the future


def test_warming_the_reference_leaves_only_the_scenario_to_run(baseline_path):
    import sim
    from dashboards import ensemble

    base = sim.load_scenario(baseline_path)
    reference = base.with_end(base.start + 3)
    scenario = dataclasses.replace(reference, name="other", title="other")
    ensemble.run_one.cache_clear()
    ensemble.warm_reference(reference, 200, (1, 2))
    before = ensemble.run_one.cache_info()
    ensemble.run_pair(scenario, reference, 200, (1, 2))
    after = ensemble.run_one.cache_info()
    # the two reference members come from the cache, the two scenario members are run
    assert (after.hits - before.hits, after.misses - before.misses) == (2, 2)


@pytest.mark.parametrize("page", ["whatif", "workshop", "research", "drove"])
def test_every_page_is_in_russian_when_russian_is_chosen(kernel_context, english, page):
    """No English text of the dashboard's own table (dashboards/i18n.py) is left on a page in Russian."""
    import importlib

    from dashboards import app
    from dashboards.i18n import TEXT, lang

    lang.set("ru")
    module = importlib.import_module(f"dashboards.{page}")
    box, rc = solara.render(app.Layout(children=[module.Page()]), handle_error=False)
    if page == "workshop":
        rc.find(v.Html, class_="month-counter").wait_for(timeout=PATIENCE_S)
    text = rendered_text(box)
    starts = [(entry["en"].split("{")[0].strip(), entry["ru"]) for entry in TEXT.values()]
    english = {en for en, ru in starts if en not in ru}  # "18-29" is also part of "18-29 лет"
    left = sorted(e for e in english if len(e) > 3 and e in text)
    assert not left, left
    widget_words = {"all", "ALL", "Rows per page", "Use Threads", "Controls", "Step", "Reset", "No data"}
    left = widget_words & {line.strip() for line in text.splitlines()}
    assert not left, left
    rc.close()


def test_whatif_whole_run_csv_and_the_difference_view(english):
    from dashboards import ensemble, whatif

    frame = synthetic_frame()
    done = whatif.RunResult(frame, 2015, 2015, ("eaeu_uzbekistan.toml", whatif.Levers(), 2015),
                            ({"type": "amnesty", "share": "0.5"},))  # fmt: skip
    text = whatif.run_csv(frame, done, "TJ")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[0] == "# Scenario: Uzbekistan joins the EAEU in 2027 (eaeu_uzbekistan.toml), Tajikistan"
    assert '"type": "amnesty"' in header[1] and '"seed": 1' in header[2] and header[4].startswith("# migsim ")
    table = pd.read_csv(io.StringIO(text), comment="#")
    assert list(table.columns[:3]) == ["Run", "Member seed", "Month"] and "Migrants in Russia" in table
    assert len(table) == 8 and table["Month"].tolist()[:2] == ["2015-01", "2015-02"]  # 2 runs x 2 seeds x 2
    assert table["Poverty rate, %"].iloc[0] == pytest.approx(50.0)  # shares in percent

    diff = ensemble.differences(ensemble.national(frame))
    assert set(diff["run"]) == {"difference"} and len(diff) == 4  # 2 seeds x 2 months
    assert (diff["migrants_ru"] == 20.0).all() and (diff["banned"] == 0.0).all()  # 10 more in each origin
    png = ensemble.chart_png(diff, {}, ("Baseline", "Scenario", "Scenario - baseline"))
    assert png[:4] == b"\x89PNG"


def test_hover_chart_shows_the_members_mean_and_band_in_the_sessions_language():
    """Values on hover: the mean and 5-95% band of the two members, worked out by hand, formatted in
    Russian; the chart's tooltip names them and picks the nearest date."""
    from dashboards import ensemble, hover

    series = ensemble.national(synthetic_frame())  # members 202 and 204 (reference), 222 and 224
    labels = {name: name for name in ensemble.INDICATORS}
    frame = hover.hover_frame(series, labels, {"reference": "База", "scenario": "Сценарий"},
                              grades={"migrants_ru": "подогнан"}, lang="ru")  # fmt: skip
    row = frame[(frame["indicator"] == "migrants_ru") & (frame["run"] == "reference")].iloc[0]
    assert (row["mean"], row["low"], row["high"]) == pytest.approx((203.0, 202.1, 203.9))
    assert (row["value"], row["range"], row["when"]) == ("203", "202 – 204", "2015-01")
    assert row["panel"] == "migrants_ru (подогнан)" and row["series"] == "База"
    poverty = frame[(frame["indicator"] == "poverty_rate") & (frame["run"] == "scenario")].iloc[0]
    assert poverty["value"] == "27,50"  # (0.5 x 1000 + 0.2 x 3000) / 4000, in percent, decimal comma
    spec = hover.chart(frame, {key: key.upper() for key in hover.TOOLTIP}, year=2015, lang="ru").to_dict()
    text = str(spec)
    assert "'nearest': True" in text and "'title': 'RANGE'" in text and "regexp(',', 'g')" in text
    assert spec["columns"] == 3 and spec["resolve"]["scale"]["y"] == "independent"


def test_hover_spec_is_built_without_altairs_global_renderer():
    """Two sessions draw at once: the page hands the Vega-Lite spec (``to_dict``) to the widget, which does
    not depend on Altair's global renderer (solara.FigureAltair switches it around each render, and a
    second session's switch made the first one's bundle a KeyError)."""
    import threading

    import altair as alt

    from dashboards import ensemble, hover

    series = ensemble.national(synthetic_frame())
    frame = hover.hover_frame(series, {}, {"reference": "Baseline", "scenario": "Scenario"})
    titles = {key: key for key in hover.TOOLTIP}
    stop, errors, specs = threading.Event(), [], []

    def switch():
        while not stop.is_set():
            with alt.renderers.enable("mimetype"):
                pass

    def draw():
        try:
            for _ in range(20):
                specs.append(hover.chart(frame, titles).to_dict())
        except Exception as exc:  # noqa: BLE001 (collected and asserted below)
            errors.append(exc)

    switcher = threading.Thread(target=switch)
    switcher.start()
    drawers = [threading.Thread(target=draw) for _ in range(3)]
    for thread in drawers:
        thread.start()
    for thread in drawers:
        thread.join()
    stop.set()
    switcher.join()
    assert not errors and len(specs) == 60
    assert all(spec == specs[0] for spec in specs)
