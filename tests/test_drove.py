"""The "What drove it?" page in-process (``solara.render``): a shipped episode, Russian, the form."""

from __future__ import annotations

import re

import ipyvuetify as v
import ipywidgets
import pytest

solara = pytest.importorskip("solara")

from pages import PATIENCE_S, rendered_text, texts  # noqa: E402

EPISODE = "2013-2015"


def markdown_texts(rc) -> list[str]:
    return [getattr(w.template, "template", w.template) for w in rc.find(v.VuetifyTemplate).widgets]


def type_in(rc, label: str, text: str) -> None:
    """Type ``text`` into the text field ``label`` and leave it (the page reads it then)."""
    field = rc.find(v.TextField, label=label).widget
    field.v_model = text
    field.fire_event("focusout", None)


@pytest.fixture
def fresh_page():
    """The page's per-session state as a new session finds it."""
    from dashboards import drove

    drove.episode_state.set(EPISODE)
    drove.episode_view.set(("remittances_usd", "all"))
    drove.request_state.set(drove.Request())
    drove.live_state.set(None)
    drove.error_state.set(None)
    yield drove


def test_episode_files_are_shipped_and_add_up():
    """Every shipped episode: drift + contributions = total change per cell; lines in both languages."""
    from dashboards import episodes

    shipped = episodes.available()
    assert EPISODE in shipped
    for name in shipped:
        answer = episodes.load(name)
        cells = answer.table.dropna(subset=["total_change"]).groupby(["indicator", "origin", "group"])
        sums, totals = cells["contribution"].sum(), cells["total_change"].first()
        scale = cells["contribution"].apply(lambda c: c.abs().sum()) + totals.abs() + 1.0
        assert ((sums - totals).abs() <= 1e-5 * scale).all(), name  # the CSV keeps 6 significant digits
        assert {"all"} < set(answer.table["group"])  # who was hit: regions and sexes besides "all"
        assert len(answer.lines_for("remittances_usd", "ru")) >= len(answer.origins)
        assert all(line.startswith("С ") or line.startswith("Закон") for line in answer.lines["ru"])


def test_episode_opens_with_its_lines_and_tables(kernel_context, english, fresh_page):
    from dashboards import episodes

    drove = fresh_page
    answer = episodes.load(EPISODE)
    box, rc = solara.render(drove.Page(), handle_error=False)
    lines = texts(rc, "drove-line")
    # the remittance lines of the three origins, then the ban law's: straight from summary_en.txt
    assert lines == answer.lines_for("remittances_usd", "en")
    assert lines[0].startswith("From 2013 to 2015 Tajik remittances")
    size = episodes.settings()["episodes"][EPISODE]  # the size it was computed at, from settings.json
    (note,) = [w.children[0] for w in rc.find(v.Html, class_="episode-size").widgets]
    assert f"{size['households']:,} households per run, {size['seeds']} members" in note
    assert len(rc.find(ipywidgets.Image).widgets) == 3  # a waterfall per origin
    tables = markdown_texts(rc)
    numbers = next(text for text in tables if "<th>Cause</th>" in text)
    assert "<td>Drift (momentum, seasonality)</td>" in numbers and "<strong>Total change</strong>" in numbers
    tj = drove.rows_of(answer, "remittances_usd", "TJ").set_index("factor")
    total = float(tj["total_change"].iloc[0]) / 1e6  # USD in millions, with separators
    assert f"<strong>{'+' if total > 0 else '−'}{abs(total):,.0f}</strong>" in numbers
    assert any("<td>as calibrated</td>" in text for text in tables)  # the ban law's total effect
    assert rc.find(v.Alert, class_="hit-pick").widgets  # who was hit: one country at a time
    toggle = next(w for w in rc.find(v.BtnToggle).widgets if w.children[0].children == ["All three"])
    toggle.v_model = 1  # Tajikistan
    rc.find(v.Html, class_="hit-table").wait_for(timeout=PATIENCE_S)
    assert len(rc.find(ipywidgets.Image).widgets) == 1
    hit = next(text for text in markdown_texts(rc) if "<th>Group</th>" in text)
    assert "<td>Sughd, men</td>" in hit and "<td>Sughd, women</td>" in hit
    rc.close()


