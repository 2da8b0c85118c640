"""The dashboard and its tabs in a real browser: charts drawn, tabs open, filters narrow, CSVs download."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.reports.tests.factories import (
    BalanceSnapshotFactory,
    BrokerAccountFactory,
    NetLiqPointFactory,
    PositionSnapshotFactory,
    TransactionFactory,
)
from apps.tastytrade_sync.tests.factories import ConnectionFactory, SyncRunFactory
from apps.trades.models import Transaction

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
        TransactionFactory(account=account, executed_at=moment, symbol=f"SPY {days_ago}", underlying_symbol="SPY")
    TransactionFactory(
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
    BalanceSnapshotFactory(
        account=account,
        snapshot_date=today,
        net_liquidating_value=Decimal("1234567.89"),  # wide enough to test the phone layout
        cash_balance=Decimal("-1234567.89"),
    )
    PositionSnapshotFactory(account=account, expires_at=timezone.now() + timedelta(days=30))
    PositionSnapshotFactory(
        account=account, symbol="AAPL", underlying_symbol="AAPL", instrument_type="Equity", quantity=100, multiplier=1
    )
    return account


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


def test_the_pnl_charts_draw_from_their_data_once_the_page_carries_it(signed_in_page: Page, ledger, page_errors):
    """Before the P&L engine the page has no P&L data; here the page is given some on its way in."""
    page = signed_in_page
    days = [date(2026, 1, 5) + timedelta(days=n) for n in range(40) if n % 7 < 5]  # weekdays
    calendar = {"labels": [day.isoformat() for day in days], "values": [(n % 9 - 4) * 50 for n in range(len(days))]}
    series = {
        "monthly-pnl": '{"labels": ["2026-01", "2026-02"], "values": [1200.5, -300.25]}',
        "cumulative-pnl": '{"labels": ["2026-01-05", "2026-01-06"], "values": [100, 250.75]}',
        "pnl-calendar": json.dumps(calendar),
    }

    def with_pnl_data(route):
        response = route.fetch()
        html = response.text()
        for name, data in series.items():
            # Where the page says "P&L appears after...", put what it renders once it has the data.
            html, found = re.subn(
                rf'(id="{name}-chart-title">.*?</h2>)\s*<p [^>]*>P&amp;L appears after the P&amp;L engine has run.</p>',
                rf'\1<script id="{name}-data" type="application/json">{data}</script>'
                rf'<div class="position-relative"><canvas id="{name}-chart"></canvas></div>',
                html,
            )
            assert found == 1, name
        route.fulfill(response=response, body=html)

    page.route(re.compile(r"/dashboard/$"), with_pnl_data)
    page.goto("/dashboard/")
    for name in series:
        assert page.evaluate(PAINTED_PIXELS, f"{name}-chart") > 500, name
    assert page_errors == []


def test_every_tab_opens(signed_in_page: Page, ledger, page_errors):
    page = signed_in_page
    page.goto("/dashboard/")
    tabs = page.get_by_role("navigation", name="Sections")
    for tab, heading in [
        ("Positions", "Positions"),
        ("Transactions", "Transactions"),
        ("Reports", "Reports"),
        ("Overview", "Dashboard"),
        ("Sync", "TastyTrade sync"),
    ]:
        tabs.get_by_role("link", name=tab, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        if tab != "Sync":
            expect(tabs.get_by_role("link", name=tab, exact=True)).to_have_attribute("aria-current", "page")
    assert page_errors == []


def test_the_reports_tab_draws_its_chart(signed_in_page: Page, ledger, page_errors):
    page = signed_in_page
    page.goto("/reports/?group=day")
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


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/positions/", "/dashboard/transactions/", "/reports/"])
def test_pages_fit_a_phone_screen(signed_in_page: Page, ledger, path):
    page = signed_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(path)
    # Wide tables scroll inside their own box; the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
