"""Charts and filter forms in a real browser: a dual-axis chart's two zero lines are one line, and on a phone
the filter form folds behind its "Filters" button."""

import pytest
from playwright.sync_api import Page, expect

from .test_edge_report import ledger  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

# The pixel row of value 0 on each y axis of the chart drawn on `selector`'s canvas.
ZERO_LINES = """(selector) => {
  const chart = Chart.getChart(document.querySelector(selector));
  return Object.values(chart.scales).filter((scale) => scale.axis === "y").map((scale) => scale.getPixelForValue(0));
}"""


def zero_lines(page: Page, selector: str) -> list[float]:
    return page.evaluate(ZERO_LINES, selector)


@pytest.fixture
def frozen(frozen_clock):
    return frozen_clock


def test_the_pnl_charts_bars_and_running_total_share_one_zero_line(signed_in_page, history, frozen):
    signed_in_page.set_viewport_size({"width": 1440, "height": 900})
    signed_in_page.goto("/reports/?start=2026-01-01")
    bars, running_total = zero_lines(signed_in_page, "#pnl-chart")
    assert abs(bars - running_total) < 0.5


def test_an_edge_charts_pnl_and_win_rate_share_one_zero_line_when_a_group_lost(signed_in_page, ledger):  # noqa: F811
    signed_in_page.set_viewport_size({"width": 390, "height": 844})
    signed_in_page.goto("/reports/?report=edge&start=")
    pnl, win_rate = zero_lines(signed_in_page, 'canvas[data-source="edge-underlying-data"]')
    assert abs(pnl - win_rate) < 0.5


def test_on_a_phone_the_filters_button_opens_the_folded_filter_form(signed_in_page, history, frozen):
    signed_in_page.set_viewport_size({"width": 390, "height": 844})
    signed_in_page.goto("/dashboard/transactions/")
    form = signed_in_page.locator("form#filters")
    expect(form).to_be_hidden()
    signed_in_page.get_by_role("button", name="Filters").click()
    expect(form).to_be_visible()


def test_on_a_desktop_the_filter_form_is_open_without_a_button(signed_in_page, history, frozen):
    signed_in_page.set_viewport_size({"width": 1440, "height": 900})
    signed_in_page.goto("/dashboard/transactions/")
    expect(signed_in_page.locator("form#filters")).to_be_visible()
    expect(signed_in_page.get_by_role("button", name="Filters")).to_be_hidden()
