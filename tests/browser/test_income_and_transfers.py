"""The Income and Money in/out pages in a real browser: their charts are drawn (no CSP violation, no script
error), and on a phone nothing scrolls sideways."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page

from apps.trades.tests.factories import BrokerAccountFactory, MoneyMovementFactory, NetLiqPointFactory

from .test_dashboard import PAINTED_PIXELS

pytestmark = pytest.mark.browser


@pytest.fixture
def page_errors(signed_in_page: Page) -> list[str]:
    errors: list[str] = []
    signed_in_page.on("pageerror", lambda error: errors.append(str(error)))
    signed_in_page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


@pytest.fixture
def ledger(user):
    account = BrokerAccountFactory(user=user)
    for month in (1, 2, 3):
        on = datetime(2026, month, 2, 15, tzinfo=UTC)
        MoneyMovementFactory(account=account, value=Decimal("5000.00"), executed_at=on)
        MoneyMovementFactory(
            account=account,
            transaction_sub_type="Dividend",
            symbol="AAPL",
            description="APPLE INC",
            value=Decimal("24.00"),
            executed_at=on.replace(day=14),
        )
        MoneyMovementFactory(
            account=account,
            transaction_sub_type="Debit Interest",
            description="FROM 01/16 THRU 02/15 @ 8 %",
            value=Decimal("-3.10"),
            executed_at=on.replace(day=16),
        )
        NetLiqPointFactory(account=account, time=on.replace(hour=21), close=Decimal(5100 * month))


@pytest.mark.parametrize(
    ("path", "chart"), [("/reports/income/", "income-chart"), ("/reports/money-in-out/", "transfers-chart")]
)
@pytest.mark.parametrize("width", [1440, 390])
def test_the_chart_is_drawn_and_nothing_scrolls_sideways(signed_in_page, ledger, page_errors, path, chart, width):
    signed_in_page.set_viewport_size({"width": width, "height": 900})
    signed_in_page.goto(f"{path}?start=")
    assert signed_in_page.evaluate(PAINTED_PIXELS, chart) > 1_000
    assert signed_in_page.evaluate("document.documentElement.scrollWidth") <= width
    assert page_errors == []