def test_the_page_is_in_russian_when_russian_is_chosen(kernel_context, english, fresh_page):
    from dashboards import app, episodes
    from dashboards.i18n import TEXT, lang

    drove = fresh_page
    lang.set("ru")
    drove.episode_view.set(("remittances_usd", "TJ"))
    box, rc = solara.render(app.Layout(children=[drove.Page()]), handle_error=False)
    assert texts(rc, "drove-line") == episodes.load(EPISODE).lines_for("remittances_usd", "ru")
    text = rendered_text(box)
    assert "Чем это вызвано?" in text and "Изменение в целом" in text and "мужчины" in text
    starts = [(entry["en"].split("{")[0].strip(), entry["ru"]) for entry in TEXT.values()]
    english_left = sorted(en for en, ru in starts if en not in ru and len(en) > 3 and en in text)
    assert not english_left, english_left
    numbers = next(t for t in markdown_texts(rc) if "<th>Причина</th>" in t)
    cells = re.findall(r"<td>(.*?)</td>", numbers)
    assert any("\u00a0" in cell for cell in cells)  # Russian number style: spaces for thousands
    assert not any(re.search(r"\d[.]\d", cell) for cell in cells)  # and decimal commas, not points
    rc.close()


def test_bad_month_in_the_form_gives_one_line(kernel_context, english, fresh_page):
    drove = fresh_page
    box, rc = solara.render(drove.Page(), handle_error=False)
    type_in(rc, "To (YYYY or YYYY-MM)", "2015-06")
    type_in(rc, "From (YYYY or YYYY-MM)", "2014-13")
    rc.find(v.Alert, class_="form-error").wait_for(timeout=PATIENCE_S)
    (message,) = [str(w.children[0]) for w in rc.find(v.Alert, class_="form-error").widgets]
    assert "2014-13" in message and "\n" not in message and "Traceback" not in message
    assert rc.find(v.Btn, children=["Run"]).widget.disabled
    type_in(rc, "From (YYYY or YYYY-MM)", "2014-06")
    rc.find(v.Alert, class_="form-error").wait_for("detached", timeout=PATIENCE_S)
    assert not rc.find(v.Btn, children=["Run"]).widget.disabled
    rc.close()


def test_the_form_runs_a_tiny_attribution_and_greys_stale_results(kernel_context, english, fresh_page):
    drove = fresh_page
    drove.request_state.set(drove.Request(start="2014", end="2015", indicators=("remittances_usd",),
                                          factors=("rouble", "russian_economy"), households=300, seeds=1,
                                          by=False))  # fmt: skip
    box, rc = solara.render(drove.Page(), handle_error=False)
    assert any(str(w.children[0]) == "4 runs" for w in rc.find(v.Html, class_="runs-needed").widgets)
    rc.find(v.Btn, children=["Run"]).widget.click()
    rc.find(v.Html, class_="results-for").wait_for(timeout=PATIENCE_S)
    rc.find(v.Btn, children=["Run"], disabled=False).wait_for(timeout=PATIENCE_S)
    assert not drove.error_state.value
    found = [w.children[0] for w in rc.find(v.Html, class_="results-for").widgets]
    (asked,) = found
    assert asked.startswith("Results for: 2014 to 2015; Remittances")
    assert "factors: the rouble, Russia's economy;" in asked and "300 households x 1 members" in asked
    answer, _ = drove.live_state.value
    assert {"drift", "rouble", "russian_economy"} <= set(answer.table["factor"]) <= {
        "drift", "rouble", "russian_economy", "measurement"}  # fmt: skip
    assert any("From 2014 to 2015" in line for line in texts(rc, "drove-line"))
    assert not rc.find(v.Alert, class_="stale-note").widgets
    type_in(rc, "To (YYYY or YYYY-MM)", "2016")
    rc.find(v.Alert, class_="stale-note").wait_for(timeout=PATIENCE_S)
    rc.close()
