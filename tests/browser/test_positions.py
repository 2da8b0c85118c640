"""The Positions page and a payoff diagram in a real browser: legs fold open, the chart is drawn, phones do not
scroll sideways."""

import pytest
from playwright.sync_api import Page, expect

from apps.reports.tests.factories import quote_the_short_qqq_put

from .test_dashboard import PAINTED_PIXELS, page_errors  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def held(history):
    return quote_the_short_qqq_put(history)


def sideways_scroll(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_a_positions_legs_fold_open_and_its_payoff_chart_is_drawn(signed_in_page: Page, held, page_errors):  # noqa: F811
    page = signed_in_page
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/dashboard/positions/")
    leg = page.locator("tr.leg-row").first
    expect(leg).to_be_hidden()
    page.locator("button[data-fold]").first.click()
    expect(leg).to_be_visible()
    page.locator("tr.position-row a[data-payoff-link]").first.click()
    expect(page.locator("#payoff-chart")).to_have_attribute("data-drawn", "true")
    assert page.evaluate("Chart.getChart('payoff-chart').data.datasets.length") == 4
    assert page.evaluate(PAINTED_PIXELS, "payoff-chart") > 1_000
    assert page_errors == []


def test_an_underlyings_payoff_panel_opens_on_the_positions_page_with_its_chart_drawn(
    signed_in_page: Page,
    held,
    page_errors,  # noqa: F811
):
    page = signed_in_page
    page.set_viewport_size({"width": 1440, "height": 900})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/dashboard/positions/")
    assert not any("/payoff/data/" in url for url in requested)  # fetched only when opened
    button = page.locator("tbody[data-underlying=QQQ] button[data-payoff-toggle]")
    button.click()
    canvas = page.locator(".payoff-panel canvas")
    expect(canvas).to_have_attribute("data-drawn", "true")
    expect(page).to_have_url("/dashboard/positions/")  # the trader did not leave the page
    chart_id = canvas.evaluate("canvas => { canvas.id = 'panel-chart'; return canvas.id; }")
    assert page.evaluate(f"Chart.getChart('{chart_id}').data.datasets.length") == 4
    assert page.evaluate(PAINTED_PIXELS, chart_id) > 1_000
    expect(page.locator(".payoff-panel")).to_contain_text("breakevens 497.51")
    expect(page.locator(".payoff-panel a", has_text="Full payoff page")).to_have_attribute(
        "href", "/dashboard/positions/payoff/?underlying=QQQ"
    )
    button.click()
    expect(page.locator(".payoff-row")).to_be_hidden()
    assert button.get_attribute("aria-expanded") == "false"
    assert page_errors == []


def test_the_payoff_panel_fits_a_phone_without_sideways_scrolling(signed_in_page: Page, held):
    page = signed_in_page
    page.set_viewport_size(PHONE)
    page.goto("/dashboard/positions/")
    page.locator("tbody[data-underlying=QQQ] button[data-payoff-toggle]").click()
    canvas = page.locator(".payoff-panel canvas")
    expect(canvas).to_have_attribute("data-drawn", "true")
    assert sideways_scroll(page) == 0
    assert canvas.bounding_box()["x"] + canvas.bounding_box()["width"] <= PHONE["width"]


def test_the_payoff_page_fits_a_phone_without_sideways_scrolling(signed_in_page: Page, held):
    page = signed_in_page
    page.set_viewport_size(PHONE)
    page.goto("/dashboard/positions/payoff/?underlying=QQQ")
    expect(page.locator("#payoff-chart")).to_have_attribute("data-drawn", "true")
    assert sideways_scroll(page) == 0


def test_the_positions_page_fits_a_phone_without_sideways_scrolling(signed_in_page: Page, held):
    page = signed_in_page
    page.set_viewport_size(PHONE)
    page.goto("/dashboard/positions/")
    expect(page.locator("#open-positions")).to_be_visible()
    assert sideways_scroll(page) == 0
