"""The three pages in headless Chromium: load, change a control, run or step, see numbers and charts change.

Screenshots go to ``test-artifacts/browser/``; with ``MIGSIM_UPDATE_SCREENSHOTS=1`` (or when missing)
one per page is copied to ``docs/img/`` for the README.
"""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect
# Every expectation waits for the page to get there: the server redraws after each click, and on a
# busy 2-core machine a redraw with a chart can take several seconds (an upper bound, not a sleep).
expect.set_options(timeout=120_000)  # ms, a bound on a hang (busy machine)

WIDGETS_S = 180_000  # ms: the first widgets arrive over the websocket after the HTTP page
RUN_S = 300_000  # an upper bound for a run or a redraw on a busy machine, not a time anything takes
HEADLINES_CHANGED = """(old) => {
    const lines = Array.from(document.querySelectorAll('.headline-line')).map((e) => e.innerText);
    return lines.length > 0 && lines.join('|') !== old;
}"""


def open_whatif(page, url: str) -> None:
    """Load the what-if page and shorten the run to 2010-2011 (the last-year slider to its minimum)."""
    page.goto(url + "/")
    page.get_by_role("button", name="Run", exact=True).wait_for(timeout=WIDGETS_S)
    page.get_by_role("slider").first.focus()
    page.keyboard.press("Home")
    expect(page.get_by_text("Last year of the run: 2011")).to_be_visible()


def headlines(page) -> list[str]:
    return page.locator(".headline-line").all_inner_texts()


def read_on_hover(page, words: str) -> None:
    """Point at the first panel of the what-if chart until its tooltip shows ``words``.

    The chart is redrawn (a new canvas) after each change of view, so the pointer is moved again over
    whichever canvas is there, until the deadline: an upper bound, not a sleep.
    """
    chart = page.locator(".whatif-chart canvas, .whatif-chart svg.marks").first
    tooltip = page.locator("#vg-tooltip-element")
    deadline = time.monotonic() + RUN_S / 1000
    while time.monotonic() < deadline:
        try:
            chart.wait_for(timeout=RUN_S)
            chart.scroll_into_view_if_needed(timeout=WIDGETS_S)
            box = chart.bounding_box()
            for fraction in (0.15, 0.2, 0.1, 0.25):  # somewhere over the first panel's plot area
                page.mouse.move(box["x"] + fraction * box["width"], box["y"] + 0.25 * box["height"])
                page.mouse.move(box["x"] + fraction * box["width"] + 3, box["y"] + 0.25 * box["height"] + 2)
                if tooltip.is_visible() and words in tooltip.inner_text():
                    return
        except (playwright.Error, TypeError):  # the canvas was replaced under the pointer: try the new one
            pass
        page.wait_for_timeout(250)
    expect(tooltip).to_contain_text(words)


def test_whatif_runs_and_compares(page, dashboard, shoot):
    page.set_viewport_size({"width": 1400, "height": 1250})
    open_whatif(page, dashboard)
    page.locator("label", has_text="Tajikistan").click()
    month = page.get_by_label("Month (YYYY-MM)").first
    month.fill("2010-13")
    month.press("Enter")
    expect(page.get_by_text("'2010-13' is not a month")).to_be_visible()
    expect(page.get_by_role("button", name="Run", exact=True)).to_be_disabled()
    month.fill("2010-06")
    month.press("Enter")
    page.get_by_role("button", name="Run", exact=True).click()
    page.locator(".headline-line").first.wait_for(timeout=RUN_S)
    first = headlines(page)
    assert len(first) == 6 and any(" more " in h or " fewer " in h for h in first)
    read_on_hover(page, "Mean over members")

    card = page.locator(".v-card", has_text="Information campaign")
    card.get_by_role("slider").focus()
    page.keyboard.press("End")
    start = card.get_by_label("From (YYYY-MM)")
    start.fill("2010-02")
    start.press("Enter")
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function(HEADLINES_CHANGED, arg="|".join(first), timeout=RUN_S)
    expect(page.get_by_role("button", name="Table (CSV)")).to_be_visible()
    expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled(timeout=RUN_S)
    expect(page.locator(".v-progress-linear:not(.v-progress-linear--absolute)")).to_be_hidden()
    expect(page.locator(".stale-note")).to_have_count(0)
    shoot(page, "whatif")
    page.get_by_role("button", name="Difference").click()  # scenario minus baseline, member by member
    expect(page.get_by_text("Lines: the scenario minus the baseline")).to_be_visible()
    read_on_hover(page, "Scenario − baseline")
    page.get_by_role("button", name="Both runs").click()
    expect(page.get_by_role("button", name="Whole run (CSV)")).to_be_visible()

    # the results survive a visit to another page, and are greyed out once an input changes
    page.get_by_role("button", name="Workshop").click()
    page.get_by_role("button", name="Step").wait_for(timeout=WIDGETS_S)
    page.get_by_role("button", name="What-if").click()
    page.locator(".headline-line").first.wait_for(timeout=WIDGETS_S)
    assert headlines(page) != first
    expect(page.get_by_label("Month (YYYY-MM)").first).to_have_value("2010-06")
    start = page.locator(".v-card", has_text="Information campaign").get_by_label("From (YYYY-MM)")
    start.fill("2010-03")
    start.press("Enter")
    expect(page.locator(".stale-note")).to_be_visible()

    page.get_by_role("button", name="Русский").click()  # every word of the page in Russian
    expect(page.get_by_text("Результаты: базовый вариант с мерами")).to_be_visible(timeout=RUN_S)
    expect(page.locator(".headline-table th").first).to_have_text("Показатель")
    for english in ("Rows per page", "Indicator", "Baseline", "Yearly", "Run"):
        expect(page.get_by_text(english, exact=True)).to_have_count(0)
    page.locator(".v-select", has_text="Сценарий").click()
    expect(page.get_by_role("option", name="Узбекистан вступает в ЕАЭС в 2027 году")).to_be_visible()
    page.keyboard.press("Escape")
    shoot(page, "whatif_ru")
    page.get_by_role("button", name="English").click()


