"""The Returns report in a real browser: its three charts are drawn, and a phone never scrolls sideways."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from apps.reports.tests.factories import BrokerAccountFactory
from apps.reports.tests.test_returns import deposit, net_liq, withdraw

from .test_dashboard import PAINTED_PIXELS, page_errors  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

RETURNS = "/reports/?report=returns&start=2026-01-01&end=2026-03-31"
CHARTS = ["returns-cumulative-chart", "returns-drawdown-chart", "returns-monthly-chart"]


@pytest.fixture
def ledger(user):
    """The hand-worked ledger of apps/reports/tests/test_returns.py: +32.23% with a deposit and a withdrawal."""
    account = BrokerAccountFactory(user=user)
    net_liq(account)
    deposit(account, date(2026, 3, 4), "4500.00")
    withdraw(account, date(2026, 3, 5), "2250.00")


@pytest.mark.parametrize("chart", CHARTS)
def test_each_returns_chart_is_drawn(signed_in_page: Page, ledger, chart):
    signed_in_page.set_viewport_size({"width": 1440, "height": 900})
    signed_in_page.goto(RETURNS)
    expect(signed_in_page.locator('[data-stat="twr"]')).to_have_text("32.23%")
    assert signed_in_page.evaluate(PAINTED_PIXELS, chart) > 1_000


def test_on_a_phone_the_returns_report_fits_the_screen(signed_in_page: Page, ledger, page_errors):  # noqa: F811
    signed_in_page.set_viewport_size({"width": 390, "height": 844})
    signed_in_page.goto(RETURNS)
    expect(signed_in_page.locator("#returns-monthly-chart")).to_be_visible()
    assert signed_in_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page_errors == []  # no script error, no CSP violation


def test_on_a_phone_the_reports_menu_shows_the_current_report(signed_in_page: Page, ledger, page_errors):  # noqa: F811
    signed_in_page.set_viewport_size({"width": 390, "height": 844})
    signed_in_page.goto("/reports/tax/")
    current = signed_in_page.locator("nav[data-reports-nav] [aria-current='page']")
    expect(current).to_have_text("Tax year")
    expect(current).to_be_in_viewport(ratio=0.95)
    assert page_errors == []
