"""The dashboard and its tabs in a real browser: charts drawn, tabs open, filters narrow, CSVs download."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.reports.tests.factories import BrokerAccountFactory
from apps.tastytrade_sync.tests.factories import ConnectionFactory, SyncRunFactory, synced_from_simulator
from apps.trades.models import Transaction
from apps.trades.tests.factories import (
    BalanceNowFactory,
    NetLiqPointFactory,
    SoldPutFillFactory,
    SoldPutPositionFactory,
)

pytestmark = pytest.mark.browser

# How many pixels of a canvas Chart.js has painted (any non-transparent pixel).
PAINTED_PIXELS = """(id) => {
  const canvas = document.getElementById(id);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted += 1;
  return painted;
}"""


@pytest.fixture
def ledger(user):
    """A synced account with two months of history, rows created directly."""
    connection = ConnectionFactory(user=user, label="Main")
    SyncRunFactory(connection=connection, finished_at=timezone.now())
    account = BrokerAccountFactory(user=user, connection=connection, account_number="5WT44444")
    today = timezone.localdate(timezone=user.tz)
    for days_ago in range(60, 0, -1):
        day = today - timedelta(days=days_ago)
        moment = datetime(day.year, day.month, day.day, 21, tzinfo=UTC)
        NetLiqPointFactory(account=account, time=moment, close=Decimal(25_000 + 40 * (60 - days_ago) % 900))
        SoldPutFillFactory(account=account, executed_at=moment, symbol=f"SPY {days_ago}", underlying_symbol="SPY")
    SoldPutFillFactory(
        account=account,
        executed_at=datetime(today.year, today.month, today.day, 14, tzinfo=UTC) - timedelta(days=3),
        transaction_type=Transaction.Type.MONEY_MOVEMENT,
        transaction_sub_type="Deposit",
        symbol="",
        underlying_symbol="",
        description="ACH DEPOSIT",
        value=Decimal("5000"),
        commission=0,
        clearing_fees=0,
        regulatory_fees=0,
    )
    BalanceNowFactory(
        account=account,
        snapshot_date=today,
        net_liquidating_value=Decimal("1234567.89"),  # wide enough to test the phone layout
        cash_balance=Decimal("-1234567.89"),
    )
    SoldPutPositionFactory(account=account, expires_at=timezone.now() + timedelta(days=30))
    SoldPutPositionFactory(
        account=account, symbol="AAPL", underlying_symbol="AAPL", instrument_type="Equity", quantity=100, multiplier=1
    )
    return account


@pytest.fixture
def synced(user, settings):
    """Half a year of simulated TastyTrade activity up to today, synced through the real SDK."""
    return synced_from_simulator(user, settings, seed=3)


@pytest.fixture
def page_errors(signed_in_page: Page) -> list[str]:
    """Script errors and console errors (a CSP violation is one) seen by the page."""
    errors: list[str] = []
    signed_in_page.on("pageerror", lambda error: errors.append(str(error)))
    signed_in_page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def test_the_dashboard_draws_the_net_liq_chart(signed_in_page: Page, ledger, page_errors):
    page = signed_in_page
    page.goto("/dashboard/")
    expect(page.locator("[data-widget=net-liq]")).to_have_text("$1,234,567.89")
    expect(page.locator("#net-liq-chart")).to_be_visible()
    assert page.evaluate(PAINTED_PIXELS, "net-liq-chart") > 1_000
    assert page_errors == []


def test_the_dashboard_draws_the_pnl_charts_from_synced_data(signed_in_page: Page, synced, page_errors):
    page = signed_in_page
    page.goto("/dashboard/")
    for name in ["realized-year", "unrealized", "win-rate"]:
        expect(page.locator(f"[data-widget={name}]")).not_to_have_text("\u2014")
    for chart in ["monthly-pnl-chart", "cumulative-pnl-chart"]:
        expect(page.locator(f"#{chart}")).to_be_visible()
        assert page.evaluate(PAINTED_PIXELS, chart) > 1_000, chart
    assert page_errors == []


def test_the_pnl_report_draws_its_chart_and_states_the_convention(signed_in_page: Page, synced, page_errors):
    page = signed_in_page
    page.goto("/reports/")
    expect(page.get_by_role("heading", name="Realized P&L by month")).to_be_visible()
    expect(page.get_by_role("heading", name="How we count P&L")).to_be_visible()
    expect(page.locator("[data-stat=win-rate]")).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    assert page.evaluate(PAINTED_PIXELS, "pnl-chart") > 1_000
    assert page_errors == []


def test_the_pnl_csv_downloads_with_its_header_row(signed_in_page: Page, synced):
    page = signed_in_page
    page.goto("/reports/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert re.fullmatch(r"pnl-by-month-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    lines = download.path().read_text(encoding="utf-8").splitlines()
    assert lines[0] == "month,realized_pnl,closing_events,commissions_in_pnl,fees_in_pnl"
    assert len(lines) > 2


def test_the_pnl_events_csv_downloads_with_its_header_row(signed_in_page: Page, synced):
    page = signed_in_page
    page.goto("/reports/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="P&L events in this range").click()
    lines = download_info.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("account_number,event_key,kind,trading_day,executed_at,opened_at,symbol,")
    assert len(lines) > 10


def test_every_tab_opens(signed_in_page: Page, ledger, page_errors):
    page = signed_in_page
    page.goto("/dashboard/")
    tabs = page.get_by_role("navigation", name="Main navigation")
    for tab, heading in [
        ("Positions", "Positions"),
        ("Trades", "Trades"),
        ("Transactions", "Transactions"),
        ("Reports", "Reports"),
        ("Dashboard", "Dashboard"),
        ("Sync", "TastyTrade sync"),
    ]:
        tabs.get_by_role("link", name=tab, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(tabs.get_by_role("link", name=tab, exact=True)).to_have_attribute("aria-current", "page")
    assert page_errors == []


def test_the_cash_flow_report_draws_its_chart(signed_in_page: Page, ledger, page_errors):
    page = signed_in_page
    page.goto("/reports/?report=cash-flow&group=day")
    expect(page.get_by_role("heading", name="Cash flow and fees by day")).to_be_visible()
    assert page.evaluate(PAINTED_PIXELS, "cash-flow-chart") > 1_000
    assert page_errors == []


def test_a_filter_narrows_the_transactions(signed_in_page: Page, ledger):
    page = signed_in_page
    page.goto("/dashboard/transactions/")
    expect(page.get_by_text("61 transactions, showing 1–50.")).to_be_visible()
    page.get_by_label("Type", exact=True).select_option("Money Movement")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"type=Money\+Movement"))
    expect(page.get_by_text("1 transaction.")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("ACH DEPOSIT")


def test_the_transactions_csv_downloads_with_its_header_row(signed_in_page: Page, ledger):
    page = signed_in_page
    page.goto("/dashboard/transactions/?type=Money+Movement")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert re.fullmatch(r"transactions-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    lines = download.path().read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("account_number,transaction_id,executed_at,trading_day,transaction_date,")
    assert len(lines) == 2 and "ACH DEPOSIT" in lines[1]


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/",
        "/dashboard/positions/",
        "/trades/",
        "/dashboard/transactions/",
        "/reports/",
        "/reports/?report=breakdown",
        "/reports/?report=cash-flow",
    ],
)
def test_pages_fit_a_phone_screen(signed_in_page: Page, synced, path):
    page = signed_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(path)
    # Wide tables scroll inside their own box; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