def test_two_sessions_run_at_the_same_time(browser, dashboard):
    contexts = [browser.new_context() for _ in range(2)]
    pages = [context.new_page() for context in contexts]
    try:
        for page in pages:
            open_whatif(page, dashboard)
            page.locator("label", has_text="Uzbekistan").click()
            month = page.get_by_label("Month (YYYY-MM)").nth(2)
            month.fill("2010-03")
            month.press("Enter")
        for page in pages:
            page.get_by_role("button", name="Run", exact=True).click()
        for page in pages:
            page.locator(".headline-line").first.wait_for(timeout=RUN_S)
            assert len(headlines(page)) == 6
    finally:
        for context in contexts:
            context.close()


SLIDER_MIN_PX = 150  # issue 14: a slider narrower than this cannot be set with a mouse


def slider_widths(page) -> dict[str, float]:
    """Width in px of every workshop slider's track, by its label."""
    widths = {}
    for box in page.locator(".workshop-slider").all():
        label = box.locator(".slider-label").inner_text()
        widths[label] = box.locator(".v-slider").bounding_box()["width"]
    return widths


def test_workshop_steps_and_explains(page, dashboard, shoot):
    page.set_viewport_size({"width": 1366, "height": 768})
    failed = []  # every file the page asks for is served (KaTeX was missing from the offline cache)
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    page.goto(dashboard + "/workshop")
    step = page.get_by_role("button", name="Step")
    step.wait_for(timeout=WIDGETS_S)
    # the village is built (on a fresh clone, compiled) in the server: wait for it, with an upper bound
    expect(step).to_be_enabled(timeout=RUN_S)
    counter = page.locator(".month-counter")
    expect(counter).to_have_text("Month 0")
    assert not failed, failed
    expect(page.get_by_text("This website runs on")).to_have_count(0)  # the Solara badge covered text
    widths = slider_widths(page)
    assert len(widths) == 9 and min(widths.values()) >= SLIDER_MIN_PX, widths
    assert all(": " in label for label in widths)  # every slider shows its value
    network = page.locator(".v-card", has_text="The village network").locator("img")
    before = network.get_attribute("src")
    for n in range(1, 4):
        step.click()
        expect(counter).to_have_text(f"Month {n}", timeout=RUN_S)
    expect(page.locator(".shares-now")).to_contain_text("Month 3:")
    assert network.get_attribute("src") != before
    expect(page.get_by_text("Member 1").first).to_be_visible()

    page.locator(".v-select", has_text="Household").click()
    page.get_by_role("option", name="7", exact=True).click()
    expect(page.get_by_text("Household 7 from")).to_be_visible()

    box = page.locator(".workshop-slider", has_text="Pull: wages in Russia")
    slider = box.get_by_role("slider")
    slider.focus()
    page.keyboard.press("End")  # one change: Vuetify sends every key press, the server answers each
    expect(slider).to_have_attribute("aria-valuenow", "4")
    expect(box.locator(".slider-label")).to_have_text("Pull: wages in Russia (x): x4")
    expect(page.locator(".pending-note")).to_be_visible()
    page.get_by_role("button", name="Reset").click()
    expect(counter).to_have_text("Month 0", timeout=RUN_S)
    expect(page.get_by_text("in Russia x4,")).to_be_visible()
    expect(page.get_by_text("Dashed: the run before the last Reset")).to_be_visible()
    step.click()
    expect(counter).to_have_text("Month 1", timeout=RUN_S)
    page.get_by_role("button", name="Play").click()
    expect(counter).to_have_text(re.compile(r"Month ([4-9]|\d\d+)"), timeout=RUN_S)  # it plays on
    page.get_by_role("button", name="Pause").click()
    expect(step).to_be_enabled(timeout=RUN_S)
    page.get_by_role("button", name="Reset").click()  # the same sliders: a new village from month 0
    expect(counter).to_have_text("Month 0", timeout=RUN_S)
    step.click()
    expect(counter).to_have_text("Month 1", timeout=RUN_S)
    shoot(page, "workshop")

    page.locator(".origin-choice").get_by_role("button", name="Tajikistan").click()  # one village
    expect(page.get_by_text("Where the working-age members are (Tajikistan)")).to_be_visible()
    page.locator(".origin-choice").get_by_role("button", name="All three").click()

    page.set_viewport_size({"width": 1920, "height": 1080})
    assert min(slider_widths(page).values()) >= SLIDER_MIN_PX
    page.set_viewport_size({"width": 1366, "height": 768})
    page.get_by_role("button", name="Русский").click()
    expect(counter).to_have_text("Месяц 1")
    expect(page.get_by_role("button", name="Шаг")).to_be_visible()
    expect(page.get_by_role("button", name="Сброс")).to_be_visible()
    widths = slider_widths(page)
    assert min(widths.values()) >= SLIDER_MIN_PX, widths
    assert any(label.endswith("x4") for label in widths)
    assert any("," in label for label in widths)  # decimal commas
    for english in ("Controls", "Step", "Reset", "Play", "Month 1"):
        expect(page.get_by_text(english, exact=True)).to_have_count(0)
    shoot(page, "workshop_ru")
    page.get_by_role("button", name="English").click()


