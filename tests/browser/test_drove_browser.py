"""The "What drove it?" page in headless Chromium: a shipped episode opens at once, another replaces it.

No simulation runs here (the form is tested in-process, ``tests/test_drove.py``).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

WIDGETS_MS = 180_000  # the first widgets arrive over the websocket after the HTTP page (busy machine)
REDRAW_MS = 120_000  # an upper bound for a redraw with three charts on a busy machine, not a sleep
SRC_CHANGED = (
    "(old) => { const img = document.querySelector('.waterfall img'); return img && img.src !== old; }"
)


def test_episode_opens_and_another_replaces_it(page, dashboard, shoot):
    from dashboards import episodes

    shipped = episodes.available()
    assert len(shipped) >= 2, shipped
    first, second = (name.replace("-", " → ") for name in shipped[:2])
    page.set_viewport_size({"width": 1400, "height": 1100})
    page.goto(dashboard + "/drove")
    choice = page.locator(".episode-choice")
    choice.get_by_role("button", name=first).wait_for(timeout=WIDGETS_MS)
    start, end = shipped[0].split("-")
    expect(page.locator(".drove-line").first).to_contain_text(f"From {start} to {end}", timeout=REDRAW_MS)
    charts = page.locator(".waterfall img")
    expect(charts).to_have_count(3, timeout=REDRAW_MS)  # one waterfall per origin
    src = charts.first.get_attribute("src")
    assert src
    page.wait_for_function(  # every waterfall drawn, not only the first
        "() => Array.from(document.querySelectorAll('.waterfall img'))"
        ".every((i) => i.complete && i.naturalWidth > 0)",
        timeout=REDRAW_MS,
    )
    table = page.locator(".drove-table table")
    expect(table.locator("th").first).to_have_text("Cause")
    expect(table.get_by_role("cell", name="Total change")).to_be_visible()
    shoot(page, "drove")

    choice.get_by_role("button", name=second).click()
    start, end = shipped[1].split("-")
    expect(page.locator(".drove-line").first).to_contain_text(f"From {start} to {end}", timeout=REDRAW_MS)
    page.wait_for_function(SRC_CHANGED, arg=src, timeout=REDRAW_MS)

    page.get_by_role("button", name="Русский").click()
    expect(page.get_by_role("heading", name="Чем это вызвано?")).to_be_visible()
    expect(table.locator("th").first).to_have_text("Причина")
    page.get_by_role("button", name="English").click()
