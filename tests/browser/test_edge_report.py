"""The Reports tab's Edge report in a real browser: a chart per table, columns sort, phones scroll the tables."""

import pytest
from playwright.sync_api import Page, expect

from apps.reports.tests.factories import BrokerAccountFactory
from apps.trades.lots import recompute_account
from apps.trades.tests.test_analytics import (
    assigned_put,
    expired_put_spread,
    losing_call,
    managed_put,
    rolled_put,
)

from .test_dashboard import PAINTED_PIXELS

pytestmark = pytest.mark.browser

EDGE = "/reports/?report=edge&start="
PAINTED_CANVAS = PAINTED_PIXELS.replace("document.getElementById(id)", "document.querySelector(id)")


@pytest.fixture
def ledger(user):
    """SPY +58.80, QQQ +150, IWM +150, SCHG +314, TSLA -300 (apps/trades/tests/test_analytics.py)."""
    account = BrokerAccountFactory(user=user)
    for trades in (managed_put, expired_put_spread, rolled_put, assigned_put, losing_call):
        trades(account)
    recompute_account(account=account)


def underlyings(page: Page) -> list[str]:
    section = page.locator("#edge-underlying-title").locator("xpath=../..")
    return section.locator("table[data-sortable] tbody th").all_inner_texts()


def test_each_edge_table_has_a_drawn_chart(signed_in_page, ledger):
    signed_in_page.set_viewport_size({"width": 1440, "height": 900})
    signed_in_page.goto(EDGE)
    expect(signed_in_page.locator("canvas.edge-chart")).to_have_count(7)
    assert signed_in_page.evaluate(PAINTED_CANVAS, 'canvas[data-source="edge-dte-data"]') > 1000


def test_a_column_heading_sorts_the_table_and_a_second_click_reverses_it(signed_in_page, ledger):
    signed_in_page.set_viewport_size({"width": 1440, "height": 900})
    signed_in_page.goto(EDGE)
    assert underlyings(signed_in_page) == ["IWM", "QQQ", "SCHG", "SPY", "TSLA"]
    section = signed_in_page.locator("#edge-underlying-title").locator("xpath=../..")
    section.get_by_role("button", name="Total P&L").click()
    assert underlyings(signed_in_page) == ["SCHG", "IWM", "QQQ", "SPY", "TSLA"]
    section.get_by_role("button", name="Total P&L").click()
    assert underlyings(signed_in_page)[0] == "TSLA"


def test_on_a_phone_the_tables_scroll_inside_the_page(signed_in_page, ledger):
    signed_in_page.set_viewport_size({"width": 390, "height": 844})
    signed_in_page.goto(EDGE)
    expect(signed_in_page.locator("canvas.edge-chart").first).to_be_visible()
    assert signed_in_page.evaluate("document.documentElement.scrollWidth") <= 390