def test_research_lists_folders_and_shows_outputs(page, dashboard, shoot):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(dashboard + "/research")
    folder = page.locator(".v-select", has_text="Folder")
    folder.wait_for(timeout=WIDGETS_S)
    expect(page.get_by_text("Batch: indicators across runs")).to_be_visible()
    chart = page.locator("img").first
    src = chart.get_attribute("src")
    page.locator(".v-select", has_text="Indicator").click()
    page.get_by_role("option", name="poverty_rate").click()
    page.wait_for_function("(old) => document.querySelector('img').src !== old", arg=src, timeout=RUN_S)

    folder.click()
    menu = page.locator(".menuable__content__active")  # Vuetify keeps closed menus in the page
    menu.get_by_role("option").first.wait_for()
    names = [n.strip() for n in menu.get_by_role("option").all_inner_texts()]
    assert names[:4] == [".", "batch_beta", "batch_scenarios", "calibration"]
    assert "migsim/calibration/runs/cal-2021" in names  # the shipped calibrations, always listed
    menu.get_by_role("option", name="calibration", exact=True).click()
    expect(page.locator(".table-caption", has_text="validation.csv: 1 rows")).to_be_visible()
    expect(page.get_by_role("cell", name="4,100,000")).to_be_visible()  # rounded, with separators
    expect(page.get_by_text("posterior.png")).to_be_visible()

    folder.click()  # a batch from `migsim batch`: two scenarios, coloured by scenario from the start
    menu.get_by_role("option", name="batch_scenarios").click()
    expect(page.get_by_text("runs.parquet: 4 rows")).to_be_visible(timeout=RUN_S)
    expect(page.locator(".v-select", has_text="Colour by")).to_contain_text("scenario")
    expect(page.get_by_role("cell", name="1.5", exact=True).first).to_be_visible()
    shoot(page, "research")
    page.get_by_role("button", name="Русский").click()
    expect(page.get_by_role("heading", name="Исследование: результаты серий и калибровки")).to_be_visible()
    page.get_by_role("button", name="English").click()
